"""Tensor-core (tl.dot) kernels on both backends in one process: Triton's CUDA backend and ours (Vulkan).

Each kernel is one @triton.jit source with the same meta-parameters on both sides (no autotuning).
Inputs are made on the CUDA device, copied into Vulkan memory (triton_vulkan.from_torch), and the
Vulkan output is checked against CUDA's (a strided sample of at most 2^20 elements, tolerances by
dtype). Times are triton.testing.do_bench medians (ms). The table prints CUDA ms, Vulkan ms, the
ratio CUDA/Vulkan (> 1: Vulkan faster), both TFLOP/s, and the geometric mean of the ratios.

Kernels: tutorial-03-style matmuls (tensor-of-pointer loads in a K loop, masks on K, grouped
program order; 128x128x64 tiles, 4 warps, 3 stages) in f16 (several shapes), bf16, f32 (CUDA: tf32,
the default input_precision), i8 -> i32, f16 with a bias + ReLU epilogue, f16 with block pointers;
a batched matmul with a 3-D tl.dot; flash-attention forward (online softmax, head dims 64 and 128,
causal and not). FLOPs: 2*M*N*K for a matmul, 4*B*H*S*S*D for attention (half when causal).

"dot_loop_f16 (compute proxy)" is no real kernel: each program loads one 128x16 and one 16x64
f16 tile once and runs acc = tl.dot(a, b, acc) ITERS times, so it measures each backend's dot path
with no memory traffic, a proxy for its compute ceiling. It is left out of the geometric mean. On
the Vulkan side these tiles are small enough that both operands stay in cooperative-matrix
fragments over the loop (lower/dot_coopmat.cc, holdInvariantOperands): 4 subgroups of 2 x 4
16x16x16 f16 -> f32 multiply-adds per iteration and nothing else, i.e. the cooperative-matrix
ceiling (NVIDIA's ALU-only sample peaks at 8 accumulators a subgroup). Each later row's note gives
its Vulkan TFLOP/s as a share of this ceiling.

On Hopper the CUDA side is also compiled a second time with DISABLE_MMA_V3=1: Triton's own code
for the same kernel with mma.sync (HMMA) instead of wgmma, the instruction that Vulkan's
cooperative matrices reach on this GPU. The columns "mma.sync ms" and "vs mma.sync" show that
build and Vulkan against it (--no-cuda-alt leaves it out).

Run on the device machine (tools/device/run_bench.sh, BENCH=tensorcore): python3
tools/bench/tensorcore.py [--small] [--only name,name] [--json FILE]. --small: tiny sizes and
tiles, any machine (no CUDA needed: then only the Vulkan side runs and nothing is checked). The
driver (command line, checks, table) is tools/bench/harness.py, shared with membound.py.
"""
import sys

import torch
import triton
import triton.language as tl

import harness
from harness import Case


# ---------------------------------------------------------------- kernels (one source, both backends)

@triton.jit
def grouped_tile(M, N, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, GROUP_M: tl.constexpr):
    """This program's output tile in grouped order: GROUP_M rows of tiles are walked column by
    column (L2 reuse), as in Triton's matmul tutorial."""
    pid = tl.program_id(0)
    num_pid_m = tl.cdiv(M, BLOCK_M)
    num_pid_n = tl.cdiv(N, BLOCK_N)
    num_pid_in_group = GROUP_M * num_pid_n
    group_id = pid // num_pid_in_group
    first_pid_m = group_id * GROUP_M
    group_size_m = min(num_pid_m - first_pid_m, GROUP_M)
    pid_m = first_pid_m + ((pid % num_pid_in_group) % group_size_m)
    pid_n = (pid % num_pid_in_group) // group_size_m
    return pid_m, pid_n


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, bias_ptr, M, N, K,
                  stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                  BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,
                  INT_ACC: tl.constexpr, BIAS_RELU: tl.constexpr):
    pid_m, pid_n = grouped_tile(M, N, BLOCK_M, BLOCK_N, GROUP_M)

    offs_am = (pid_m * BLOCK_M + tl.arange(0, BLOCK_M)) % M
    offs_bn = (pid_n * BLOCK_N + tl.arange(0, BLOCK_N)) % N
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + offs_am[:, None] * stride_am + offs_k[None, :] * stride_ak
    b_ptrs = b_ptr + offs_k[:, None] * stride_bk + offs_bn[None, :] * stride_bn
    if INT_ACC:
        acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.int32)
    else:
        acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        a = tl.load(a_ptrs, mask=offs_k[None, :] < K - k * BLOCK_K, other=0)
        b = tl.load(b_ptrs, mask=offs_k[:, None] < K - k * BLOCK_K, other=0)
        acc = tl.dot(a, b, acc, out_dtype=acc.dtype)  # i8 x i8 -> i32 needs out_dtype
        a_ptrs += BLOCK_K * stride_ak
        b_ptrs += BLOCK_K * stride_bk
    if BIAS_RELU:
        bias = tl.load(bias_ptr + offs_bn).to(tl.float32)
        acc = tl.maximum(acc + bias[None, :], 0.0)
    c = acc.to(c_ptr.dtype.element_ty)

    offs_cm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_cn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    c_ptrs = c_ptr + stride_cm * offs_cm[:, None] + stride_cn * offs_cn[None, :]
    tl.store(c_ptrs, c, mask=(offs_cm[:, None] < M) & (offs_cn[None, :] < N))


