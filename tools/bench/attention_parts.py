"""Where attention's time goes: tools/bench/tensorcore.py's non-causal attention forward loop, whole
and with parts left out, on both backends in one process (tools/bench/harness.py: CUDA first, the
Vulkan result checked against CUDA's, ratios printed). Each variant computes something different
but the same on both sides, so each is checked. Head dims 64 and 128 at S = 4096, B = 4, H = 16,
the tensorcore benchmark's tiles and warps.

Parts (PART):
  full      the loop as in tensorcore.py (QK^T, row max, exp2, row sum, rescale, P V);
  dots      both dots, no softmax: P = QK^T cast to f16 (the score tile still becomes the second
            dot's A operand);
  no_scale  the full loop without the accumulator's rescale (acc * alpha);
  qk_max    the first dot and the row max only (no exp2, no second dot);
  softmax   the first dot and the online softmax statistics, no second dot;
  prefetch  the full loop with K and V of the next key block loaded at the top of each
            iteration (software pipelining by hand, one block ahead in registers).

Usage: python3 tools/bench/attention_parts.py [--small] [--only name,name] [--json FILE]
"""
import os
import sys

import torch
import triton
import triton.language as tl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PARTS = ["full", "dots", "no_scale", "qk_max", "softmax", "prefetch"]


@triton.jit
def attn_part_kernel(q_ptr, k_ptr, v_ptr, o_ptr, sm_scale, S, stride_bh, stride_s,
                     HEAD_D: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, PART: tl.constexpr):
    # q, k, v, o: [B * H, S, HEAD_D] contiguous; S a multiple of BLOCK_M and BLOCK_N
    base = tl.program_id(1).to(tl.int64) * stride_bh
    offs_m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, HEAD_D)
    q = tl.load(q_ptr + base + offs_m[:, None] * stride_s + offs_d[None, :])
    m_i = tl.full([BLOCK_M], float("-inf"), dtype=tl.float32)
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
    acc = tl.zeros([BLOCK_M, HEAD_D], dtype=tl.float32)
    qk_scale = sm_scale * 1.4426950408889634
    if PART == 5:  # prefetch: K and V of the first block before the loop
        k_next = tl.load(k_ptr + base + offs_n[:, None] * stride_s + offs_d[None, :])
        v_next = tl.load(v_ptr + base + offs_n[:, None] * stride_s + offs_d[None, :])
    for start_n in range(0, S, BLOCK_N):
        cols = start_n + offs_n
        if PART == 5:
            k = k_next
            v = v_next
            more = (start_n + BLOCK_N + offs_n) < S
            k_next = tl.load(k_ptr + base + (cols + BLOCK_N)[:, None] * stride_s + offs_d[None, :],
                             mask=more[:, None], other=0.0)
            v_next = tl.load(v_ptr + base + (cols + BLOCK_N)[:, None] * stride_s + offs_d[None, :],
                             mask=more[:, None], other=0.0)
        else:
            k = tl.load(k_ptr + base + cols[:, None] * stride_s + offs_d[None, :])
        qk = tl.dot(q, tl.trans(k)) * qk_scale
        if PART == 1:  # dots
            v = tl.load(v_ptr + base + cols[:, None] * stride_s + offs_d[None, :])
            acc = tl.dot(qk.to(v.dtype), v, acc)
        elif PART == 3:  # qk_max
            m_i = tl.maximum(m_i, tl.max(qk, 1))
        else:
            m_new = tl.maximum(m_i, tl.max(qk, 1))
            p = tl.math.exp2(qk - m_new[:, None])
            alpha = tl.math.exp2(m_i - m_new)
            l_i = l_i * alpha + tl.sum(p, 1)
            if PART != 4:  # full, no_scale, prefetch
                if PART != 5:
                    v = tl.load(v_ptr + base + cols[:, None] * stride_s + offs_d[None, :])
                if PART != 2:
                    acc = acc * alpha[:, None]
                acc = tl.dot(p.to(v.dtype), v, acc)
            m_i = m_new
    if PART == 1:
        o = acc / S
    elif PART == 3:
        o = acc + m_i[:, None]
    elif PART == 4:
        o = acc + l_i[:, None] / S + m_i[:, None]
    else:
        o = acc / l_i[:, None]
    tl.store(o_ptr + base + offs_m[:, None] * stride_s + offs_d[None, :], o.to(o_ptr.dtype.element_ty))


def all_cases(g, dev, small):
    for d in (64, 128):
        S, B, H = (256, 1, 2) if small else (4096, 4, 16)
        BLOCK_M, BLOCK_N, warps = (64, 32, 4) if small else (128, 64, 4 if d == 64 else 8)
        q, k, v = (torch.randn(B * H, S, d, device=dev, generator=g).half() for _ in range(3))
        o = torch.empty_like(q)
        for i, part in enumerate(PARTS):
            def launch(t, d=d, S=S, i=i, BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, warps=warps):
                q = t["q"]
                attn_part_kernel[(S // BLOCK_M, q.shape[0])](
                    q, t["k"], t["v"], t["o"], d ** -0.5, S, q.stride(0), q.stride(1),
                    HEAD_D=d, BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, PART=i, num_warps=warps, num_stages=3)
            dots = 1 if part in ("qk_max", "softmax") else 2
            yield harness.Case(f"attn_d{d}_{part}", {"q": q, "k": k, "v": v, "o": o}, launch, ["o"],
                               2 * dots * B * H * S * S * d, 1e-2, 1e-2)


def main():
    return harness.main(all_cases, harness.TFLOPS, width=24,
                        legend="ratio = CUDA ms / Vulkan ms; TFLOP/s counts the dots each part keeps.")


if __name__ == "__main__":
    sys.exit(main())
