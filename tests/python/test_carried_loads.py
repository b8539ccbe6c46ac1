"""Attention loops whose K and V tiles a device with cooperative matrices loads one iteration
ahead, carried by the loop (analysis/dot_prefetch.h planCarriedLoads, lower/dot_coopmat.cc
coopCarriedLoads): block pointers advanced by tl.advance with a masked tail (S not a multiple of
BN), and pointer tensors over a key range [lo, hi) given at run time, including one the loop never
enters and one of a single iteration. Compared with numpy; elsewhere the same kernels take the
portable path, so this also checks that both agree on the results."""
import numpy as np
import pytest


@pytest.fixture(scope="module")
def kernels(triton_vk):
    tl = triton_vk.language
    jit = triton_vk.jit

    @jit
    def attention_block_pointers(q_ptr, k_ptr, v_ptr, o_ptr, S, scale,
                                 D: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr):
        pid = tl.program_id(0)
        q_bp = tl.make_block_ptr(q_ptr, (S, D), (D, 1), (pid * BM, 0), (BM, D), (1, 0))
        kt_bp = tl.make_block_ptr(k_ptr, (D, S), (1, D), (0, 0), (D, BN), (0, 1))  # K^T
        v_bp = tl.make_block_ptr(v_ptr, (S, D), (D, 1), (0, 0), (BN, D), (1, 0))
        q = tl.load(q_bp, boundary_check=(0,), padding_option="zero")
        rn = tl.arange(0, BN)
        m_i = tl.full([BM], float("-inf"), dtype=tl.float32)
        l_i = tl.zeros([BM], dtype=tl.float32)
        acc = tl.zeros([BM, D], dtype=tl.float32)
        for start in range(0, S, BN):
            kt = tl.load(kt_bp, boundary_check=(1,), padding_option="zero")
            qk = tl.dot(q, kt) * scale
            qk = tl.where((start + rn)[None, :] < S, qk, float("-inf"))
            m_new = tl.maximum(m_i, tl.max(qk, 1))
            p = tl.math.exp2(qk - m_new[:, None])
            alpha = tl.math.exp2(m_i - m_new)
            l_i = l_i * alpha + tl.sum(p, 1)
            v = tl.load(v_bp, boundary_check=(0,), padding_option="zero")
            acc = acc * alpha[:, None]
            acc = tl.dot(p.to(v.dtype), v, acc)
            m_i = m_new
            kt_bp = tl.advance(kt_bp, (0, BN))
            v_bp = tl.advance(v_bp, (BN, 0))
        o_bp = tl.make_block_ptr(o_ptr, (S, D), (D, 1), (pid * BM, 0), (BM, D), (1, 0))
        tl.store(o_bp, acc / l_i[:, None], boundary_check=(0,))

    @jit
    def attention_range(q_ptr, k_ptr, v_ptr, o_ptr, l_ptr, lo, hi, scale,
                        D: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr):
        rm = tl.program_id(0) * BM + tl.arange(0, BM)
        rn = tl.arange(0, BN)
        rd = tl.arange(0, D)
        q = tl.load(q_ptr + rm[:, None] * D + rd[None, :])
        m_i = tl.full([BM], float("-inf"), dtype=tl.float32)
        l_i = tl.zeros([BM], dtype=tl.float32)
        acc = tl.zeros([BM, D], dtype=tl.float32)
        for start in range(lo, hi, BN):
            cols = start + rn
            k = tl.load(k_ptr + cols[:, None] * D + rd[None, :])
            qk = tl.dot(q, tl.trans(k)) * scale
            m_new = tl.maximum(m_i, tl.max(qk, 1))
            p = tl.math.exp2(qk - m_new[:, None])
            alpha = tl.math.exp2(m_i - m_new)
            l_i = l_i * alpha + tl.sum(p, 1)
            v = tl.load(v_ptr + cols[:, None] * D + rd[None, :])
            acc = acc * alpha[:, None]
            acc = tl.dot(p.to(v.dtype), v, acc)
            m_i = m_new
        tl.store(o_ptr + rm[:, None] * D + rd[None, :], acc)
        tl.store(l_ptr + rm, l_i)

    return {"block_pointers": attention_block_pointers, "range": attention_range}


def _softmax_weights(q, k, lo=0, hi=None):
    s = q.astype(np.float64) @ k[lo:hi].astype(np.float64).T * q.shape[1] ** -0.5
    return np.exp(s - s.max(1, keepdims=True))


@pytest.mark.parametrize("S", [100, 128])
def test_block_pointer_attention_with_a_masked_tail(kernels, torch, S):
    D, BM, BN = 64, 64, 32
    rng = np.random.default_rng(S)
    q, k, v = (rng.standard_normal((S, D)).astype(np.float16) for _ in range(3))
    o = torch.zeros((S, D))
    scale = D ** -0.5 * 1.4426950408889634
    kernels["block_pointers"][(triton_cdiv(S, BM),)](torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v),
                                                     o, S, scale, D=D, BM=BM, BN=BN, num_warps=4)
    p = _softmax_weights(q, k)
    want = p / p.sum(1, keepdims=True) @ v.astype(np.float64)
    np.testing.assert_allclose(o.numpy(), want, rtol=2e-2, atol=2e-2)


# (lo, hi): the loop over key blocks [lo, hi) in steps of BN runs 3 times, once, or never.
@pytest.mark.parametrize("span", [(32, 128), (64, 96), (96, 96)])
def test_attention_over_a_key_range(kernels, torch, span):
    lo, hi = span
    S, D, BM, BN = 128, 64, 64, 32
    rng = np.random.default_rng(lo + hi)
    q, k, v = (rng.standard_normal((S, D)).astype(np.float16) for _ in range(3))
    o = torch.full((S, D), 7.0)
    l = torch.full((S,), 7.0)
    scale = D ** -0.5 * 1.4426950408889634
    kernels["range"][(S // BM,)](torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v), o, l, lo, hi, scale,
                                 D=D, BM=BM, BN=BN, num_warps=4)
    if lo == hi:  # never entered: the initial accumulator and sum
        assert np.array_equal(o.numpy(), np.zeros((S, D), np.float32))
        assert np.array_equal(l.numpy(), np.zeros(S, np.float32))
        return
    # Unnormalized: acc = sum_j 2^(s_j - m) v_j and l = sum_j 2^(s_j - m) with the row maximum m.
    p = _softmax_weights(q, k, lo, hi)
    np.testing.assert_allclose(l.numpy(), p.sum(1), rtol=2e-2, atol=2e-2)
    np.testing.assert_allclose(o.numpy(), p @ v[lo:hi].astype(np.float64), rtol=2e-2, atol=5e-2)


def triton_cdiv(a, b):
    return (a + b - 1) // b