@triton.jit
def matmul_blockptr_kernel(a_ptr, b_ptr, c_ptr, M, N, K,
                           stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                           BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
                           GROUP_M: tl.constexpr):
    pid_m, pid_n = grouped_tile(M, N, BLOCK_M, BLOCK_N, GROUP_M)

    a_bp = tl.make_block_ptr(a_ptr, shape=(M, K), strides=(stride_am, stride_ak), offsets=(pid_m * BLOCK_M, 0),
                             block_shape=(BLOCK_M, BLOCK_K), order=(1, 0))
    b_bp = tl.make_block_ptr(b_ptr, shape=(K, N), strides=(stride_bk, stride_bn), offsets=(0, pid_n * BLOCK_N),
                             block_shape=(BLOCK_K, BLOCK_N), order=(1, 0))
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for _ in range(0, tl.cdiv(K, BLOCK_K)):
        a = tl.load(a_bp, boundary_check=(0, 1))
        b = tl.load(b_bp, boundary_check=(0, 1))
        acc = tl.dot(a, b, acc)
        a_bp = tl.advance(a_bp, (0, BLOCK_K))
        b_bp = tl.advance(b_bp, (BLOCK_K, 0))
    c_bp = tl.make_block_ptr(c_ptr, shape=(M, N), strides=(stride_cm, stride_cn),
                             offsets=(pid_m * BLOCK_M, pid_n * BLOCK_N), block_shape=(BLOCK_M, BLOCK_N), order=(1, 0))
    tl.store(c_bp, acc.to(c_ptr.dtype.element_ty), boundary_check=(0, 1))


@triton.jit
def bmm_kernel(a_ptr, b_ptr, c_ptr, BATCH, M, N, K,
               stride_ab, stride_am, stride_ak, stride_bb, stride_bk, stride_bn, stride_cb, stride_cm, stride_cn,
               BB: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
    # [BB, BM, BK] x [BB, BK, BN] tiles: one 3-D tl.dot per K step
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_n = tl.program_id(1) * BN + tl.arange(0, BN)
    offs_b = tl.program_id(2) * BB + tl.arange(0, BB)
    offs_k = tl.arange(0, BK)
    a_ptrs = (a_ptr + offs_b[:, None, None].to(tl.int64) * stride_ab + (offs_m % M)[None, :, None] * stride_am
              + offs_k[None, None, :] * stride_ak)
    b_ptrs = (b_ptr + offs_b[:, None, None].to(tl.int64) * stride_bb + offs_k[None, :, None] * stride_bk
              + (offs_n % N)[None, None, :] * stride_bn)
    acc = tl.zeros((BB, BM, BN), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BK)):
        a = tl.load(a_ptrs, mask=(offs_b[:, None, None] < BATCH) & (offs_k[None, None, :] < K - k * BK), other=0.0)
        b = tl.load(b_ptrs, mask=(offs_b[:, None, None] < BATCH) & (offs_k[None, :, None] < K - k * BK), other=0.0)
        acc = tl.dot(a, b, acc)
        a_ptrs += BK * stride_ak
        b_ptrs += BK * stride_bk
    c_ptrs = (c_ptr + offs_b[:, None, None].to(tl.int64) * stride_cb + offs_m[None, :, None] * stride_cm
              + offs_n[None, None, :] * stride_cn)
    m = (offs_b[:, None, None] < BATCH) & (offs_m[None, :, None] < M) & (offs_n[None, None, :] < N)
    tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty), mask=m)


