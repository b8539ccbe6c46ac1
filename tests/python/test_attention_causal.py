"""Causal and bf16 attention forward, the forms flash-attention kernels take: the key blocks left
of the diagonal in one loop and the diagonal blocks, masked by a select, in a second loop that
continues the first loop's accumulator and row statistics; one loop with an additive mask
(`qk + tl.where(mask, 0, -1e6)`, as Triton's tutorial 06 writes its diagonal stage); and bf16
operands. On a device with VK_NV_cooperative_matrix2 and TVK_FRAGMENT_ROWS=1 their softmax runs
on the score fragments (lower/fragment_rows.h: chained loops, masks recomputed per element, P
rounded to bf16); elsewhere they take the other paths. Compared with numpy."""
import numpy as np
import pytest


@pytest.fixture(scope="module")
def kernels(triton_vk):
    tl = triton_vk.language
    jit = triton_vk.jit

    @jit
    def blocks(acc, l_i, m_i, q, k_ptr, v_ptr, rm, lo, hi, scale,
               D: tl.constexpr, BN: tl.constexpr, DIAGONAL: tl.constexpr):
        rn = tl.arange(0, BN)
        rd = tl.arange(0, D)
        for start in range(lo, hi, BN):
            cols = start + rn
            k = tl.load(k_ptr + cols[:, None] * D + rd[None, :])
            qk = tl.dot(q, tl.trans(k)) * scale
            if DIAGONAL:
                qk = tl.where(rm[:, None] >= cols[None, :], qk, float("-inf"))
            m_new = tl.maximum(m_i, tl.max(qk, 1))
            p = tl.math.exp2(qk - m_new[:, None])
            alpha = tl.math.exp2(m_i - m_new)
            l_i = l_i * alpha + tl.sum(p, 1)
            v = tl.load(v_ptr + cols[:, None] * D + rd[None, :])
            acc = acc * alpha[:, None]
            acc = tl.dot(p.to(v.dtype), v, acc)
            m_i = m_new
        return acc, l_i, m_i

    @jit
    def causal_two_loops(q_ptr, k_ptr, v_ptr, o_ptr, scale, D: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr):
        pid = tl.program_id(0)
        rm = pid * BM + tl.arange(0, BM)
        rd = tl.arange(0, D)
        q = tl.load(q_ptr + rm[:, None] * D + rd[None, :])
        m_i = tl.full([BM], float("-inf"), dtype=tl.float32)
        l_i = tl.zeros([BM], dtype=tl.float32)
        acc = tl.zeros([BM, D], dtype=tl.float32)
        acc, l_i, m_i = blocks(acc, l_i, m_i, q, k_ptr, v_ptr, rm, 0, pid * BM, scale, D, BN, False)
        acc, l_i, m_i = blocks(acc, l_i, m_i, q, k_ptr, v_ptr, rm, pid * BM, (pid + 1) * BM, scale, D, BN, True)
        tl.store(o_ptr + rm[:, None] * D + rd[None, :], acc / l_i[:, None])

    @jit
    def causal_additive(q_ptr, k_ptr, v_ptr, o_ptr, scale, D: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr):
        pid = tl.program_id(0)
        rm = pid * BM + tl.arange(0, BM)
        rn = tl.arange(0, BN)
        rd = tl.arange(0, D)
        q = tl.load(q_ptr + rm[:, None] * D + rd[None, :])
        m_i = tl.full([BM], float("-inf"), dtype=tl.float32)
        l_i = tl.zeros([BM], dtype=tl.float32)
        acc = tl.zeros([BM, D], dtype=tl.float32)
        for start in range(0, (pid + 1) * BM, BN):
            k = tl.load(k_ptr + (start + rn)[:, None] * D + rd[None, :])
            qk = tl.dot(q, tl.trans(k))
            qk = qk * scale + tl.where(rm[:, None] >= (start + rn)[None, :], 0, -1.0e6)
            m_new = tl.maximum(m_i, tl.max(qk, 1))
            p = tl.math.exp2(qk - m_new[:, None])
            alpha = tl.math.exp2(m_i - m_new)
            l_i = l_i * alpha + tl.sum(p, 1)
            v = tl.load(v_ptr + (start + rn)[:, None] * D + rd[None, :])
            acc = acc * alpha[:, None]
            acc = tl.dot(p.to(v.dtype), v, acc)
            m_i = m_new
        tl.store(o_ptr + rm[:, None] * D + rd[None, :], acc / l_i[:, None])

    return dict(two_loops=causal_two_loops, additive=causal_additive)


def _reference(q, k, v, causal):
    D = q.shape[1]
    s = q.astype(np.float64) @ k.astype(np.float64).T * D ** -0.5
    if causal:
        s = np.where(np.tril(np.ones(s.shape, dtype=bool)), s, -np.inf)
    p = np.exp(s - s.max(1, keepdims=True))
    return (p / p.sum(1, keepdims=True)) @ v.astype(np.float64)


# (D, BM, BN, num_warps): the benchmark's head-dim-64 and -128 tiles and a small one.
CONFIGS = [(64, 64, 32, 4), (64, 128, 64, 4), (128, 128, 64, 8)]


# Each case compiles its kernel (about 15 s on lavapipe): the additive form at the d64 tiles only.
@pytest.mark.parametrize("form,cfg", [("two_loops", c) for c in CONFIGS] + [("additive", CONFIGS[1])])
def test_causal_attention(kernels, torch, cfg, form):
    D, BM, BN, warps = cfg
    S = 2 * BM
    rng = np.random.default_rng(D + BM + len(form))
    q, k, v = (rng.standard_normal((S, D)).astype(np.float16) for _ in range(3))
    o = torch.zeros((S, D))
    scale = D ** -0.5 * 1.4426950408889634
    kernels[form][(S // BM,)](torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v), o, scale,
                              D=D, BM=BM, BN=BN, num_warps=warps)
    np.testing.assert_allclose(o.numpy(), _reference(q, k, v, True), rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("cfg", CONFIGS[:1])
def test_bf16_causal_attention(kernels, torch, cfg):
    D, BM, BN, warps = cfg
    S = 2 * BM
    rng = np.random.default_rng(7 * D + BM)
    q, k, v = (rng.standard_normal((S, D)).astype(np.float32) for _ in range(3))
    tq, tk, tv = (torch.from_numpy(x).to(torch.bfloat16) for x in (q, k, v))
    o = torch.zeros((S, D))
    scale = D ** -0.5 * 1.4426950408889634
    kernels["two_loops"][(S // BM,)](tq, tk, tv, o, scale, D=D, BM=BM, BN=BN, num_warps=warps)
    rq, rk, rv = (x.to(torch.float32).numpy() for x in (tq, tk, tv))  # the bf16 inputs, exactly
    np.testing.assert_allclose(o.numpy(), _reference(rq, rk, rv, True), rtol=3e-2, atol=3e-2)
