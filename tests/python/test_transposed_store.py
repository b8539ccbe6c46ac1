"""Stores whose addresses run along dimension 0 (a transpose's output, `y + rn[None, :] * M +
rm[:, None]`) cross shared memory so that consecutive invocations store consecutive addresses
(analysis::storeTransposed, lower/memory.cc). Checked against numpy for element types of 1, 2,
4 and 8 bytes, masked edges, tiles that are not square, values computed in the kernel, and a
store inside a loop; the kernel's shared memory shows the store's scratch."""
import numpy as np
import pytest


@pytest.fixture(scope="module")
def k(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def transpose(X, Y, M, N, BM: tl.constexpr, BN: tl.constexpr, SCALE: tl.constexpr):
        rm = tl.program_id(0) * BM + tl.arange(0, BM)
        rn = tl.program_id(1) * BN + tl.arange(0, BN)
        m = (rm[:, None] < M) & (rn[None, :] < N)
        x = tl.load(X + rm[:, None].to(tl.int64) * N + rn[None, :], mask=m)
        if SCALE:
            x = x * 2 + 1
        tl.store(Y + rn[None, :].to(tl.int64) * M + rm[:, None], x, mask=m)

    @triton_vk.jit
    def transpose_loop(X, Y, M, N: tl.constexpr, BM: tl.constexpr):
        # One program walks every row tile; the store sits in the scf.for body.
        rn = tl.arange(0, N)
        for t in range(0, tl.cdiv(M, BM)):
            rm = t * BM + tl.arange(0, BM)
            m = rm[:, None] < M
            x = tl.load(X + rm[:, None] * N + rn[None, :], mask=m, other=0)
            tl.store(Y + rn[None, :] * M + rm[:, None], x, mask=m)

    return dict(transpose=transpose, transpose_loop=transpose_loop)


def _data(dtype, shape, seed):
    rs = np.random.RandomState(seed)
    if dtype in ("int8", "int64"):
        return rs.randint(-100, 100, shape).astype(dtype)
    return rs.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float16", "int8", "int64"])
@pytest.mark.parametrize("M,N,BM,BN", [(64, 64, 32, 32), (100, 75, 32, 32), (33, 130, 16, 64),
                                       (130, 40, 64, 16)])
def test_transposed_store(k, torch, dtype, M, N, BM, BN):
    x = _data(dtype, (M, N), M * N)
    y = torch.zeros((N, M), dtype=torch.from_numpy(x).dtype)
    grid = ((M + BM - 1) // BM, (N + BN - 1) // BN)
    k["transpose"][grid](torch.from_numpy(x), y, M, N, BM=BM, BN=BN, SCALE=False)
    assert np.array_equal(y.numpy(), x.T)


def test_transposed_store_of_computed_values(k, torch):
    x = _data("float32", (96, 80), 3)
    y = torch.zeros((80, 96))
    k["transpose"][(3, 3)](torch.from_numpy(x), y, 96, 80, BM=32, BN=32, SCALE=True, num_warps=2)
    np.testing.assert_array_equal(y.numpy(), (x * 2 + 1).T)


def test_transposed_store_in_a_loop(k, torch):
    x = _data("float32", (70, 32), 4)
    y = torch.zeros((32, 70))
    k["transpose_loop"][(1,)](torch.from_numpy(x), y, 70, N=32, BM=16)
    np.testing.assert_array_equal(y.numpy(), x.T)


def test_the_store_takes_scratch(k, torch):
    # 32 rows of 33 words (one padding word) of f32; without the transposed store the kernel
    # needs no shared memory.
    x = torch.zeros((32, 32))
    h = k["transpose"][(1, 1)](x, torch.zeros((32, 32)), 32, 32, BM=32, BN=32, SCALE=False)
    assert h.metadata.shared == 32 * 33 * 4