@triton.jit
def _attn_blocks(acc, l_i, m_i, q, k_base, v_base, stride_s, offs_m, offs_n, offs_d, lo, hi, qk_scale,
                 BLOCK_N: tl.constexpr, DIAGONAL: tl.constexpr):
    # online softmax over the key blocks [lo, hi); base-2 exponentials, qk_scale includes log2(e)
    for start_n in range(lo, hi, BLOCK_N):
        cols = start_n + offs_n
        k = tl.load(k_base + cols[:, None] * stride_s + offs_d[None, :])
        qk = tl.dot(q, tl.trans(k)) * qk_scale
        if DIAGONAL:
            qk = tl.where(offs_m[:, None] >= cols[None, :], qk, float("-inf"))
        m_new = tl.maximum(m_i, tl.max(qk, 1))
        p = tl.math.exp2(qk - m_new[:, None])
        alpha = tl.math.exp2(m_i - m_new)
        l_i = l_i * alpha + tl.sum(p, 1)
        v = tl.load(v_base + cols[:, None] * stride_s + offs_d[None, :])
        acc = acc * alpha[:, None]
        acc = tl.dot(p.to(v.dtype), v, acc)
        m_i = m_new
    return acc, l_i, m_i


@triton.jit
def attn_fwd_kernel(q_ptr, k_ptr, v_ptr, o_ptr, sm_scale, H, S, stride_z, stride_h, stride_s,
                    HEAD_D: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, CAUSAL: tl.constexpr):
    # q, k, v, o: [B, H, S, HEAD_D], contiguous in HEAD_D; S a multiple of BLOCK_M and BLOCK_N
    pid_m = tl.program_id(0)
    bh = tl.program_id(1)
    base = (bh // H).to(tl.int64) * stride_z + (bh % H).to(tl.int64) * stride_h
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, HEAD_D)
    q = tl.load(q_ptr + base + offs_m[:, None] * stride_s + offs_d[None, :])
    m_i = tl.full([BLOCK_M], float("-inf"), dtype=tl.float32)
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
    acc = tl.zeros([BLOCK_M, HEAD_D], dtype=tl.float32)
    qk_scale = sm_scale * 1.4426950408889634
    if CAUSAL:
        # key blocks left of the diagonal need no mask; the diagonal blocks do
        acc, l_i, m_i = _attn_blocks(acc, l_i, m_i, q, k_ptr + base, v_ptr + base, stride_s, offs_m, offs_n, offs_d,
                                     0, pid_m * BLOCK_M, qk_scale, BLOCK_N, False)
        acc, l_i, m_i = _attn_blocks(acc, l_i, m_i, q, k_ptr + base, v_ptr + base, stride_s, offs_m, offs_n, offs_d,
                                     pid_m * BLOCK_M, (pid_m + 1) * BLOCK_M, qk_scale, BLOCK_N, True)
    else:
        acc, l_i, m_i = _attn_blocks(acc, l_i, m_i, q, k_ptr + base, v_ptr + base, stride_s, offs_m, offs_n, offs_d,
                                     0, S, qk_scale, BLOCK_N, False)
    o = acc / l_i[:, None]
    tl.store(o_ptr + base + offs_m[:, None] * stride_s + offs_d[None, :], o.to(o_ptr.dtype.element_ty))


@triton.jit
def dot_loop_kernel(a_ptr, b_ptr, c_ptr, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, ITERS: tl.constexpr):
    # compute proxy: one [BM, BK] x [BK, BN] tile pair, loaded once, ITERS dots, one store per program
    rm = tl.arange(0, BM)
    rn = tl.arange(0, BN)
    rk = tl.arange(0, BK)
    a = tl.load(a_ptr + rm[:, None] * BK + rk[None, :])
    b = tl.load(b_ptr + rk[:, None] * BN + rn[None, :])
    acc = tl.zeros((BM, BN), dtype=tl.float32)
    for _ in range(ITERS):
        acc = tl.dot(a, b, acc)
    c = c_ptr + tl.program_id(0).to(tl.int64) * (BM * BN)
    tl.store(c + rm[:, None] * BN + rn[None, :], acc)


# ---------------------------------------------------------------- cases

DT = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16, "i8": torch.int8}
# atol = rtol by input dtype: outputs are O(1); f32 inputs are tf32 on CUDA (ours may be IEEE f32)
TOL = {"f16": 1e-2, "bf16": 2e-2, "f32": 2e-2, "i8": 0.0}


