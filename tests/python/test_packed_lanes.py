"""Narrow elements that are only moved keep their bits (lower/packed_lanes.h): a word whose
lanes come back together in order is stored as the word itself, not converted element by
element (f16 -> f32 -> f16 would quiet a signalling NaN). Lanes that come back in another order
or from other words are packed element by element. A masked load without `other` reads zeros."""
import numpy as np
import pytest

# f16 / bf16 bit patterns: signalling and quiet NaNs with payloads, infinities, -0, subnormals.
F16_BITS = [0x7C01, 0xFC01, 0x7D55, 0x7E00, 0xFE3F, 0x7C00, 0xFC00, 0x8000, 0x0001, 0x83FF, 0x3C00]
BF16_BITS = [0x7F81, 0xFF81, 0x7FA5, 0x7FC0, 0xFFC1, 0x7F80, 0xFF80, 0x8000, 0x0001, 0x807F, 0x3F80]
DTYPES = ["float16", "bfloat16", "int8", "int16"]


@pytest.fixture(scope="module")
def k(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def copy(X, Y, n, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(Y + o, tl.load(X + o, mask=o < n), mask=o < n)

    @triton_vk.jit
    def transpose(X, Y, M, N, BM: tl.constexpr, BN: tl.constexpr):
        rm = tl.program_id(0) * BM + tl.arange(0, BM)
        rn = tl.program_id(1) * BN + tl.arange(0, BN)
        m = (rm[:, None] < M) & (rn[None, :] < N)
        x = tl.load(X + rm[:, None] * N + rn[None, :], mask=m)
        tl.store(Y + rn[None, :] * M + rm[:, None], x, mask=m)

    @triton_vk.jit
    def swap_pairs(X, Y, BLOCK: tl.constexpr):
        # y[2i] = x[2i + 1], y[2i + 1] = x[2i]: the lanes of each word come back swapped.
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        a, b = tl.split(tl.load(X + o).reshape(BLOCK // 2, 2))
        tl.store(Y + o, tl.join(b, a).reshape(BLOCK))

    @triton_vk.jit
    def swap_middle(X, Y, BLOCK: tl.constexpr):
        # y[4q + 2a + b] = x[4q + 2b + a]: lanes 1 and 2 of each group of four swap places.
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        x = tl.load(X + o).reshape(BLOCK // 4, 2, 2).permute(0, 2, 1).reshape(BLOCK)
        tl.store(Y + o, x)

    @triton_vk.jit
    def masked_rows(X, Y, M, N: tl.constexpr, BM: tl.constexpr):
        rm = tl.arange(0, BM)
        rn = tl.arange(0, N)
        x = tl.load(X + rm[:, None] * N + rn[None, :], mask=rm[:, None] < M)  # no `other`
        tl.store(Y + rm[:, None] * N + rn[None, :], x)

    return dict(copy=copy, transpose=transpose, swap_pairs=swap_pairs, swap_middle=swap_middle,
                masked_rows=masked_rows)


def _special(torch, dtype, n, seed):
    """n elements of `dtype` whose bit patterns include NaN payloads (floats) or extremes."""
    rs = np.random.RandomState(seed)
    if dtype in ("float16", "bfloat16"):
        bits = np.array(F16_BITS if dtype == "float16" else BF16_BITS, dtype=np.uint16)
        raw = rs.randint(0, 1 << 16, n).astype(np.uint16)
        raw[rs.randint(0, n, n // 3)] = bits[rs.randint(0, len(bits), n // 3)]
        return torch.from_numpy(raw.view(np.int16)).view(getattr(torch, dtype))
    info = np.iinfo(dtype)
    return torch.from_numpy(rs.randint(info.min, info.max + 1, n).astype(dtype))


def _bits(torch, t):
    return t.view(torch.int16) if t.dtype in (torch.float16, torch.bfloat16) else t


def _same_values(torch, y, want):
    """Equal bits, or both NaN (payloads may change where elements are converted one by one)."""
    same = _bits(torch, y) == _bits(torch, want)
    if y.dtype.is_floating_point:
        same |= torch.isnan(y.float()) & torch.isnan(want.float())
    return bool(same.all())


@pytest.mark.parametrize("dtype", DTYPES)
def test_copy_keeps_bits(k, torch, dtype):
    n = 1024
    x = _special(torch, dtype, n, 1)
    y = torch.zeros_like(x)
    k["copy"][((n + 255) // 256,)](x, y, n, BLOCK=256)
    assert torch.equal(_bits(torch, y), _bits(torch, x))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("M,N,BM,BN", [(64, 96, 32, 32), (96, 64, 32, 32), (128, 64, 64, 16)])
def test_transpose_keeps_bits(k, torch, dtype, M, N, BM, BN):
    # Whole runs (M and N multiples of 16, so that every run's mask is one value). A run that
    # an edge cuts moves element by element, and an f16/bf16 signalling NaN may come out quiet.
    x = _special(torch, dtype, M * N, M + N).reshape(M, N)
    y = torch.zeros((N, M), dtype=x.dtype)
    k["transpose"][((M + BM - 1) // BM, (N + BN - 1) // BN)](x, y, M, N, BM=BM, BN=BN)
    assert torch.equal(_bits(torch, y), _bits(torch, x.t().contiguous()))


@pytest.mark.parametrize("dtype", DTYPES)
def test_lanes_in_another_order(k, torch, dtype):
    n = 512
    x = _special(torch, dtype, n, 2)
    y = torch.zeros_like(x)
    k["swap_pairs"][(n // 128,)](x, y, BLOCK=128)
    want = x.reshape(-1, 2).flip(1).reshape(-1)
    assert _same_values(torch, y, want)
    y.zero_()
    k["swap_middle"][(n // 128,)](x, y, BLOCK=128)
    want = x.reshape(-1, 2, 2).permute(0, 2, 1).reshape(-1)
    assert _same_values(torch, y, want)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "int8"])
def test_masked_load_without_other_reads_zeros(k, torch, dtype):
    M, N, BM = 5, 32, 8
    x = torch.ones((BM, N), dtype=getattr(torch, dtype))
    y = torch.full((BM, N), 7, dtype=x.dtype)
    k["masked_rows"][(1,)](x, y, M, N=N, BM=BM)
    want = torch.ones_like(x)
    want[M:] = 0
    assert torch.equal(y, want)
