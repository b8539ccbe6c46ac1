"""Where the attention forward's time goes: variants of tools/bench/tensorcore.py's attention
kernel with parts removed or changed, timed on both backends (results are checked only for the
variants that compute real attention: "full" and "kt", which loads K transposed instead of
calling tl.trans). The other variants are timing probes, not attention.

    python3 tools/device/probe/attn_parts.py [--small] [--only name,name]
"""
import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bench"))

import torch  # noqa: E402
import triton  # noqa: E402
import triton.language as tl  # noqa: E402

import harness  # noqa: E402
from harness import Case  # noqa: E402


@triton.jit
def attn_parts_kernel(q_ptr, k_ptr, v_ptr, o_ptr, sm_scale, H, S, stride_z, stride_h, stride_s,
                      HEAD_D: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                      KT: tl.constexpr, RESCALE: tl.constexpr, SOFTMAX: tl.constexpr, PV: tl.constexpr):
    pid_m = tl.program_id(0)
    bh = tl.program_id(1)
    base = (bh // H).to(tl.int64) * stride_z + (bh % H).to(tl.int64) * stride_h
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, HEAD_D)
    q = tl.load(q_ptr + base + offs_m[:, None] * stride_s + offs_d[None, :])
    m_i = tl.full([BLOCK_M], float("-inf"), dtype=tl.float32)
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32) + 1.0
    acc = tl.zeros([BLOCK_M, HEAD_D], dtype=tl.float32)
    qk_scale = sm_scale * 1.4426950408889634
    for start_n in range(0, S, BLOCK_N):
        cols = start_n + offs_n
        if KT:
            kt = tl.load(k_ptr + base + cols[None, :] * stride_s + offs_d[:, None])
            qk = tl.dot(q, kt) * qk_scale
        else:
            k = tl.load(k_ptr + base + cols[:, None] * stride_s + offs_d[None, :])
            qk = tl.dot(q, tl.trans(k)) * qk_scale
        if SOFTMAX:
            m_new = tl.maximum(m_i, tl.max(qk, 1))
            p = tl.math.exp2(qk - m_new[:, None])
            alpha = tl.math.exp2(m_i - m_new)
            l_i = l_i * alpha + tl.sum(p, 1)
            m_i = m_new
        else:
            p = qk
            alpha = l_i
        if PV:
            v = tl.load(v_ptr + base + cols[:, None] * stride_s + offs_d[None, :])
            if RESCALE:
                acc = acc * alpha[:, None]
            acc = tl.dot(p.to(v.dtype), v, acc)
        else:
            acc += tl.sum(p, 1)[:, None]
    o = acc / l_i[:, None]
    tl.store(o_ptr + base + offs_m[:, None] * stride_s + offs_d[None, :], o.to(o_ptr.dtype.element_ty))


D128_WARPS = int(os.environ.get("ATTN_D128_WARPS", "8"))

# name: (KT, RESCALE, SOFTMAX, PV); only the first two compute attention
VARIANTS = {
    "full": (False, True, True, True),
    "kt": (True, True, True, True),
    "kt_norescale": (True, False, True, True),
    "kt_nosoftmax": (True, False, False, True),
    "kt_qk_softmax_only": (True, False, True, False),
    "kt_qk_only": (True, False, False, False),
}


def cases(g, dev, small):
    for d in (64, 128):
        S, B, H = (256, 1, 2) if small else (4096, 4, 16)
        # ATTN_D128_WARPS: head dim 128 with another warp count (both backends), e.g. 4, where a
        # 128-row score tile takes the row layout (one row per invocation).
        BLOCK_M, BLOCK_N, warps = (64, 32, 4) if small else (128, 64, 4 if d == 64 else D128_WARPS)
        for name, (kt, rescale, softmax, pv) in VARIANTS.items():
            q, k, v = (torch.randn(B, H, S, d, device=dev, generator=g).half() for _ in range(3))
            o = torch.empty_like(q)
            grid = (S // BLOCK_M, B * H)

            def launch(t, d=d, S=S, H=H, grid=grid, BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, warps=warps, f=(kt, rescale, softmax, pv)):
                q = t["q"]
                attn_parts_kernel[grid](q, t["k"], t["v"], t["o"], d ** -0.5, H, S, q.stride(0), q.stride(1), q.stride(2),
                                        HEAD_D=d, BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, KT=f[0], RESCALE=f[1],
                                        SOFTMAX=f[2], PV=f[3], num_warps=warps, num_stages=3)
            real = name in ("full", "kt")
            yield Case(f"attn_d{d}_{name}", {"q": q, "k": k, "v": v, "o": o}, launch, ["o"] if real else [],
                       4 * B * H * S * S * d, 1e-2, 1e-2)


if __name__ == "__main__":
    sys.exit(harness.main(cases, harness.TFLOPS, width=30))
