"""Where the fp16 matmul's time goes (issue 8): tools/bench/tensorcore.py's matmul at 4096^3 with
the benchmark's tiles (128 x 128 x 64, 4 warps, 3 stages), on both backends, with the K loop's
pointer advance multiplied by a run-time `adv`:

  - "real" (adv 1): the benchmark's matmul, results checked against CUDA's;
  - "k_hot" (adv 0): every K iteration loads the same A and B tiles, which stay in L1/L2. The
    kernel is the same (the advance is a run-time splat, so the pointers stay tensor inductions
    and the loads stay 16-byte and pipelined); only the loads' latency and bandwidth go away.

  - "real_vk8w": the real matmul with 8 warps on the Vulkan side (CUDA keeps 4): 64 x 32 per
    subgroup instead of 64 x 64, one workgroup per multiprocessor instead of two.

"k_hot" is a timing probe, not a matmul (not checked). If it is much faster than "real", the
loop waits for global memory and deeper prefetching would pay; if not, the staging, fragment
loads, barriers and multiply-adds bound it.

    python3 tools/device/probe/matmul_bounds.py [--small] [--only name,name]
"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bench"))

import torch  # noqa: E402
import triton  # noqa: E402
import triton.language as tl  # noqa: E402

import harness  # noqa: E402
from harness import Case  # noqa: E402
from tensorcore import grouped_tile  # noqa: E402


@triton.jit(do_not_specialize=["adv"])  # one kernel for adv 1 and 0
def matmul_adv_kernel(a_ptr, b_ptr, c_ptr, M, N, K, stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                      adv, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr):
    pid_m, pid_n = grouped_tile(M, N, BLOCK_M, BLOCK_N, GROUP_M)
    offs_am = (pid_m * BLOCK_M + tl.arange(0, BLOCK_M)) % M
    offs_bn = (pid_n * BLOCK_N + tl.arange(0, BLOCK_N)) % N
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + offs_am[:, None] * stride_am + offs_k[None, :] * stride_ak
    b_ptrs = b_ptr + offs_k[:, None] * stride_bk + offs_bn[None, :] * stride_bn
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        a = tl.load(a_ptrs, mask=offs_k[None, :] < K - k * BLOCK_K, other=0)
        b = tl.load(b_ptrs, mask=offs_k[:, None] < K - k * BLOCK_K, other=0)
        acc = tl.dot(a, b, acc)
        a_ptrs += BLOCK_K * stride_ak * adv
        b_ptrs += BLOCK_K * stride_bk * adv
    offs_cm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_cn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    c_ptrs = c_ptr + stride_cm * offs_cm[:, None] + stride_cn * offs_cn[None, :]
    tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty), mask=(offs_cm[:, None] < M) & (offs_cn[None, :] < N))


def cases(g, dev, small):
    M = N = K = 256 if small else 4096
    BM, BN, BK = (64, 64, 32) if small else (128, 128, 64)
    s = K ** -0.25
    for name, adv, vw in (("real", 1, 4), ("k_hot", 0, 4), ("real_vk8w", 1, 8)):
        a = (torch.randn(M, K, device=dev, generator=g) * s).half()
        b = (torch.randn(K, N, device=dev, generator=g) * s).half()
        c = torch.empty(M, N, device=dev, dtype=torch.float16)
        grid = (triton.cdiv(M, BM) * triton.cdiv(N, BN),)

        def launch(t, adv=adv, grid=grid, vw=vw):
            a, b, c = t["a"], t["b"], t["c"]
            w = 4 if getattr(a, "is_cuda", False) else vw
            return matmul_adv_kernel[grid](a, b, c, M, N, K, a.stride(0), a.stride(1), b.stride(0), b.stride(1),
                                           c.stride(0), c.stride(1), adv, BLOCK_M=BM, BLOCK_N=BN, BLOCK_K=BK,
                                           GROUP_M=8, num_warps=w, num_stages=3)
        yield Case(f"matmul_f16_{name}", {"a": a, "b": b, "c": c}, launch, ["c"] if adv else [],
                   2 * M * N * K, 2e-2, 2e-2)


if __name__ == "__main__":
    sys.exit(harness.main(cases, harness.TFLOPS, width=30))
