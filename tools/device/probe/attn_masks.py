"""Why tutorial 06's attention forward runs at a quarter of tools/bench/tensorcore.py's on the
Vulkan backend (H200, head dim 128: 15 against 66-75 TFLOP/s). The tutorial's K and V come from
tensor descriptors, which the frontend turns into masked loads whose pointers are rebuilt every
iteration from a 64-bit row offset, with row bounds 0 <= row < Z * H * N_CTX. The benchmark's
kernel advances plain pointers without masks. Variants of the benchmark's attention (all compute
attention; results checked against CUDA):
    plain        as in tools/bench/tensorcore.py
    masked       K and V loads masked (rows < S, columns < HEAD_D), other 0
    rebuilt      pointers rebuilt every iteration from a 64-bit row of the flattened [Z*H*S, D]
    rebuilt_mask both, with the descriptor's row bounds: as the tutorial's TTIR

    python3 tools/device/probe/attn_masks.py [--small] [--only name,name]
"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bench"))

import torch  # noqa: E402
import triton  # noqa: E402
import triton.language as tl  # noqa: E402

import harness  # noqa: E402
from harness import Case  # noqa: E402


@triton.jit
def attn_masks_kernel(q_ptr, k_ptr, v_ptr, o_ptr, sm_scale, H, S, Y,
                      HEAD_D: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                      MASKED: tl.constexpr, REBUILT: tl.constexpr):
    # q, k, v, o: [B, H, S, HEAD_D] contiguous; Y = B * H * S rows of the flattened tensors
    pid_m = tl.program_id(0)
    bh = tl.program_id(1)
    row0 = bh * S
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, HEAD_D)
    base = row0.to(tl.int64) * HEAD_D
    q = tl.load(q_ptr + base + offs_m[:, None] * HEAD_D + offs_d[None, :])
    m_i = tl.full([BLOCK_M], float("-inf"), dtype=tl.float32)
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
    acc = tl.zeros([BLOCK_M, HEAD_D], dtype=tl.float32)
    qk_scale = sm_scale * 1.4426950408889634
    off = row0
    for start_n in range(0, S, BLOCK_N):
        if REBUILT:
            rows = (off + offs_n).to(tl.int64)
            kp = k_ptr + rows[:, None] * HEAD_D + offs_d[None, :]
            vp = v_ptr + rows[:, None] * HEAD_D + offs_d[None, :]
            if MASKED:
                m = ((rows[:, None] >= 0) & (rows[:, None] < Y)) & (offs_d[None, :] < HEAD_D)
        else:
            cols = start_n + offs_n
            kp = k_ptr + base + cols[:, None] * HEAD_D + offs_d[None, :]
            vp = v_ptr + base + cols[:, None] * HEAD_D + offs_d[None, :]
            if MASKED:
                m = (cols[:, None] < S) & (offs_d[None, :] < HEAD_D)
        if MASKED:
            k = tl.load(kp, mask=m, other=0.0)
        else:
            k = tl.load(kp)
        qk = tl.dot(q, tl.trans(k))
        m_new = tl.maximum(m_i, tl.max(qk, 1) * qk_scale)
        p = tl.math.exp2(qk * qk_scale - m_new[:, None])
        alpha = tl.math.exp2(m_i - m_new)
        l_i = l_i * alpha + tl.sum(p, 1)
        if MASKED:
            v = tl.load(vp, mask=m, other=0.0)
        else:
            v = tl.load(vp)
        acc = acc * alpha[:, None]
        acc = tl.dot(p.to(v.dtype), v, acc)
        m_i = m_new
        off += BLOCK_N
    o = acc / l_i[:, None]
    tl.store(o_ptr + base + offs_m[:, None] * HEAD_D + offs_d[None, :], o.to(o_ptr.dtype.element_ty))


VARIANTS = {"plain": (False, False), "masked": (True, False), "rebuilt": (False, True),
            "rebuilt_mask": (True, True)}


def cases(g, dev, small):
    for d in (128, 64):
        S, B, H = (256, 1, 2) if small else (4096, 4, 16)
        BLOCK_M, BLOCK_N, warps = (64, 32, 4) if small else (128, 64, 8 if d == 128 else 4)
        for name, (masked, rebuilt) in VARIANTS.items():
            q, k, v = (torch.randn(B, H, S, d, device=dev, generator=g).half() for _ in range(3))
            o = torch.empty_like(q)
            grid = (S // BLOCK_M, B * H)

            def launch(t, d=d, S=S, B=B, H=H, grid=grid, BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, warps=warps,
                       f=(masked, rebuilt)):
                attn_masks_kernel[grid](t["q"], t["k"], t["v"], t["o"], d ** -0.5, H, S, B * H * S,
                                        HEAD_D=d, BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, MASKED=f[0], REBUILT=f[1],
                                        num_warps=warps, num_stages=3)
            yield Case(f"attn_d{d}_{name}", {"q": q, "k": k, "v": v, "o": o}, launch, ["o"],
                       4 * B * H * S * S * d, 1e-2, 1e-2)


if __name__ == "__main__":
    sys.exit(harness.main(cases, harness.TFLOPS, width=30))
