"""Integer division and remainder by run-time divisors (lower/int_division.h: a reciprocal per
divisor, a Newton step and at most 3 corrections), checked exactly against numpy's truncating
division (C and Triton semantics) over every pair of edge values (0, +-1, powers of two and
their neighbours, the 32-bit extremes) and random pairs over the whole range: signed and
unsigned 32-bit, narrow types (i16, u8), per-element divisors and one scalar divisor shared
by all elements. Division by zero, undefined in Triton, gives a quotient of all ones and the
dividend as the remainder."""
import numpy as np
import pytest
from tvk_testlib import trunc_div

BLOCK = 1024
I32 = np.iinfo(np.int32)


def _edges():
    v = {0, 1, 2, 3, 5, 7, 10, 1000, 46341, I32.max, I32.max - 1}
    for k in range(1, 31):
        v |= {1 << k, (1 << k) - 1, (1 << k) + 1}
    v |= {-x for x in list(v)}
    v |= {I32.min, I32.min + 1}
    return np.array(sorted(v), dtype=np.int64)


def _pairs(rng, divisor_zero=False):
    e = _edges()
    x, d = np.meshgrid(e, e)
    x, d = x.ravel(), d.ravel()
    rx = rng.integers(I32.min, I32.max, 1 << 15, endpoint=True)
    rd = rng.integers(I32.min, I32.max, 1 << 15, endpoint=True) >> rng.integers(0, 31, 1 << 15)
    x, d = np.concatenate([x, rx]), np.concatenate([d, rd])
    if not divisor_zero:
        d = np.where(d == 0, 1, d)
    n = -(-len(x) // BLOCK) * BLOCK
    pad = n - len(x)
    return np.concatenate([x, np.ones(pad, np.int64)]), np.concatenate([d, np.ones(pad, np.int64)])


@pytest.fixture(scope="module")
def kernels(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def signed(X, D, Q, R, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        x, d = tl.load(X + o), tl.load(D + o)
        tl.store(Q + o, x // d)
        tl.store(R + o, x % d)

    @triton_vk.jit
    def unsigned(X, D, Q, R, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        x, d = tl.load(X + o).to(tl.uint32), tl.load(D + o).to(tl.uint32)
        tl.store(Q + o, (x // d).to(tl.int32))
        tl.store(R + o, (x % d).to(tl.int32))

    @triton_vk.jit
    def scalar(X, Q, R, d, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        x = tl.load(X + o)
        tl.store(Q + o, x // d)
        tl.store(R + o, x % d)

    @triton_vk.jit
    def narrow(X, D, Q16, R16, Q8, R8, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        x, d = tl.load(X + o).to(tl.int16), tl.load(D + o).to(tl.int16)
        tl.store(Q16 + o, x // d)
        tl.store(R16 + o, x % d)
        xu, du = x.to(tl.uint8), d.to(tl.uint8)
        tl.store(Q8 + o, xu // du)
        tl.store(R8 + o, xu % du)

    return signed, unsigned, scalar, narrow


def _run(torch, kern, x, d, *extra_outs):
    t = lambda a: torch.from_numpy(a.astype(np.int32))
    q, r = torch.zeros(len(x), dtype=torch.int32), torch.zeros(len(x), dtype=torch.int32)
    kern[(len(x) // BLOCK,)](t(x), t(d), q, r, *extra_outs, BLOCK=BLOCK)
    return q.numpy().astype(np.int64), r.numpy().astype(np.int64)


def test_signed32(kernels, torch):
    x, d = _pairs(np.random.default_rng(1))
    q, r = _run(torch, kernels[0], x, d)
    want = trunc_div(x, d)
    np.testing.assert_array_equal(q, want.astype(np.int32))  # INT_MIN / -1 wraps to INT_MIN
    np.testing.assert_array_equal(r, x - want * d)


def test_unsigned32(kernels, torch):
    x, d = _pairs(np.random.default_rng(2))
    q, r = _run(torch, kernels[1], x, d)
    ux, ud = x & 0xffffffff, d & 0xffffffff
    np.testing.assert_array_equal(q & 0xffffffff, ux // ud)
    np.testing.assert_array_equal(r & 0xffffffff, ux % ud)


@pytest.mark.parametrize("d", [1, -1, 3, -7, 48, 1000, 65537, I32.max, I32.min, -(1 << 30) - 1])
def test_scalar_divisor(kernels, torch, d):
    x, _ = _pairs(np.random.default_rng(3))
    q = torch.zeros(len(x), dtype=torch.int32)
    r = torch.zeros(len(x), dtype=torch.int32)
    kernels[2][(len(x) // BLOCK,)](torch.from_numpy(x.astype(np.int32)), q, r, d, BLOCK=BLOCK)
    want = trunc_div(x, np.int64(d))
    np.testing.assert_array_equal(q.numpy(), want.astype(np.int32))
    np.testing.assert_array_equal(r.numpy(), (x - want * d).astype(np.int32))


def test_narrow(kernels, torch):
    x, d = _pairs(np.random.default_rng(4))
    x16, d16 = x.astype(np.int16).astype(np.int64), d.astype(np.int16).astype(np.int64)
    d16 = np.where((d16 & 0xff) == 0, d16 | 1, d16)  # non-zero as i16 and as u8
    x8, d8 = x16 & 0xff, d16 & 0xff
    n = len(x)
    q16, r16 = torch.zeros(n, dtype=torch.int16), torch.zeros(n, dtype=torch.int16)
    q8, r8 = torch.zeros(n, dtype=torch.uint8), torch.zeros(n, dtype=torch.uint8)
    t = lambda a: torch.from_numpy(a.astype(np.int32))
    kernels[3][(n // BLOCK,)](t(x16), t(d16), q16, r16, q8, r8, BLOCK=BLOCK)
    want = trunc_div(x16, d16)
    np.testing.assert_array_equal(q16.numpy(), want.astype(np.int16))  # -32768 / -1 wraps
    np.testing.assert_array_equal(r16.numpy(), (x16 - want * d16).astype(np.int16))
    np.testing.assert_array_equal(q8.numpy(), x8 // d8)
    np.testing.assert_array_equal(r8.numpy(), x8 % d8)


def test_divisor_zero(kernels, torch):
    x = np.array([0, 1, -1, 7, I32.min, I32.max] * (BLOCK // 6 + 1), np.int64)[:BLOCK]
    d = np.zeros(BLOCK, np.int64)
    q, r = _run(torch, kernels[0], x, d)
    np.testing.assert_array_equal(q, -1)
    np.testing.assert_array_equal(r, x)
    q, r = _run(torch, kernels[1], x, d)
    np.testing.assert_array_equal(q, -1)
    np.testing.assert_array_equal(r, x.astype(np.int32))