def _dot_loop_case(g, dev, small):
    # 3168 programs: 24 per multiprocessor of the H200, whole waves at 2, 3 or 4 workgroups each;
    # 1024 iterations, so that loading the tiles and storing the result take about 2% of the time
    BM, BN, BK, iters, progs = (64, 64, 32, 16, 4) if small else (128, 64, 16, 1024, 3168)
    # randn / 8: a @ b is O(1), acc O(iters); the same tile pair for every program
    a = (torch.randn(BM, BK, device=dev, generator=g) / 8).to(torch.float16)
    b = (torch.randn(BK, BN, device=dev, generator=g) / 8).to(torch.float16)
    c = torch.empty(progs, BM, BN, device=dev)
    return Case("dot_loop_f16 (compute proxy)", {"a": a, "b": b, "c": c},
                lambda t: dot_loop_kernel[(progs,)](t["a"], t["b"], t["c"], BM=BM, BN=BN, BK=BK, ITERS=iters,
                                                   num_warps=4),
                ["c"], 2 * BM * BN * BK * iters * progs, 1e-2, 1e-3)


def _matmul_cases(g, dev, small):
    # name, input dtype, M, N, K, variant
    specs = [("matmul_f16_4096", "f16", 4096, 4096, 4096, ""),
             ("matmul_f16_8192", "f16", 8192, 8192, 8192, ""),
             ("matmul_f16_4096x4096x1024", "f16", 4096, 4096, 1024, ""),
             ("matmul_f16_4096x4096x8192", "f16", 4096, 4096, 8192, ""),
             ("matmul_bf16_4096", "bf16", 4096, 4096, 4096, ""),
             ("matmul_f32_4096", "f32", 4096, 4096, 4096, ""),
             ("matmul_i8_4096", "i8", 4096, 4096, 4096, ""),
             ("matmul_bias_relu_4096", "f16", 4096, 4096, 4096, "bias_relu"),
             ("matmul_blockptr_f16_4096", "f16", 4096, 4096, 4096, "blockptr")]
    BM, BN, BK = (64, 64, 32) if small else (128, 128, 64)
    for name, dn, M, N, K, variant in specs:
        if small:
            M, N, K = M // 16, N // 16, K // 16
        dt = DT[dn]
        if dn == "i8":  # exact i32 sums: |c| <= 64 * K
            a = torch.randint(-8, 8, (M, K), device=dev, generator=g, dtype=torch.int8)
            b = torch.randint(-8, 8, (K, N), device=dev, generator=g, dtype=torch.int8)
            c = torch.empty(M, N, device=dev, dtype=torch.int32)
        else:  # entries of a, b ~ N(0, 1/sqrt(K)): c ~ N(0, 1)
            s = K ** -0.25
            a = (torch.randn(M, K, device=dev, generator=g) * s).to(dt)
            b = (torch.randn(K, N, device=dev, generator=g) * s).to(dt)
            c = torch.empty(M, N, device=dev, dtype=dt)
        tensors = {"a": a, "b": b, "c": c}
        grid = (triton.cdiv(M, BM) * triton.cdiv(N, BN),)
        meta = dict(BLOCK_M=BM, BLOCK_N=BN, BLOCK_K=BK, GROUP_M=8, num_warps=4, num_stages=3)
        if variant == "blockptr":
            def launch(t, M=M, N=N, K=K, grid=grid, meta=meta):
                a, b, c = t["a"], t["b"], t["c"]
                return matmul_blockptr_kernel[grid](a, b, c, M, N, K, a.stride(0), a.stride(1), b.stride(0), b.stride(1),
                                             c.stride(0), c.stride(1), **meta)
        else:
            if variant == "bias_relu":
                tensors["bias"] = torch.randn(N, device=dev, generator=g).to(dt)

            def launch(t, M=M, N=N, K=K, grid=grid, meta=meta, int_acc=dn == "i8", bias_relu=variant == "bias_relu"):
                a, b, c = t["a"], t["b"], t["c"]
                return matmul_kernel[grid](a, b, c, t["bias"] if bias_relu else None, M, N, K, a.stride(0), a.stride(1),
                                    b.stride(0), b.stride(1), c.stride(0), c.stride(1),
                                    INT_ACC=int_acc, BIAS_RELU=bias_relu, **meta)
        yield Case(name, tensors, launch, ["c"], 2 * M * N * K, TOL[dn], TOL[dn])


