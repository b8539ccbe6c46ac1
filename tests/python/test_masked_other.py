"""A masked load's `other` in vector runs (lower/memory_runs.cc): an all-zero constant (0, +0.0)
is what a masked-off run reads anyway, so it needs no per-element select; any other value must
still come out, bit for bit, in masked-off runs and in runs whose masks differ."""
import numpy as np
import pytest


@pytest.fixture(scope="module")
def k(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def rows(X, Y, M, N: tl.constexpr, BM: tl.constexpr, OTHER: tl.constexpr):
        rm = tl.arange(0, BM)
        rn = tl.arange(0, N)
        x = tl.load(X + rm[:, None] * N + rn[None, :], mask=rm[:, None] < M, other=OTHER)  # run-uniform
        tl.store(Y + rm[:, None] * N + rn[None, :], x)

    @triton_vk.jit
    def cols(X, Y, n, BLOCK: tl.constexpr, OTHER: tl.constexpr):
        o = tl.arange(0, BLOCK)
        x = tl.load(X + o, mask=o < n, other=OTHER)  # n cuts a run: masks differ within it
        tl.store(Y + o, x)

    return dict(rows=rows, cols=cols)


# (Triton's frontend itself turns other=-0.0 into +0.0, so -0.0 is not a case here; the lowering
# keeps a -0.0 constant's select: lower/memory_runs.cc allZeroBits.)
CASES = [("float32", 0.0), ("float32", 2.5), ("float16", 0.0), ("float16", -3.0), ("bfloat16", 0.0),
         ("bfloat16", 1.5), ("int8", 0), ("int8", -7), ("int32", 0), ("int32", 123456)]


def _bits(torch, t):
    return {torch.float32: torch.int32, torch.float16: torch.int16, torch.bfloat16: torch.int16}.get(t.dtype)


def _same_bits(torch, got, want):
    v = _bits(torch, got)
    return torch.equal(got.view(v), want.view(v)) if v else torch.equal(got, want)


@pytest.mark.parametrize("dtype,other", CASES)
def test_masked_rows_read_other(k, torch, dtype, other):
    dt = getattr(torch, dtype)
    M, N, BM = 5, 64, 16
    x = (torch.arange(BM * N) % 97 - 48).to(dt).reshape(BM, N)
    y = torch.full((BM, N), 9, dtype=dt)
    k["rows"][(1,)](x, y, M, N=N, BM=BM, OTHER=other)
    want = x.clone()
    want[M:] = torch.tensor(other, dtype=torch.float64).to(dt)
    assert _same_bits(torch, y, want)


@pytest.mark.parametrize("dtype,other", CASES)
def test_cut_runs_read_other(k, torch, dtype, other):
    dt = getattr(torch, dtype)
    BLOCK, n = 256, 77
    x = (torch.arange(BLOCK) % 89 - 44).to(dt)
    y = torch.full((BLOCK,), 9, dtype=dt)
    k["cols"][(1,)](x, y, n, BLOCK=BLOCK, OTHER=other)
    want = x.clone()
    want[n:] = torch.tensor(other, dtype=torch.float64).to(dt)
    assert _same_bits(torch, y, want)
