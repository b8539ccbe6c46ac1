"""64-bit integer arithmetic on values sign-extended from i32 (and i8), against constants and
other such values: min/max (GLSL SMin/SMax/UMin/UMax), truncating division and remainder, shifts,
selects on signed comparisons, through @triton.jit against numpy on the CPU.

Mesa's NIR (lavapipe) folded `sext64(i32) <s constant` wrongly (Context::signedCompare works
around it); these kernels cover the neighbouring 64-bit operations on the same kind of operands,
as tensors and as uniform scalars, so that a similar folding bug shows up as a failure."""
import numpy as np
import pytest
from tvk_testlib import trunc_div

COLS = 24


def _reference(a, b, c):
    a, b = a.astype(np.int64), b.astype(np.int64)
    u, ub = a.view(np.uint64), b.view(np.uint64)
    cc = np.int64(c)
    with np.errstate(over="ignore"):
        return [np.minimum(a, cc), np.maximum(a, cc), np.minimum(a, b), np.maximum(a, b),
                trunc_div(a, cc), a - trunc_div(a, cc) * cc, trunc_div(a, b), a - trunc_div(a, b) * b,
                a >> 3, a << 33, (a << 33) >> 35, (u >> np.uint64(3)).view(np.int64),
                np.where(a < cc, a, cc), np.where(a > b, a, b), a * cc,
                trunc_div(a * 1000003, np.int64(7)), a * 1000003 - trunc_div(a * 1000003, np.int64(7)) * 7,
                np.abs(a), np.minimum(u, ub).view(np.int64), np.maximum(u, ub).view(np.int64),
                (u // ub).view(np.int64), (u % ub).view(np.int64), a >> (b & 63), -a]


@pytest.fixture(scope="module")
def kernels(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def tensor_ops(A, B, Out, N: tl.constexpr, C: tl.constexpr):
        o = tl.arange(0, N)
        a = tl.load(A + o).to(tl.int64)  # sext64(i32)
        b = tl.load(B + o).to(tl.int64)
        ua = a.to(tl.uint64)
        ub = b.to(tl.uint64)
        base = Out + o * 24
        tl.store(base + 0, tl.minimum(a, C))
        tl.store(base + 1, tl.maximum(a, C))
        tl.store(base + 2, tl.minimum(a, b))
        tl.store(base + 3, tl.maximum(a, b))
        tl.store(base + 4, a // C)
        tl.store(base + 5, a % C)
        tl.store(base + 6, a // b)
        tl.store(base + 7, a % b)
        tl.store(base + 8, a >> 3)
        tl.store(base + 9, a << 33)
        tl.store(base + 10, (a << 33) >> 35)
        tl.store(base + 11, (ua >> 3).to(tl.int64))
        tl.store(base + 12, tl.where(a < C, a, C))
        tl.store(base + 13, tl.where(a > b, a, b))
        tl.store(base + 14, a * C)
        tl.store(base + 15, (a * 1000003) // 7)
        tl.store(base + 16, (a * 1000003) % 7)
        tl.store(base + 17, tl.abs(a))
        tl.store(base + 18, tl.minimum(ua, ub).to(tl.int64))
        tl.store(base + 19, tl.maximum(ua, ub).to(tl.int64))
        tl.store(base + 20, (ua // ub).to(tl.int64))
        tl.store(base + 21, (ua % ub).to(tl.int64))
        tl.store(base + 22, a >> (b & 63))
        tl.store(base + 23, -a)

    @triton_vk.jit(do_not_specialize=["n", "m8"])
    def scalar_ops(Out, n, m8, C: tl.constexpr):
        a = n.to(tl.int64)
        s = m8.to(tl.int8).to(tl.int64)  # sext64(i8)
        tl.store(Out + 0, tl.minimum(a, C))
        tl.store(Out + 1, tl.maximum(a, C))
        tl.store(Out + 2, a // C)
        tl.store(Out + 3, a % C)
        tl.store(Out + 4, (a << 40) >> 41)
        tl.store(Out + 5, tl.minimum(s, C))
        tl.store(Out + 6, tl.maximum(s, C))
        tl.store(Out + 7, s // C)
        tl.store(Out + 8, s % C)
        tl.store(Out + 9, tl.where(s <= C, 1, 0).to(tl.int64))

    return tensor_ops, scalar_ops


CONSTS = [-5, 5, 100, -100, 2**40, -(2**40), 0x7fffffff, -7]


@pytest.mark.parametrize("c", CONSTS)
def test_int64_tensor_ops(kernels, torch, c):
    rs = np.random.RandomState(abs(c) % 1000)
    n = 256
    a = rs.randint(-2**31, 2**31, n).astype(np.int32)
    a[:7] = [0, -1, 1, -2**31, 2**31 - 1, -5, 5]
    b = rs.randint(-2**31, 2**31, n).astype(np.int32)
    b[b == 0] = 3
    b[8:16] = [-1, 1, -3, 3, 7, -7, 2**31 - 1, -2**31]
    out = torch.zeros(n * COLS, dtype=torch.int64)
    kernels[0][(1,)](torch.from_numpy(a), torch.from_numpy(b), out, N=n, C=c)
    got = out.numpy().reshape(n, COLS)
    errors = []
    for j, col in enumerate(_reference(a, b, c)):
        bad = np.nonzero(got[:, j] != col)[0]
        if bad.size:
            errors.append(f"column {j}: {bad.size} wrong, e.g. a={a[bad[0]]} b={b[bad[0]]} "
                          f"got {got[bad[0], j]} want {col[bad[0]]}")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("c", [-5, 5, -(2**40), 7, -1])
def test_int64_scalar_ops(kernels, torch, c):
    def tdiv(x, y):
        q = abs(x) // abs(y)
        return -q if (x < 0) != (y < 0) else q

    errors = []
    for n in (0, -1, 2, -2**31, 2**31 - 1, -5, 5, -6, 99, -101):
        for m8 in (0, -1, -128, 127, -5, 100):
            out = torch.zeros(10, dtype=torch.int64)
            kernels[1][(1,)](out, n, m8, C=c)
            want = [min(n, c), max(n, c), tdiv(n, c), n - tdiv(n, c) * c,
                    int(np.int64(np.uint64((n << 40) & (2**64 - 1)).view(np.int64)) >> 41),
                    min(m8, c), max(m8, c), tdiv(m8, c), m8 - tdiv(m8, c) * c, int(m8 <= c)]
            got = out.tolist()
            errors += [f"n={n} m8={m8} slot {j}: got {g} want {w}"
                       for j, (g, w) in enumerate(zip(got, want)) if g != w]
    assert not errors, "\n".join(errors[:10])