def _bmm_case(g, dev, small):
    batch, M, N, K = (4, 128, 128, 128) if small else (8, 1024, 1024, 1024)
    BB, BM, BN, BK = (2, 32, 32, 32) if small else (2, 64, 64, 64)
    s = K ** -0.25
    a = (torch.randn(batch, M, K, device=dev, generator=g) * s).half()
    b = (torch.randn(batch, K, N, device=dev, generator=g) * s).half()
    c = torch.empty(batch, M, N, device=dev, dtype=torch.float16)
    grid = (triton.cdiv(M, BM), triton.cdiv(N, BN), triton.cdiv(batch, BB))

    def launch(t):
        a, b, c = t["a"], t["b"], t["c"]
        return bmm_kernel[grid](a, b, c, batch, M, N, K, *a.stride(), *b.stride(), *c.stride(),
                         BB=BB, BM=BM, BN=BN, BK=BK, num_warps=4, num_stages=3)
    return Case("bmm_f16", {"a": a, "b": b, "c": c}, launch, ["c"], 2 * batch * M * N * K, 1e-2, 1e-2)


def _attention_cases(g, dev, small):
    # (head dim, sequence length, causal, batch, heads); each case at most about 1.1 TFLOP
    specs = [(d, s, causal, 4, 16) for d in (64, 128) for s in (1024, 4096) for causal in (False, True)]
    specs.append((64, 16384, False, 4, 4))
    for d, S, causal, B, H in specs:
        name = f"attn_d{d}_s{S}" + ("_causal" if causal else "")
        BLOCK_M, BLOCK_N, warps = (128, 64, 4 if d == 64 else 8)
        if small:
            S, B, H = {1024: 128, 4096: 256, 16384: 512}[S], 1, 2
            BLOCK_M, BLOCK_N, warps = 64, 32, 4
        assert S % BLOCK_M == 0 and S % BLOCK_N == 0
        q, k, v = (torch.randn(B, H, S, d, device=dev, generator=g).half() for _ in range(3))
        o = torch.empty_like(q)
        grid = (S // BLOCK_M, B * H)

        def launch(t, d=d, S=S, H=H, causal=causal, grid=grid, BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, warps=warps):
            q = t["q"]
            return attn_fwd_kernel[grid](q, t["k"], t["v"], t["o"], d ** -0.5, H, S, q.stride(0), q.stride(1), q.stride(2),
                                  HEAD_D=d, BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, CAUSAL=causal,
                                  num_warps=warps, num_stages=3)
        flops = 4 * B * H * S * S * d // (2 if causal else 1)
        yield Case(name, {"q": q, "k": k, "v": v, "o": o}, launch, ["o"], flops, 1e-2, 1e-2)


def all_cases(g, dev, small):
    yield _dot_loop_case(g, dev, small)
    yield from _matmul_cases(g, dev, small)
    yield _bmm_case(g, dev, small)
    yield from _attention_cases(g, dev, small)


# ---------------------------------------------------------------- driver (tools/bench/harness.py)

PROXY = "(compute proxy)"
LEGEND = (f"ratio = CUDA ms / Vulkan ms (> 1: Vulkan faster). dot_loop_f16 {PROXY}: no real kernel, one tile "
          "pair per program and tl.dot in a loop with no memory traffic: each backend's dot ceiling (not in "
          "the geometric mean). On Hopper, 'mma.sync ms' is Triton's CUDA build of the same kernel with "
          "DISABLE_MMA_V3=1 (HMMA, the instruction Vulkan's cooperative matrices reach, instead of wgmma), "
          "'vs mma.sync' that build's ms / Vulkan ms.")


def _ceiling_note(r, rows):
    """The row's Vulkan TFLOP/s as a share of the compute proxy's (the Vulkan dot ceiling)."""
    proxy = next((x for x in rows if x["kernel"].endswith(PROXY) and x.get("vulkan_ms")), None)
    if proxy is None or r is proxy or not r.get("vulkan_ms"):
        return ""
    share = (r["flops"] / r["vulkan_ms"]) / (proxy["flops"] / proxy["vulkan_ms"])
    return f" {share:.0%} of Vk ceiling"


def _mma_sync(have_cuda):
    """Triton's mma.sync build on Hopper (DISABLE_MMA_V3=1), where wgmma is the default."""
    return harness.CudaAlt("mma.sync", {"DISABLE_MMA_V3": "1"}) if torch.cuda.get_device_capability()[0] == 9 else None


def main():
    return harness.main(all_cases, harness.TFLOPS, width=30, legend=LEGEND, note=_ceiling_note,
                        in_summary=lambda i, r: not r["kernel"].endswith(PROXY), cuda_alt=_mma_sync)


if __name__ == "__main__":
    sys.exit(main())
