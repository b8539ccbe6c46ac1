"""tt.dot variants of the FMA path (lower/dot.cc) through @triton.jit against numpy: batched
(3-D and 4-D) dots, f16 accumulators (summed in f32, rounded once), and every input_precision
Triton accepts (fp32 inputs are multiplied in full fp32, at least as accurate as each), and f64 dots in f64."""
import numpy as np
import pytest


@pytest.fixture(scope="module")
def kernels(triton_vk):
    tl = triton_vk.language
    jit = triton_vk.jit

    @jit
    def dot3d(X, Y, C, Z, B: tl.constexpr, M: tl.constexpr, N: tl.constexpr, K: tl.constexpr,
              ADD_C: tl.constexpr, OUT: tl.constexpr = tl.float32):
        b = tl.arange(0, B)[:, None, None]
        m = tl.arange(0, M)[None, :, None]
        n = tl.arange(0, N)[None, None, :]
        k = tl.arange(0, K)
        x = tl.load(X + b * M * K + m * K + k[None, None, :])
        y = tl.load(Y + b * K * N + k[None, :, None] * N + n)
        if ADD_C:
            z = tl.dot(x, y, tl.load(C + b * M * N + m * N + n), out_dtype=OUT)
        else:
            z = tl.dot(x, y)
        tl.store(Z + b * M * N + m * N + n, z)

    @jit
    def dot4d(X, Y, Z):
        x = tl.load(X + tl.arange(0, 1024)).reshape([2, 2, 16, 16])
        y = tl.load(Y + tl.arange(0, 1024)).reshape([2, 2, 16, 16])
        z = tl.dot(x, y)
        tl.store(Z + tl.arange(0, 1024), z.reshape([1024]))

    @jit
    def dot_f16acc(X, Y, C, Z, M: tl.constexpr, N: tl.constexpr, K: tl.constexpr):
        m = tl.arange(0, M)[:, None]
        n = tl.arange(0, N)[None, :]
        k = tl.arange(0, K)
        x = tl.load(X + m * K + k[None, :])
        y = tl.load(Y + k[:, None] * N + n)
        z = tl.dot(x, y, tl.load(C + m * N + n), out_dtype=tl.float16)
        tl.store(Z + m * N + n, z)

    @jit
    def dot_precision(X, Y, Z, M: tl.constexpr, N: tl.constexpr, K: tl.constexpr,
                      PREC: tl.constexpr):
        m = tl.arange(0, M)[:, None]
        n = tl.arange(0, N)[None, :]
        k = tl.arange(0, K)
        x = tl.load(X + m * K + k[None, :])
        y = tl.load(Y + k[:, None] * N + n)
        z = tl.dot(x, y, input_precision=PREC, max_num_imprecise_acc=0)
        tl.store(Z + m * N + n, z)

    @jit
    def bmm_loop(A, Bm, C, BATCH, M, N, K, BB: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr,
                 BK: tl.constexpr, ACC: tl.constexpr):
        # [BB, BM, BK] x [BB, BK, BN] tiles in a K loop (tools/bench's bmm): masked batch and K tail
        ob = tl.program_id(2) * BB + tl.arange(0, BB)
        om = tl.program_id(0) * BM + tl.arange(0, BM)
        on = tl.program_id(1) * BN + tl.arange(0, BN)
        ok = tl.arange(0, BK)
        a_ptrs = A + ob[:, None, None] * (M * K) + om[None, :, None] * K + ok[None, None, :]
        b_ptrs = Bm + ob[:, None, None] * (K * N) + ok[None, :, None] * N + on[None, None, :]
        acc = tl.zeros((BB, BM, BN), dtype=ACC)
        for k in range(0, tl.cdiv(K, BK)):
            a = tl.load(a_ptrs, mask=(ob[:, None, None] < BATCH) & (ok[None, None, :] < K - k * BK), other=0)
            b = tl.load(b_ptrs, mask=(ob[:, None, None] < BATCH) & (ok[None, :, None] < K - k * BK), other=0)
            acc = tl.dot(a, b, acc, out_dtype=ACC)
            a_ptrs += BK
            b_ptrs += BK * N
        c_ptrs = C + ob[:, None, None] * (M * N) + om[None, :, None] * N + on[None, None, :]
        tl.store(c_ptrs, acc, mask=(ob[:, None, None] < BATCH) & (om[None, :, None] < M) & (on[None, None, :] < N))

    return dict(dot3d=dot3d, dot4d=dot4d, dot_f16acc=dot_f16acc, dot_precision=dot_precision, bmm_loop=bmm_loop)


