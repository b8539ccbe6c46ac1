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
    def transpose(X, Y, M, N, BM: tl.constexpr, BN: tl.constexpr, SCALE: tl.constexpr, MODE: tl.constexpr = 0):
        # MODE: unused, a distinct compilation per TVK_TRANSPOSE_PACKED setting (the in-memory
        # kernel cache does not see the environment)
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

    @triton_vk.jit
    def trans(X, Y, M, N, BM: tl.constexpr, BN: tl.constexpr, MODE: tl.constexpr = 0):
        rm = tl.program_id(0) * BM + tl.arange(0, BM)
        rn = tl.program_id(1) * BN + tl.arange(0, BN)
        x = tl.load(X + rm[:, None] * N + rn[None, :])
        tl.store(Y + rn[:, None] * M + rm[None, :], tl.trans(x))

    return dict(transpose=transpose, transpose_loop=transpose_loop, trans=trans)


def _data(dtype, shape, seed):
    rs = np.random.RandomState(seed)
    if dtype in ("int8", "int16", "int64"):
        return rs.randint(-100, 100, shape).astype(dtype)
    return rs.standard_normal(shape).astype(dtype)


def _tensor(torch, dtype, shape, seed):
    if dtype == "bfloat16":  # numpy has no bfloat16
        return torch.from_numpy(_data("float32", shape, seed)).to(torch.bfloat16)
    return torch.from_numpy(_data(dtype, shape, seed))


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


# Tiles whose runs hold P * P elements of 8- or 16-bit types (P per 32-bit word) with the P rows
# of a block in one subgroup (cols / v * P <= the subgroup size: 8 on lavapipe): the values
# cross scratch in packed words (lower/transpose_packed.h): for 8-bit elements row words, read
# in column blocks by the store (4 adjacent columns per invocation, transposed 4 x 4 bytes in
# registers) and one element per load by tt.trans; column words after a subgroup exchange for
# 16-bit ones. TVK_TRANSPOSE_PACKED forces a variant.
PACKED = [("int8", 128, 16), ("int8", 64, 32), ("int16", 64, 16), ("float16", 32, 32),
          ("bfloat16", 64, 16)]
MODES = ["", "rows", "blocks", "shuffle"]
BYTE_TRANSPOSE_MASK = "%uint_16711935"  # 0x00ff00ff: the 4 x 4 byte transpose of column blocks


def _check_packed(tv, h, dtype, mode, store=True):
    t = tv.device().target
    if not (t.buffer_device_address and t.subgroup_size >= 8):
        return
    asm = h.asm["spvdis"]
    if dtype == "int8" and mode != "shuffle":  # row words, no exchange
        assert "OpGroupNonUniformShuffleXor" not in asm and "OpControlBarrier" in asm
        blocks = store and mode in ("", "blocks")
        assert (BYTE_TRANSPOSE_MASK in asm) == blocks
    elif mode in ("rows", "blocks"):  # row words for 16-bit elements too (blocks: 8-bit only)
        assert "OpGroupNonUniformShuffleXor" not in asm and "OpControlBarrier" in asm
    else:
        assert "OpGroupNonUniformShuffleXor" in asm


@pytest.mark.parametrize("dtype,BM,BN", PACKED)
@pytest.mark.parametrize("scale", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_packed_transposed_store(k, torch, tv, monkeypatch, dtype, BM, BN, scale, mode):
    monkeypatch.setenv("TVK_TRANSPOSE_PACKED", mode)
    M, N = 2 * BM, 3 * BN
    x = _tensor(torch, dtype, (M, N), BM + BN)
    y = torch.zeros((N, M), dtype=x.dtype)
    grid = (M // BM, N // BN)
    h = k["transpose"][grid](x, y, M, N, BM=BM, BN=BN, SCALE=scale, MODE=MODES.index(mode))
    want = (x.float() * 2 + 1).to(x.dtype) if scale and x.dtype.is_floating_point else (x * 2 + 1 if scale else x)
    assert torch.equal(y, want.t()), (y, want.t())
    _check_packed(tv, h, dtype, mode)


@pytest.mark.parametrize("dtype,BM,BN", PACKED)
@pytest.mark.parametrize("mode", MODES)
def test_packed_trans(k, torch, tv, monkeypatch, dtype, BM, BN, mode):
    monkeypatch.setenv("TVK_TRANSPOSE_PACKED", mode)
    M, N = 2 * BM, BN
    x = _tensor(torch, dtype, (M, N), 7)
    y = torch.zeros((N, M), dtype=x.dtype)
    h = k["trans"][(M // BM, 1)](x, y, M, N, BM=BM, BN=BN, MODE=MODES.index(mode))
    assert torch.equal(y, x.t())
    _check_packed(tv, h, dtype, mode, store=False)


# The column-block reader over tile shapes and warp counts (R = elements per invocation / 4
# rows per block: 4 to 64), masked edges (runs whose masks differ store element by element) and
# computed values; the bench's tile is 64 x 64 with 4 warps (R = 8, runs of 8 bytes).
@pytest.mark.parametrize("M,N,BM,BN,warps", [(128, 128, 64, 64, 4), (64, 64, 64, 64, 1), (128, 64, 64, 32, 2),
                                             (128, 128, 64, 64, 8), (100, 75, 64, 64, 4), (70, 130, 32, 64, 2)])
@pytest.mark.parametrize("scale", [False, True])
def test_column_blocks(k, torch, tv, M, N, BM, BN, warps, scale):
    x = _tensor(torch, "int8", (M, N), M + N)
    y = torch.zeros((N, M), dtype=x.dtype)
    grid = ((M + BM - 1) // BM, (N + BN - 1) // BN)
    h = k["transpose"][grid](x, y, M, N, BM=BM, BN=BN, SCALE=scale, num_warps=warps)
    want = x * 2 + 1 if scale else x
    assert torch.equal(y, want.t()), (y, want.t())
    if M % BM == 0 and N % BN == 0:
        _check_packed(tv, h, "int8", "")


# Tiles whose word per element exchange does not fit in the device's shared memory at once
# (f32 and i64 tiles of 64 x 128 and more: 33 KB and up against lavapipe's 32 KiB and the
# H200's 48 KiB) cross it in chunks of rows (analysis::transposedStoreChunkRows); before, they
# stored element by element along the columns. Masked edges, warp counts, computed values.
@pytest.mark.parametrize("dtype,M,N,BM,BN,warps", [
    ("float32", 256, 256, 128, 128, 4), ("float32", 200, 300, 128, 128, 8), ("float32", 128, 256, 64, 128, 2),
    ("int64", 130, 70, 64, 64, 4), ("float32", 256, 128, 256, 64, 4), ("float32", 128, 128, 128, 128, 1)])
@pytest.mark.parametrize("scale", [False, True])
def test_transposed_store_in_chunks(k, torch, tv, dtype, M, N, BM, BN, warps, scale):
    x = _tensor(torch, dtype, (M, N), M + N)
    y = torch.zeros((N, M), dtype=x.dtype)
    grid = ((M + BM - 1) // BM, (N + BN - 1) // BN)
    h = k["transpose"][grid](x, y, M, N, BM=BM, BN=BN, SCALE=scale, num_warps=warps)
    want = x * 2 + 1 if scale else x
    assert torch.equal(y, want.t())
    ew = 8 if dtype == "int64" else 4
    whole = BM * (BN + 1) * ew
    limit = tv.device().target.shared_memory_bytes
    if whole > limit:  # the largest power-of-2 chunk of rows that fits
        q = BM
        while q * (BN + 1) * ew > limit:
            q //= 2
        assert h.metadata.shared == q * (BN + 1) * ew
