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

    @jit
    def compose(m1, c1, m2, c2):  # x -> m x + c maps composed: associative, not commutative
        return m1 * m2, c1 * m2 + c2

    @jit
    def row_compose(a_ptr, b_ptr, t_ptr, o_ptr, BM: tl.constexpr, BK: tl.constexpr, BN: tl.constexpr):
        rm = tl.arange(0, BM)
        rk = tl.arange(0, BK)
        rn = tl.arange(0, BN)
        s = tl.dot(tl.load(a_ptr + rm[:, None] * BK + rk[None, :]), tl.load(b_ptr + rk[:, None] * BN + rn[None, :]))
        pm, pc = tl.reduce((tl.where(s > 0, 1.0, -1.0), s), 1, compose)
        tl.store(t_ptr + rm, pc)
        tl.store(o_ptr + rm[:, None] * BN + rn[None, :], s * 0 + pc[:, None])  # every copy of a row

    @jit
    def vec_compose(x_ptr, t_ptr, o_ptr, N: tl.constexpr):
        rn = tl.arange(0, N)
        x = tl.load(x_ptr + rn)
        pm, pc = tl.reduce((tl.where(x > 0, 1.0, -1.0), x), 0, compose)
        tl.store(t_ptr, pc)
        tl.store(o_ptr + rn, x * 0 + pc)  # the total in every invocation

    return dict(softmax=row_softmax, argmax=row_argmax, attention=attention, row_compose=row_compose,
                vec_compose=vec_compose)


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


def _compose(s):
    sign = np.where(s > 0, 1.0, -1.0)
    acc = s[..., 0].copy()
    for j in range(1, s.shape[-1]):
        acc = acc * sign[..., j] + s[..., j]
    return acc


@pytest.mark.parametrize("num_warps", [1, 4, 8])
def test_non_commutative_row_reduction_is_the_same_in_every_copy(kernels, torch, num_warps):
    """A tl.reduce whose combine is associative but not commutative. Triton leaves the order
    of a reduction to the implementation, but every invocation holding a copy of a total must
    hold the same one: the subgroup butterfly keeps the lower lane's values on the left (it
    combined "mine first", which differs between the two lanes of a pair). Over the rows of a
    tile that meets a tl.dot (split rows where rows < invocations) the total is also the
    sequential one."""
    BM, BK, BN = 32, 16, 64
    rs = np.random.RandomState(num_warps)
    a = rs.randint(-3, 4, (BM, BK)).astype(np.float16)
    b = rs.randint(-3, 4, (BK, BN)).astype(np.float16)
    t = torch.zeros(BM)
    o = torch.zeros(BM, BN)
    kernels["row_compose"][(1,)](torch.from_numpy(a), torch.from_numpy(b), t, o, BM=BM, BK=BK, BN=BN,
                                 num_warps=num_warps)
    want = _compose(a.astype(np.float64) @ b.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(t.numpy(), want)
    np.testing.assert_array_equal(o.numpy(), np.repeat(want[:, None], BN, axis=1))
    x = rs.randint(-3, 4, 256).astype(np.float32)
    t1, y = torch.zeros(1), torch.zeros(256)
    kernels["vec_compose"][(1,)](torch.from_numpy(x), t1, y, N=256, num_warps=num_warps)
    np.testing.assert_array_equal(y.numpy(), np.full(256, t1.item(), dtype=np.float32))