# (B, M, N, K): replicated results (B*M*N < invocations), register tiles within a batch, and
# K = 128 with B = 16 staged in two K slices (small sizes: lavapipe compiles big dots slowly).
@pytest.mark.parametrize("shape,dtype", [(s, d) for s in [(2, 4, 4, 8), (2, 16, 16, 16)]
                                         for d in ["float32", "float16", "int8"]] +
                         [((16, 4, 4, 128), "float32")])
def test_dot3d(kernels, torch, triton_vk, shape, dtype):
    B, M, N, K = shape
    rng = np.random.default_rng(B * M + N + K)
    if dtype == "int8":
        x = rng.integers(-100, 100, (B, M, K)).astype(np.int8)
        y = rng.integers(-100, 100, (B, K, N)).astype(np.int8)
        c = rng.integers(-1000, 1000, (B, M, N)).astype(np.int32)
        ref = np.matmul(x.astype(np.int64), y.astype(np.int64)) + c
    else:
        x = rng.integers(-4, 5, (B, M, K)).astype(dtype)  # exact in every precision
        y = rng.integers(-4, 5, (B, K, N)).astype(dtype)
        c = rng.standard_normal((B, M, N)).astype(np.float32)
        ref = np.matmul(x.astype(np.float64), y.astype(np.float64)) + c
    z = torch.zeros(c.shape, dtype=torch.from_numpy(c).dtype)
    kernels["dot3d"][(1,)](torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(c), z,
                           B=B, M=M, N=N, K=K, ADD_C=True,
                           OUT=triton_vk.language.int32 if dtype == "int8" else triton_vk.language.float32)
    np.testing.assert_allclose(z.numpy(), ref, rtol=1e-6)


