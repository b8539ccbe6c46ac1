"""What happens to a tl.dot's result tile after the dot: stored inside the K loop, reduced along
its rows, accumulated in f16, cast and stored under row and column masks with a tl.where
epilogue, stored transposed. Since session 31 a layout class whose only ops that are not per slot
are dots and the loops carrying it takes its accesses' vector width (analysis/vector_width.h:
16-byte stores of a matmul's result), and the cooperative-matrix exchange of a result in row chunks
loads only each chunk's slots (lower/dot_coopmat_exchange.cc). Small integers keep every product
and sum exact, so each result is compared exactly with numpy. On lavapipe these take the FMA path;
on a device with cooperative matrices, the cooperative-matrix path (tools/device/run_check.sh)."""
import numpy as np
import pytest


@pytest.fixture(scope="module")
def kernels(triton_vk):
    tl = triton_vk.language
    jit = triton_vk.jit

    @jit
    def store_in_loop(a_ptr, b_ptr, c_ptr, K, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
        # The running product after every K step: the dot's result leaves its fragments each time.
        rm = tl.arange(0, BM)
        rn = tl.arange(0, BN)
        rk = tl.arange(0, BK)
        acc = tl.zeros((BM, BN), dtype=tl.float32)
        for k in range(0, K, BK):
            a = tl.load(a_ptr + rm[:, None] * K + (k + rk)[None, :])
            b = tl.load(b_ptr + (k + rk)[:, None] * BN + rn[None, :])
            acc = tl.dot(a, b, acc)
            tl.store(c_ptr + (k // BK) * BM * BN + rm[:, None] * BN + rn[None, :], acc)

    @jit
    def product(a_ptr, b_ptr, K, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, ACC: tl.constexpr):
        # The BM x BN product of A (BM x K) and B (K x BN, rows of BN), accumulated in ACC.
        rm = tl.arange(0, BM)
        rn = tl.arange(0, BN)
        rk = tl.arange(0, BK)
        acc = tl.zeros((BM, BN), dtype=ACC)
        for k in range(0, K, BK):
            a = tl.load(a_ptr + rm[:, None] * K + (k + rk)[None, :])
            b = tl.load(b_ptr + (k + rk)[:, None] * BN + rn[None, :])
            acc = tl.dot(a, b, acc, out_dtype=ACC)
        return acc

    @jit
    def row_sums(a_ptr, b_ptr, c_ptr, s_ptr, K, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
        acc = product(a_ptr, b_ptr, K, BM, BN, BK, tl.float32)
        rm = tl.arange(0, BM)
        tl.store(c_ptr + rm[:, None] * BN + tl.arange(0, BN)[None, :], acc)
        tl.store(s_ptr + rm, tl.sum(acc, axis=1))

    @jit
    def f16_acc(a_ptr, b_ptr, c_ptr, K, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
        acc = product(a_ptr, b_ptr, K, BM, BN, BK, tl.float16)
        tl.store(c_ptr + tl.arange(0, BM)[:, None] * BN + tl.arange(0, BN)[None, :], acc)

    @jit
    def masked_where(a_ptr, b_ptr, c_ptr, M, N, K, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
        rm = tl.program_id(0) * BM + tl.arange(0, BM)
        rn = tl.program_id(1) * BN + tl.arange(0, BN)
        rk = tl.arange(0, BK)
        acc = tl.zeros((BM, BN), dtype=tl.float32)
        for k in range(0, tl.cdiv(K, BK)):
            kk = k * BK + rk
            a = tl.load(a_ptr + rm[:, None] * K + kk[None, :], mask=(rm[:, None] < M) & (kk[None, :] < K), other=0.0)
            b = tl.load(b_ptr + kk[:, None] * N + rn[None, :], mask=(kk[:, None] < K) & (rn[None, :] < N), other=0.0)
            acc = tl.dot(a, b, acc)
        out = tl.where(acc > 0, acc, acc * 0.5).to(tl.float16)
        tl.store(c_ptr + rm[:, None] * N + rn[None, :], out, mask=(rm[:, None] < M) & (rn[None, :] < N))

    @jit
    def transposed(a_ptr, b_ptr, c_ptr, K, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr,
                   CAST: tl.constexpr):
        # C^T stored: the result's addresses run along its first dimension.
        acc = product(a_ptr, b_ptr, K, BM, BN, BK, tl.float32)
        out = acc.to(tl.float16) if CAST else acc * 2.0 + 1.0
        tl.store(c_ptr + tl.arange(0, BN)[None, :] * BM + tl.arange(0, BM)[:, None], out)

    return dict(store_in_loop=store_in_loop, row_sums=row_sums, f16_acc=f16_acc, masked_where=masked_where,
                transposed=transposed)


def _ints(rng, shape):
    return rng.integers(-3, 4, shape).astype(np.float16)


TILES = [(64, 64, 32, 96), (32, 64, 16, 32), (128, 64, 32, 64)]


@pytest.mark.parametrize("BM,BN,BK,K", TILES)
@pytest.mark.parametrize("stages", [1, 3])
def test_result_stored_inside_the_loop(kernels, torch, BM, BN, BK, K, stages):
    rng = np.random.default_rng(BM + K)
    a, b = _ints(rng, (BM, K)), _ints(rng, (K, BN))
    c = torch.zeros((K // BK, BM, BN))
    kernels["store_in_loop"][(1,)](torch.from_numpy(a), torch.from_numpy(b), c, K, BM=BM, BN=BN, BK=BK,
                                   num_stages=stages)
    for s in range(K // BK):
        want = a[:, :(s + 1) * BK].astype(np.float64) @ b[:(s + 1) * BK].astype(np.float64)
        assert np.array_equal(c[s].numpy(), want), f"after K step {s}"


@pytest.mark.parametrize("BM,BN,BK,K", TILES)
@pytest.mark.parametrize("stages", [1, 3])
def test_result_reduced_and_f16_accumulator(kernels, torch, BM, BN, BK, K, stages):
    rng = np.random.default_rng(BN + K)
    a, b = _ints(rng, (BM, K)), _ints(rng, (K, BN))
    want = a.astype(np.float64) @ b.astype(np.float64)
    c, s = torch.zeros((BM, BN)), torch.zeros(BM)
    kernels["row_sums"][(1,)](torch.from_numpy(a), torch.from_numpy(b), c, s, K, BM=BM, BN=BN, BK=BK,
                              num_stages=stages)
    assert np.array_equal(c.numpy(), want)
    assert np.array_equal(s.numpy(), want.sum(axis=1))
    c16 = torch.zeros((BM, BN), dtype=torch.float16)
    kernels["f16_acc"][(1,)](torch.from_numpy(a), torch.from_numpy(b), c16, K, BM=BM, BN=BN, BK=BK,
                             num_stages=stages)
    assert np.array_equal(c16.numpy().astype(np.float64), want)


@pytest.mark.parametrize("M,N,K", [(70, 45, 40), (64, 64, 64), (33, 130, 17)])
def test_masked_cast_store_with_where(kernels, torch, triton_vk, M, N, K):
    rng = np.random.default_rng(M * N)
    a, b = _ints(rng, (M, K)), _ints(rng, (K, N))
    c = torch.zeros((M, N), dtype=torch.float16)
    grid = (triton_vk.cdiv(M, 32), triton_vk.cdiv(N, 64))
    kernels["masked_where"][grid](torch.from_numpy(a), torch.from_numpy(b), c, M, N, K, BM=32, BN=64, BK=16)
    want = a.astype(np.float64) @ b.astype(np.float64)
    assert np.array_equal(c.numpy(), np.where(want > 0, want, want * 0.5).astype(np.float16))


@pytest.mark.parametrize("BM,BN,BK,K", [(64, 64, 32, 64), (32, 128, 16, 48), (128, 32, 32, 32)])
@pytest.mark.parametrize("cast", [False, True])
def test_result_stored_transposed(kernels, torch, BM, BN, BK, K, cast):
    rng = np.random.default_rng(BM * BN + K)
    a, b = _ints(rng, (BM, K)), _ints(rng, (K, BN))
    want = a.astype(np.float64) @ b.astype(np.float64)
    c = torch.zeros((BN, BM), dtype=torch.float16 if cast else torch.float32)
    kernels["transposed"][(1,)](torch.from_numpy(a), torch.from_numpy(b), c, K, BM=BM, BN=BN, BK=BK, CAST=cast)
    assert np.array_equal(c.numpy().astype(np.float64).T, want if cast else want * 2 + 1)
