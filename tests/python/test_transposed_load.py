"""Loads whose addresses run along dimension 0 (reading a column-major tile, `x + rn[None, :] * M
+ rm[:, None]`) load in the transposed order, so that consecutive invocations read consecutive
addresses (runs along dimension 0 as one vector access), and cross shared memory into the
row-major layout (analysis::loadTransposed, lower/memory.cc), in chunks of rows where the tile
does not fit at once. Checked against numpy for element types of 1, 2, 4 and 8 bytes, masked
edges with and without `other`, tiles that are not square, warp counts, tiles larger than
shared memory, and a load inside a loop; the kernel's shared memory shows the load's scratch."""
import numpy as np
import pytest


@pytest.fixture(scope="module")
def k(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def tload(X, Y, M, N, YN, BM: tl.constexpr, BN: tl.constexpr, OTHER: tl.constexpr):
        # X is N x M (row-major): the tile X[rn, rm] read as BM x BN, stored row-major into Y
        # (M x YN, YN >= N: columns N .. YN - 1 get the masked-off loads).
        rm = tl.program_id(0) * BM + tl.arange(0, BM)
        rn = tl.program_id(1) * BN + tl.arange(0, BN)
        m = (rm[:, None] < M) & (rn[None, :] < N)
        if OTHER:
            x = tl.load(X + rn[None, :].to(tl.int64) * M + rm[:, None], mask=m, other=7)
        else:
            x = tl.load(X + rn[None, :].to(tl.int64) * M + rm[:, None], mask=m)
        tl.store(Y + rm[:, None].to(tl.int64) * YN + rn[None, :], x * 2 + 1, mask=(rm[:, None] < M) & (rn[None, :] < YN))

    @triton_vk.jit
    def tload_loop(X, Y, M, N: tl.constexpr, BM: tl.constexpr):
        # One program walks every row tile; the load sits in the scf.for body.
        rn = tl.arange(0, N)
        for t in range(0, tl.cdiv(M, BM)):
            rm = t * BM + tl.arange(0, BM)
            m = rm[:, None] < M
            x = tl.load(X + rn[None, :] * M + rm[:, None], mask=m, other=0)
            tl.store(Y + rm[:, None] * N + rn[None, :], x, mask=m)

    return dict(tload=tload, tload_loop=tload_loop)


def _data(dtype, shape, seed):
    rs = np.random.RandomState(seed)
    if dtype in ("int8", "int16", "int32", "int64"):
        return rs.randint(-50, 50, shape).astype(dtype)
    return rs.standard_normal(shape).astype(dtype)


def _want(x):
    """Y (M x N) of the kernel from X (N x M)."""
    return (x.T * 2 + 1).astype(x.dtype)


@pytest.mark.parametrize("dtype", ["float32", "float16", "int8", "int64"])
@pytest.mark.parametrize("M,N,BM,BN,warps", [(64, 64, 32, 32, 4), (100, 75, 32, 32, 4), (33, 130, 16, 64, 2),
                                             (130, 40, 64, 16, 4), (128, 128, 64, 64, 8), (64, 32, 64, 32, 1)])
def test_transposed_load(k, torch, dtype, M, N, BM, BN, warps):
    x = _data(dtype, (N, M), M * N)
    y = torch.zeros((M, N), dtype=torch.from_numpy(x).dtype)
    grid = ((M + BM - 1) // BM, (N + BN - 1) // BN)
    h = k["tload"][grid](torch.from_numpy(x), y, M, N, N, BM=BM, BN=BN, OTHER=False, num_warps=warps)
    np.testing.assert_array_equal(y.numpy(), _want(x))
    assert h.metadata.shared > 0  # the exchange


def test_masked_off_elements_take_other(k, torch):
    # The store writes whole rows of the tile (columns >= N included, into a wider Y): masked-off
    # loads read `other` (7, so 15 after x * 2 + 1).
    M, N, BM, BN = 40, 20, 32, 32
    x = _data("float32", (N, M), 5)
    y = torch.zeros((M, BN))
    k["tload"][(2, 1)](torch.from_numpy(x), y, M, N, BN, BM=BM, BN=BN, OTHER=True)
    want = np.full((M, BN), 15.0, dtype=np.float32)
    want[:, :N] = x.T * 2 + 1
    np.testing.assert_array_equal(y.numpy(), want)


def test_transposed_load_in_a_loop(k, torch):
    x = _data("float32", (32, 70), 4)
    y = torch.zeros((70, 32))
    k["tload_loop"][(1,)](torch.from_numpy(x), y, 70, N=32, BM=16)
    np.testing.assert_array_equal(y.numpy(), x.T)


# Tiles whose word per element exchange does not fit in shared memory at once (lavapipe 32 KiB,
# the H200 48 KiB): chunks of rows, the largest power of 2 that fits.
@pytest.mark.parametrize("dtype,M,N,BM,BN,warps", [("float32", 256, 256, 128, 128, 4), ("float32", 200, 300, 128, 128, 8),
                                                   ("int64", 130, 70, 64, 64, 4), ("float16", 256, 128, 256, 64, 4)])
def test_transposed_load_in_chunks(k, torch, tv, dtype, M, N, BM, BN, warps):
    x = _data(dtype, (N, M), M + N)
    y = torch.zeros((M, N), dtype=torch.from_numpy(x).dtype)
    grid = ((M + BM - 1) // BM, (N + BN - 1) // BN)
    h = k["tload"][grid](torch.from_numpy(x), y, M, N, N, BM=BM, BN=BN, OTHER=False, num_warps=warps)
    np.testing.assert_array_equal(y.numpy(), _want(x))
    ew = 8 if dtype == "int64" else 4
    limit = tv.device().target.shared_memory_bytes
    q = BM
    while q * (BN + 1) * ew > limit:
        q //= 2
    assert h.metadata.shared == q * (BN + 1) * ew


# 8-bit tiles whose layout qualifies take column blocks (lower/transpose_packed.h,
# loadColumnBlocks): each invocation loads 4 adjacent columns over R rows (runs along dimension
# 0), turns each 4 x 4 bytes into row words and stores them packed (the tile's bytes of scratch,
# not a word per element); masked edges, `other`, warp counts.
@pytest.mark.parametrize("M,N,BM,BN,warps", [(128, 128, 64, 64, 4), (64, 64, 64, 64, 1), (128, 64, 64, 32, 2),
                                             (128, 128, 64, 64, 8), (100, 75, 64, 64, 4), (70, 130, 32, 64, 2)])
@pytest.mark.parametrize("other", [False, True])
def test_column_blocks(k, torch, M, N, BM, BN, warps, other):
    x = _data("int8", (N, M), M + N)
    YN = ((N + BN - 1) // BN) * BN if other else N
    y = torch.zeros((M, YN), dtype=torch.int8)
    grid = ((M + BM - 1) // BM, (N + BN - 1) // BN)
    h = k["tload"][grid](torch.from_numpy(x), y, M, N, YN, BM=BM, BN=BN, OTHER=other, num_warps=warps)
    want = np.full((M, YN), 15, dtype=np.int8)
    want[:, :N] = _want(x)
    np.testing.assert_array_equal(y.numpy(), want)
    if (BM, BN, warps) == (64, 64, 4) and M % 16 == 0 and YN % 16 == 0:
        # v = 16 (the store's 16-byte runs), 32 slots: blocks of 4 columns x 8 rows
        assert h.metadata.shared == BM * BN
        assert "%uint_16711935" in h.asm["spvdis"]  # 0x00ff00ff: the 4 x 4 byte transpose


def test_a_broadcast_column_stays_in_the_layout(triton_vk, torch):
    # X + rm[:, None] over BN columns: contiguous along dimension 0 but constant along
    # dimension 1, so the row-major layout's lanes of a row share each address; no exchange.
    tl = triton_vk.language

    @triton_vk.jit
    def bcast(X, Y, BM: tl.constexpr, BN: tl.constexpr):
        rm = tl.arange(0, BM)
        rn = tl.arange(0, BN)
        x = tl.load(X + rm[:, None] + tl.zeros([BM, BN], tl.int32))
        tl.store(Y + rm[:, None] * BN + rn[None, :], x)

    x = torch.arange(64, dtype=torch.float32)
    y = torch.zeros((64, 32))
    h = bcast[(1,)](x, y, BM=64, BN=32)
    assert torch.equal(y, x[:, None].expand(64, 32))
    assert h.metadata.shared == 0