# (batch, M, N, K) with 2 x 32 x 32 x 32 tiles: a batch cut inside a tile and a masked K tail.
# On devices with cooperative matrices these 3-D dots take that path (each subgroup's
# fragment rows in one batch, lower/dot_coopmat.cc); elsewhere the FMA path.
@pytest.mark.parametrize("dtype", ["float16", "int8"])
@pytest.mark.parametrize("shape", [(2, 32, 32, 32), (3, 64, 32, 80)])
def test_batched_matmul_loop(kernels, torch, triton_vk, dtype, shape):
    batch, M, N, K = shape
    rng = np.random.default_rng(batch + M + K)
    lo, hi = (-100, 100) if dtype == "int8" else (-4, 5)  # exact in f16 and an f32 accumulator
    a = rng.integers(lo, hi, (batch, M, K)).astype(dtype)
    b = rng.integers(lo, hi, (batch, K, N)).astype(dtype)
    ref = np.matmul(a.astype(np.int64), b.astype(np.int64))
    tl = triton_vk.language
    c = torch.zeros((batch, M, N), dtype=torch.int32 if dtype == "int8" else torch.float32)
    grid = (M // 32, N // 32, (batch + 1) // 2)
    kernels["bmm_loop"][grid](torch.from_numpy(a), torch.from_numpy(b), c, batch, M, N, K, BB=2, BM=32, BN=32,
                              BK=32, ACC=tl.int32 if dtype == "int8" else tl.float32)
    assert np.array_equal(c.numpy().astype(np.int64), ref)


def test_dot3d_no_acc_many_warps(kernels, torch):
    x = np.random.default_rng(1).standard_normal((2, 16, 16)).astype(np.float32)
    y = np.random.default_rng(2).standard_normal((2, 16, 16)).astype(np.float32)
    z = torch.zeros((2, 16, 16))
    kernels["dot3d"][(1,)](torch.from_numpy(x), torch.from_numpy(y), z, z, B=2, M=16, N=16, K=16,
                           ADD_C=False, num_warps=8)
    np.testing.assert_allclose(z.numpy(), np.matmul(x.astype(np.float64), y), rtol=1e-5, atol=1e-5)


def test_dot4d(kernels, torch):
    rng = np.random.default_rng(4)
    x = rng.integers(-4, 5, 1024).astype(np.float32)
    y = rng.integers(-4, 5, 1024).astype(np.float32)
    z = torch.zeros(1024)
    kernels["dot4d"][(1,)](torch.from_numpy(x), torch.from_numpy(y), z)
    ref = np.matmul(x.reshape(2, 2, 16, 16), y.reshape(2, 2, 16, 16)).reshape(1024)
    assert np.array_equal(z.numpy(), ref)


@pytest.mark.parametrize("shape", [(4, 4, 16), (32, 32, 32)])
def test_dot_f16_accumulator(kernels, torch, shape):
    M, N, K = shape
    rng = np.random.default_rng(M + K)
    x = rng.standard_normal((M, K)).astype(np.float16)
    y = rng.standard_normal((K, N)).astype(np.float16)
    c = rng.standard_normal((M, N)).astype(np.float16)
    z = torch.zeros((M, N), dtype=torch.float16)
    kernels["dot_f16acc"][(1,)](torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(c), z,
                                M=M, N=N, K=K)
    exact = np.matmul(x.astype(np.float64), y.astype(np.float64)) + c
    # Summed in f32 and rounded once: within one f16 rounding (plus f32 sum error) of exact.
    np.testing.assert_allclose(z.numpy().astype(np.float64), exact, rtol=2e-3, atol=2e-3)
    assert z.numpy().dtype == np.float16


@pytest.mark.parametrize("prec", ["ieee", "tf32", "tf32x3", "bf16x3", "bf16x6"])
def test_dot_input_precision(kernels, torch, prec):
    M, N, K = 16, 16, 32
    rng = np.random.default_rng(7)
    x = rng.standard_normal((M, K)).astype(np.float32)
    y = rng.standard_normal((K, N)).astype(np.float32)
    z = torch.zeros((M, N))
    kernels["dot_precision"][(1,)](torch.from_numpy(x), torch.from_numpy(y), z, M=M, N=N, K=K, PREC=prec)
    exact = np.matmul(x.astype(np.float64), y.astype(np.float64))
    # Full fp32 products and sums: far tighter than tf32 (~1e-3 relative) would be.
    np.testing.assert_allclose(z.numpy(), exact, rtol=1e-5, atol=1e-5)


# f64 dots (two scratch words per element): 2-D with register tiles, replicated small results,
# and batched. Random normal inputs: an f32 product or sum would be ~1e-7 off, f64 is ~1e-15.
@pytest.mark.parametrize("shape,warps", [((16, 16, 16), 4), ((64, 32, 64), 4), ((2, 4, 8), 1)])
def test_dot_f64(kernels, torch, shape, warps):
    M, N, K = shape
    rng = np.random.default_rng(M * N + K)
    x = rng.standard_normal((M, K))
    y = rng.standard_normal((K, N))
    z = torch.zeros((M, N), dtype=torch.float64)
    kernels["dot_precision"][(1,)](torch.from_numpy(x), torch.from_numpy(y), z, M=M, N=N, K=K, PREC="ieee",
                                   num_warps=warps)
    np.testing.assert_allclose(z.numpy(), np.matmul(x, y), rtol=1e-12, atol=1e-12)


def test_dot3d_f64(kernels, torch, triton_vk):
    B, M, N, K = 2, 16, 16, 32
    rng = np.random.default_rng(11)
    x, y, c = rng.standard_normal((B, M, K)), rng.standard_normal((B, K, N)), rng.standard_normal((B, M, N))
    z = torch.zeros((B, M, N), dtype=torch.float64)
    kernels["dot3d"][(1,)](torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(c), z, B=B, M=M, N=N, K=K,
                           ADD_C=True, OUT=triton_vk.language.float64)
    np.testing.assert_allclose(z.numpy(), np.matmul(x, y) + c, rtol=1e-12, atol=1e-12)
