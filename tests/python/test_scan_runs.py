"""Scans over vector runs (lower/scan.cc, analysis/vector_width.h): a tt.scan whose rows are
consecutive elements (every dimension after its axis is 1) keeps its class's vector width, so
its loads and stores move 16 bytes per run. Each invocation scans its runs in registers, the
run totals over the lanes with shuffles, then across subgroups and chunks. Checked against
numpy for forward and reverse scans, a non-commutative two-operand combine (its order
matters), masked tails, 1-D and 2-D rows shorter and longer than a workgroup's runs, and
1 to 8 warps (lavapipe: 8 invocations per warp)."""
import numpy as np
import pytest


@pytest.fixture(scope="module")
def k(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def cumsum(X, Y, n, BLOCK: tl.constexpr, REVERSE: tl.constexpr):
        c = tl.arange(0, BLOCK)
        row = tl.program_id(0)
        x = tl.load(X + row * n + c, mask=c < n, other=0)
        tl.store(Y + row * n + c, tl.cumsum(x, 0, reverse=REVERSE), mask=c < n)

    @triton_vk.jit
    def _affine(a1, b1, a2, b2):
        # Composition of x -> a x + b maps, earlier first: not commutative.
        return a2 * a1, a2 * b1 + b2

    @triton_vk.jit
    def affine(A, B, OA, OB, BLOCK: tl.constexpr, REVERSE: tl.constexpr):
        c = tl.arange(0, BLOCK)
        a = tl.load(A + c)
        b = tl.load(B + c)
        ra, rb = tl.associative_scan((a, b), 0, _affine, reverse=REVERSE)
        tl.store(OA + c, ra)
        tl.store(OB + c, rb)

    @triton_vk.jit
    def rows(X, Y, R: tl.constexpr, C: tl.constexpr):
        r = tl.arange(0, R)[:, None]
        c = tl.arange(0, C)[None, :]
        x = tl.load(X + r * C + c)
        tl.store(Y + r * C + c, tl.cumsum(x, 1))

    return dict(cumsum=cumsum, affine=affine, rows=rows)


def _np(torch, dtype):
    return {"int32": np.int32, "float32": np.float32, "float16": np.float16}[dtype]


@pytest.mark.parametrize("dtype", ["int32", "float32", "float16"])
@pytest.mark.parametrize("BLOCK,n,warps", [(1024, 1024, 4), (1024, 1000, 4), (4096, 4096, 2),
                                           (256, 256, 8), (64, 60, 1), (2048, 2048, 8)])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumsum(k, torch, dtype, BLOCK, n, warps, reverse):
    rng = np.random.default_rng(BLOCK + n + warps)
    rows = 3
    x = rng.integers(-3, 4, (rows, n)).astype(_np(torch, dtype))
    y = torch.full((rows, n), 9, dtype=getattr(torch, dtype))
    k["cumsum"][(rows,)](torch.from_numpy(x), y, n, BLOCK=BLOCK, REVERSE=reverse, num_warps=warps)
    xs = x.astype(np.int64)
    want = np.flip(np.cumsum(np.flip(xs, 1), 1), 1) if reverse else np.cumsum(xs, 1)
    np.testing.assert_array_equal(y.numpy().astype(np.int64), want)  # small integers: exact


@pytest.mark.parametrize("BLOCK,warps", [(1024, 4), (512, 1), (4096, 8)])
@pytest.mark.parametrize("reverse", [False, True])
def test_non_commutative_order(k, torch, BLOCK, warps, reverse):
    rng = np.random.default_rng(BLOCK)
    a = rng.integers(-1, 2, BLOCK).astype(np.int32)
    a[a == 0] = 1
    b = rng.integers(-5, 6, BLOCK).astype(np.int32)
    oa = torch.zeros(BLOCK, dtype=torch.int32)
    ob = torch.zeros(BLOCK, dtype=torch.int32)
    k["affine"][(1,)](torch.from_numpy(a), torch.from_numpy(b), oa, ob, BLOCK=BLOCK,
                      REVERSE=reverse, num_warps=warps)
    wa, wb = np.empty_like(a), np.empty_like(b)
    order = range(BLOCK - 1, -1, -1) if reverse else range(BLOCK)
    ca, cb = None, None
    for i in order:  # combine(earlier in scan order, this element)
        ca, cb = (a[i], b[i]) if ca is None else (a[i] * ca, a[i] * cb + b[i])
        wa[i], wb[i] = ca, cb
    np.testing.assert_array_equal(oa.numpy(), wa)
    np.testing.assert_array_equal(ob.numpy(), wb)


@pytest.mark.parametrize("R,C,warps", [(16, 64, 4), (4, 256, 4), (64, 32, 2), (2, 2048, 8), (8, 4, 1)])
def test_rows(k, torch, R, C, warps):
    x = np.random.default_rng(R * C).integers(-3, 4, (R, C)).astype(np.float32)
    y = torch.zeros(R, C)
    k["rows"][(1,)](torch.from_numpy(x), y, R=R, C=C, num_warps=warps)
    np.testing.assert_array_equal(y.numpy(), np.cumsum(x, 1))


def test_scans_take_16_byte_accesses(k, torch):
    x = torch.zeros(4096, dtype=torch.int32)
    asm = k["cumsum"].warmup(x, x, 4096, BLOCK=4096, REVERSE=False, grid=(1,)).asm["spvdis"]
    lines = asm.splitlines()
    assert any("OpLoad %v4uint" in line and "Aligned 16" in line for line in lines), asm[-2000:]
    assert any("OpStore" in line and "Aligned 16" in line for line in lines)
