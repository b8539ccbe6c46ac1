"""Row layouts (analysis/vector_width.h): a 2-D tile reduced along its rows, with every
invocation able to hold whole rows (rows >= invocations), gets v = the row length, so that the
row reductions combine registers and the broadcasts back along the rows are register moves.
With fewer rows than invocations (in tiles that meet a tl.dot), each row is split over adjacent
invocations of one subgroup and its statistics are repeated over the same invocations.
These kernels compare softmax-style row reductions, a multi-operand row reduction (argmax) and
an online-softmax attention loop (two tl.dots, a loop-carried accumulator rescaled by rows)
with numpy, at tile shapes that take the row layout and at shapes that do not."""
import numpy as np
import pytest


@pytest.fixture(scope="module")
def kernels(triton_vk):
    tl = triton_vk.language
    jit = triton_vk.jit

    @jit
    def row_softmax(x_ptr, y_ptr, M: tl.constexpr, N: tl.constexpr):
        rm = tl.arange(0, M)
        rn = tl.arange(0, N)
        x = tl.load(x_ptr + rm[:, None] * N + rn[None, :])
        m = tl.max(x, 1)
        e = tl.exp(x - m[:, None])
        s = tl.sum(e, 1)
        tl.store(y_ptr + rm[:, None] * N + rn[None, :], e / s[:, None])

    @jit
    def row_argmax(x_ptr, i_ptr, M: tl.constexpr, N: tl.constexpr):
        rm = tl.arange(0, M)
        rn = tl.arange(0, N)
        x = tl.load(x_ptr + rm[:, None] * N + rn[None, :])
        tl.store(i_ptr + rm, tl.argmax(x, 1))

    @jit
    def attention(q_ptr, k_ptr, v_ptr, o_ptr, m_ptr, S, scale,
                  D: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr):
        rm = tl.program_id(0) * BM + tl.arange(0, BM)
        rn = tl.arange(0, BN)
        rd = tl.arange(0, D)
        q = tl.load(q_ptr + rm[:, None] * D + rd[None, :])
        m_i = tl.full([BM], float("-inf"), dtype=tl.float32)
        l_i = tl.zeros([BM], dtype=tl.float32)
        acc = tl.zeros([BM, D], dtype=tl.float32)
        for start in range(0, S, BN):
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
        # The row statistics are stored too: with split rows their class repeats each row over
        # adjacent invocations, of which only the first stores (Layout::repShift owners).
        tl.store(m_ptr + rm, m_i + tl.math.log2(l_i))
        tl.store(o_ptr + rm[:, None] * D + rd[None, :], acc / l_i[:, None])

    return dict(softmax=row_softmax, argmax=row_argmax, attention=attention)


# (M, N, num_warps): W = 32 x num_warps invocations; M >= W takes the row layout.
SHAPES = [(128, 16, 4), (64, 64, 2), (256, 32, 4), (32, 64, 4)]


@pytest.mark.parametrize("shape", SHAPES)
def test_row_softmax(kernels, torch, shape):
    M, N, warps = shape
    x = np.random.default_rng(M + N).standard_normal((M, N)).astype(np.float32) * 4
    y = torch.zeros((M, N))
    kernels["softmax"][(1,)](torch.from_numpy(x), y, M=M, N=N, num_warps=warps)
    e = np.exp(x - x.max(1, keepdims=True))
    np.testing.assert_allclose(y.numpy(), e / e.sum(1, keepdims=True), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", SHAPES)
def test_row_argmax(kernels, torch, shape):
    M, N, warps = shape
    x = np.random.default_rng(M * N).integers(-50, 50, (M, N)).astype(np.float32)
    i = torch.zeros(M, dtype=torch.int32)
    kernels["argmax"][(1,)](torch.from_numpy(x), i, M=M, N=N, num_warps=warps)
    assert np.array_equal(i.numpy(), x.argmax(1))  # first index of the maximum, as numpy


# (BM, BN, D, num_warps). Rows >= W take whole-row layouts; fewer rows than invocations split
# each row over W / BM adjacent invocations of a subgroup (split row layouts, the row statistics
# repeated over the same invocations): (32, 32, 32, 2) two per row, (32, 64, 64, 4) four,
# (16, 32, 32, 4) eight, (128, 64, 128, 8) two (the benchmark's head-dim-128 tiles).
ATTENTION = [(64, 32, 32, 2), (128, 64, 64, 4), (128, 64, 128, 4), (32, 32, 32, 2), (32, 64, 64, 4),
             (16, 32, 32, 4), (64, 64, 64, 8), (128, 64, 128, 8)]


@pytest.mark.parametrize("cfg", ATTENTION)
def test_online_softmax_attention(kernels, torch, cfg):
    BM, BN, D, warps = cfg
    S = 2 * max(BM, BN)
    rng = np.random.default_rng(BM + D)
    q, k, v = (rng.standard_normal((S, D)).astype(np.float16) for _ in range(3))
    o = torch.zeros((S, D))
    m = torch.zeros(S)
    scale = D ** -0.5 * 1.4426950408889634
    kernels["attention"][(S // BM,)](torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v), o, m, S, scale,
                                     D=D, BM=BM, BN=BN, num_warps=warps)
    s = q.astype(np.float64) @ k.astype(np.float64).T * D ** -0.5
    mx = s.max(1, keepdims=True)
    p = np.exp(s - mx)
    want = (p / p.sum(1, keepdims=True)) @ v.astype(np.float64)
    np.testing.assert_allclose(o.numpy(), want, rtol=2e-2, atol=2e-2)
    # log2 of the softmax denominator with the row maximum: m_i + log2(l_i)
    np.testing.assert_allclose(m.numpy(), (mx[:, 0] + np.log(p.sum(1))) * 1.4426950408889634, rtol=1e-3, atol=1e-2)
