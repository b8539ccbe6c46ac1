"""Matmuls whose tt.dot reads its operands straight from global memory (analysis/dot_operands.h:
on devices with cooperative matrices and buffer device addresses, a tt.load used only by the
dot is performed by the dot, in runs of up to 16 bytes written into its shared-memory staging).

The kernels cover what that path must get right: block pointers with boundary checks (rows,
columns and K cut by the problem size), pointer tensors recomputed from the loop index with a
masked K tail and a non-zero `other`, f16 and int8, several K slices per dot. Every result is
compared with numpy; on devices without cooperative matrices (lavapipe) the same kernels take the
FMA path, and there the test checks that path."""
import numpy as np
import pytest


@pytest.fixture(scope="module")
def kernels(triton_vk):
    tl = triton_vk.language
    jit = triton_vk.jit

    @jit
    def mm_block_ptr(a_ptr, b_ptr, c_ptr, M, N, K, sam, sbk, scm,
                     BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, ACC: tl.constexpr):
        pid_m = tl.program_id(0)
        pid_n = tl.program_id(1)
        a_bp = tl.make_block_ptr(a_ptr, (M, K), (sam, 1), (pid_m * BM, 0), (BM, BK), (1, 0))
        b_bp = tl.make_block_ptr(b_ptr, (K, N), (sbk, 1), (0, pid_n * BN), (BK, BN), (1, 0))
        acc = tl.zeros((BM, BN), dtype=ACC)
        for _ in range(0, tl.cdiv(K, BK)):
            a = tl.load(a_bp, boundary_check=(0, 1))
            b = tl.load(b_bp, boundary_check=(0, 1))
            acc = tl.dot(a, b, acc, out_dtype=ACC)
            a_bp = tl.advance(a_bp, (0, BK))
            b_bp = tl.advance(b_bp, (BK, 0))
        c_bp = tl.make_block_ptr(c_ptr, (M, N), (scm, 1), (pid_m * BM, pid_n * BN), (BM, BN), (1, 0))
        tl.store(c_bp, acc, boundary_check=(0, 1))

    @jit
    def mm_indexed(a_ptr, b_ptr, c_ptr, M, N, K, sam, sbk, scm, OTHER: tl.constexpr,
                   BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
        pid_m = tl.program_id(0)
        pid_n = tl.program_id(1)
        rm = pid_m * BM + tl.arange(0, BM)
        rn = pid_n * BN + tl.arange(0, BN)
        rk = tl.arange(0, BK)
        acc = tl.zeros((BM, BN), dtype=tl.float32)
        for k in range(0, tl.cdiv(K, BK)):
            kk = k * BK + rk
            a = tl.load(a_ptr + rm[:, None] * sam + kk[None, :], mask=kk[None, :] < K, other=OTHER)
            b = tl.load(b_ptr + kk[:, None] * sbk + rn[None, :], mask=kk[:, None] < K, other=OTHER)
            acc = tl.dot(a, b, acc)
        tl.store(c_ptr + rm[:, None] * scm + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))

    @jit
    def mm_tutorial(a_ptr, b_ptr, c_ptr, M, N, K, sam, sbk, scm,
                    BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, ACC: tl.constexpr):
        # Tutorial 03's form: pointer tensors advanced each iteration, the K tail masked with
        # `other` 0, rows and columns wrapped (% M, % N) on the loads and masked on the store.
        rm = (tl.program_id(0) * BM + tl.arange(0, BM)) % M
        rn = (tl.program_id(1) * BN + tl.arange(0, BN)) % N
        rk = tl.arange(0, BK)
        a_ptrs = a_ptr + rm[:, None] * sam + rk[None, :]
        b_ptrs = b_ptr + rk[:, None] * sbk + rn[None, :]
        acc = tl.zeros((BM, BN), dtype=ACC)
        for k in range(0, tl.cdiv(K, BK)):
            a = tl.load(a_ptrs, mask=rk[None, :] < K - k * BK, other=0)
            b = tl.load(b_ptrs, mask=rk[:, None] < K - k * BK, other=0)
            acc = tl.dot(a, b, acc, out_dtype=ACC)
            a_ptrs += BK
            b_ptrs += BK * sbk
        cm = tl.program_id(0) * BM + tl.arange(0, BM)
        cn = tl.program_id(1) * BN + tl.arange(0, BN)
        tl.store(c_ptr + cm[:, None] * scm + cn[None, :], acc, mask=(cm[:, None] < M) & (cn[None, :] < N))

    @jit
    def mm_carried_offset(a_ptr, b_ptr, c_ptr, M, N, K, sam, sbk, scm,
                          BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
        # Pointer tensors advanced each iteration and a K offset carried by the loop (a scalar
        # iter_arg): the pipelined loop evaluates the next mask from the offset it yields.
        rm = tl.program_id(0) * BM + tl.arange(0, BM)
        rn = tl.program_id(1) * BN + tl.arange(0, BN)
        rk = tl.arange(0, BK)
        a_ptrs = a_ptr + rm[:, None] * sam + rk[None, :]
        b_ptrs = b_ptr + rk[:, None] * sbk + rn[None, :]
        acc = tl.zeros((BM, BN), dtype=tl.float32)
        k_off = 0
        for _ in range(0, tl.cdiv(K, BK)):
            a = tl.load(a_ptrs, mask=(rk[None, :] + k_off) < K, other=0.0)
            b = tl.load(b_ptrs, mask=(rk[:, None] + k_off) < K, other=0.0)
            acc = tl.dot(a, b, acc)
            a_ptrs += BK
            b_ptrs += BK * sbk
            k_off += BK
        tl.store(c_ptr + rm[:, None] * scm + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))

    @jit
    def mm_trans_b(a_ptr, bt_ptr, c_ptr, M, N, K, sam, sbn, scm,
                   BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, ACC: tl.constexpr):
        # B given as B^T [N, K] (rows contiguous along K), as attention's tl.dot(q, tl.trans(k)):
        # masked rows of B^T (columns of the result) and a masked K tail.
        rm = tl.program_id(0) * BM + tl.arange(0, BM)
        rn = tl.program_id(1) * BN + tl.arange(0, BN)
        rk = tl.arange(0, BK)
        acc = tl.zeros((BM, BN), dtype=ACC)
        for k in range(0, tl.cdiv(K, BK)):
            kk = k * BK + rk
            a = tl.load(a_ptr + rm[:, None] * sam + kk[None, :], mask=(rm[:, None] < M) & (kk[None, :] < K), other=0)
            bt = tl.load(bt_ptr + rn[:, None] * sbn + kk[None, :], mask=(rn[:, None] < N) & (kk[None, :] < K), other=0)
            acc = tl.dot(a, tl.trans(bt), acc, out_dtype=ACC)
        tl.store(c_ptr + rm[:, None] * scm + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))

    @jit
    def mm_held(x_ptr, w_ptr, c_ptr, T, sx, sw, sc,
                BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, HOLD_A: tl.constexpr):
        # One operand loaded before the loop (loop-invariant: held in fragments), the other per
        # iteration; T tiles. HOLD_A: acc += x @ w_t for the T tiles w_t of w [T*BK, BN] (A
        # held); else acc += x_t @ w for the T tiles x_t of x [BM, T*BK] (B held).
        rm = tl.arange(0, BM)
        rn = tl.arange(0, BN)
        rk = tl.arange(0, BK)
        acc = tl.zeros((BM, BN), dtype=tl.float32)
        if HOLD_A:
            x = tl.load(x_ptr + rm[:, None] * sx + rk[None, :])
            for t in range(0, T):
                w = tl.load(w_ptr + (t * BK + rk[:, None]) * sw + rn[None, :])
                acc = tl.dot(x, w, acc)
        else:
            w = tl.load(w_ptr + rk[:, None] * sw + rn[None, :])
            for t in range(0, T):
                x = tl.load(x_ptr + rm[:, None] * sx + t * BK + rk[None, :])
                acc = tl.dot(x, w, acc)
        tl.store(c_ptr + rm[:, None] * sc + rn[None, :], acc)

    @jit
    def mm_row_scaled(a_ptr, b_ptr, s_ptr, c_ptr, T, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
        # acc = acc * s_t[:, None] + a_t @ b_t for T tiles: flash attention's rescaling of its
        # accumulator (held in fragments on devices with cooperative matrices).
        rm = tl.arange(0, BM)
        rn = tl.arange(0, BN)
        rk = tl.arange(0, BK)
        acc = tl.zeros((BM, BN), dtype=tl.float32)
        for t in range(0, T):
            a = tl.load(a_ptr + t * BM * BK + rm[:, None] * BK + rk[None, :])
            b = tl.load(b_ptr + t * BK * BN + rk[:, None] * BN + rn[None, :])
            s = tl.load(s_ptr + t * BM + rm)
            acc = acc * s[:, None]
            acc = tl.dot(a, b, acc)
        tl.store(c_ptr + rm[:, None] * BN + rn[None, :], acc)

    @jit
    def mm_halved(a_ptr, b_ptr, c_ptr, K, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
        # acc = acc * 0.5 + a_t @ b_t: the product is added after the dot, so the dot's result
        # is no loop accumulator and leaves the fragments every iteration through its scratch.
        rm = tl.arange(0, BM)
        rn = tl.arange(0, BN)
        rk = tl.arange(0, BK)
        a_ptrs = a_ptr + rm[:, None] * K + rk[None, :]
        b_ptrs = b_ptr + rk[:, None] * BN + rn[None, :]
        acc = tl.zeros((BM, BN), dtype=tl.float32)
        for _ in range(0, K, BK):
            acc = acc * 0.5 + tl.dot(tl.load(a_ptrs), tl.load(b_ptrs))
            a_ptrs += BK
            b_ptrs += BK * BN
        tl.store(c_ptr + rm[:, None] * BN + rn[None, :], acc)

    @jit
    def mm_fp8_trans_b(a_ptr, bt_ptr, c_ptr, M, N, K, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
        rm = tl.program_id(0) * BM + tl.arange(0, BM)
        rn = tl.program_id(1) * BN + tl.arange(0, BN)
        rk = tl.arange(0, BK)
        acc = tl.zeros((BM, BN), dtype=tl.float32)
        for k in range(0, tl.cdiv(K, BK)):
            kk = k * BK + rk
            a = tl.load(a_ptr + rm[:, None] * K + kk[None, :], mask=(rm[:, None] < M) & (kk[None, :] < K), other=0.0)
            bt = tl.load(bt_ptr + rn[:, None] * K + kk[None, :], mask=(rn[:, None] < N) & (kk[None, :] < K), other=0.0)
            acc = tl.dot(a, tl.trans(bt), acc)
        tl.store(c_ptr + rm[:, None] * N + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))

    return dict(block_ptr=mm_block_ptr, fp8_trans_b=mm_fp8_trans_b, row_scaled=mm_row_scaled, indexed=mm_indexed, carried=mm_carried_offset, trans_b=mm_trans_b,
                held=mm_held, halved=mm_halved, tutorial=mm_tutorial, f32=tl.float32, i32=tl.int32)


def _inputs(dtype, M, N, K, seed):
    rng = np.random.default_rng(seed)
    if dtype == "int8":
        return rng.integers(-100, 100, (M, K)).astype(np.int8), rng.integers(-100, 100, (K, N)).astype(np.int8)
    # Small integers: every product and sum is exact in f16 inputs and an f32 accumulator.
    return rng.integers(-4, 5, (M, K)).astype(np.float16), rng.integers(-4, 5, (K, N)).astype(np.float16)


def _exact(a, b):
    return np.matmul(a.astype(np.int64), b.astype(np.int64))


# (M, N, K) with 64 x 64 x 32 tiles: whole tiles, and rows, columns and K cut inside a tile
# (multiples of 16, so the specialized strides and bounds keep 16-byte runs).
SHAPES = [(64, 64, 64), (80, 96, 96), (128, 48, 160)]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "int8", "float8_e5m2"])
@pytest.mark.parametrize("shape", SHAPES)
def test_block_pointer_matmul(kernels, torch, triton_vk, dtype, shape):
    M, N, K = shape
    a, b = _inputs(dtype, M, N, K, M + N + K)
    out_dt = np.int32 if dtype == "int8" else np.float32
    c = torch.zeros((M, N), dtype=torch.int32 if dtype == "int8" else torch.float32)
    acc = triton_vk.language.int32 if dtype == "int8" else triton_vk.language.float32
    grid = ((M + 63) // 64, (N + 63) // 64)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    if dtype in ("bfloat16", "float8_e5m2"):  # the small integers are exact in both
        ta, tb = ta.to(getattr(torch, dtype)), tb.to(getattr(torch, dtype))
    kernels["block_ptr"][grid](ta, tb, c, M, N, K, K, N, N, BM=64, BN=64, BK=32, ACC=acc)
    assert np.array_equal(c.numpy(), _exact(a, b).astype(out_dt))


@pytest.mark.parametrize("shape", [(64, 64, 64), (80, 96, 160)])
def test_f32_matmul_at_tf32_precision(kernels, torch, shape):
    """f32 inputs at Triton's default precision (tf32): on devices with bf16 cooperative
    matrices each input is split into bf16 hi + lo and three products are summed (16
    significant bits per input, tf32 keeps 11); elsewhere the FMA path is exact. Either way the
    error stays within what tf32 allows, and a NaN input gives NaN."""
    M, N, K = shape
    rng = np.random.default_rng(M + K)
    a = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal((K, N)).astype(np.float32)
    b[3, 5] = np.nan  # column 5 of the result: NaN
    c = torch.zeros((M, N))
    grid = ((M + 63) // 64, (N + 63) // 64)
    kernels["block_ptr"][grid](torch.from_numpy(a), torch.from_numpy(b), c, M, N, K, K, N, N,
                               BM=64, BN=64, BK=32, ACC=kernels["f32"])
    exact = a.astype(np.float64) @ b.astype(np.float64)
    got = c.numpy()
    fin = np.isfinite(exact)
    # tf32 rounds each input to 11 significant bits: |error| <= 2^-10 sum |a||b| (with margin).
    bound = 2.0 ** -10 * (np.abs(a).astype(np.float64) @ np.abs(np.where(np.isfinite(b), b, 0)))
    assert np.all(np.abs(got[fin] - exact[fin]) <= bound[fin] + 1e-6)
    assert np.array_equal(np.isnan(got), np.isnan(exact)) and not np.isinf(got).any()


@pytest.mark.parametrize("other", [0.0, 1.0])
@pytest.mark.parametrize("shape", [(64, 64, 64), (64, 64, 80)])
def test_indexed_matmul_with_masked_k_tail(kernels, torch, other, shape):
    M, N, K = shape
    a, b = _inputs("float16", M, N, K, K)
    c = torch.zeros((M, N))
    BK = 32
    kernels["indexed"][(1, 1)](torch.from_numpy(a), torch.from_numpy(b), c, M, N, K, K, N, N,
                               OTHER=other, BM=64, BN=64, BK=BK)
    # Masked-off K positions read `other` in both operands: the padded product.
    Kp = (K + BK - 1) // BK * BK
    ap = np.full((M, Kp), other, np.float64)
    bp = np.full((Kp, N), other, np.float64)
    ap[:, :K] = a
    bp[:K, :] = b
    assert np.array_equal(c.numpy(), (ap @ bp).astype(np.float32))


def test_f32_matmul_of_tf32_exact_inputs_is_exact(kernels, torch):
    """Integers of 9 significant bits (tf32 holds them exactly; bf16 does not) multiply
    exactly at the default precision: the hi/lo split keeps all four products. Every partial
    sum is an integer below 2^24, so the f32 sums are exact in any order."""
    M, N, K = 64, 64, 32
    rng = np.random.default_rng(3)
    a = rng.integers(-511, 512, (M, K)).astype(np.float32)
    b = rng.integers(-511, 512, (K, N)).astype(np.float32)
    c = torch.zeros((M, N))
    kernels["block_ptr"][(1, 1)](torch.from_numpy(a), torch.from_numpy(b), c, M, N, K, K, N, N,
                                 BM=64, BN=64, BK=32, ACC=kernels["f32"])
    assert np.array_equal(c.numpy(), (a.astype(np.int64) @ b.astype(np.int64)).astype(np.float32))


@pytest.mark.parametrize("shape", [(64, 64, 64), (80, 96, 96), (64, 48, 80)])
def test_fp8_operands_are_read_directly_where_the_device_has_cooperative_matrices(kernels, torch, tv, shape):
    """f8E5M2 operands, as attention's tl.dot(q, tl.trans(k)) with masked rows and K tail and
    `other` 0.0, upcast to f16 for the dot: on a device with cooperative matrices each 16-byte
    run of codes is loaded whole (OpLoad of a uvec4) and widened as it is staged
    (DirectOperand::widen), and no code is loaded alone (OpLoad of a uchar). Elsewhere (the FMA
    path) the loads follow their layout class, which may also move 16-byte runs (a dot class's
    accesses set its vector width, analysis/vector_width.h): only the result is checked there."""
    M, N, K = shape
    a, b = _inputs("float16", M, N, K, 11 + M + K)
    ta = torch.from_numpy(a).to(torch.float8_e5m2)
    tbt = torch.from_numpy(np.ascontiguousarray(b.T)).to(torch.float8_e5m2)
    c = torch.zeros((M, N))
    grid = ((M + 63) // 64, (N + 63) // 64)
    h = kernels["fp8_trans_b"][grid](ta, tbt, c, M, N, K, BM=64, BN=64, BK=32)
    assert np.array_equal(c.numpy(), _exact(a, b).astype(np.float32))
    t = tv.device().target
    direct = t.cooperative_matrix and t.buffer_device_address
    asm = h.asm["spvdis"]
    if direct:
        assert "OpLoad %v4uint" in asm
        assert "OpLoad %uchar" not in asm


def test_direct_path_is_taken_where_the_device_has_cooperative_matrices(kernels, torch, tv):
    """On a device with cooperative matrices and buffer device addresses the operands are read
    by 16-byte loads (OpLoad of a uvec4). Elsewhere the loads follow their layout class (which
    may also move 16-byte runs, analysis/vector_width.h); the product is exact either way."""
    M = N = K = 64
    a, b = _inputs("float16", M, N, K, 7)
    c = torch.zeros((M, N))
    h = kernels["indexed"][(1, 1)](torch.from_numpy(a), torch.from_numpy(b), c, M, N, K, K, N, N,
                                   OTHER=0.0, BM=64, BN=64, BK=32)
    assert np.array_equal(c.numpy(), _exact(a, b).astype(np.float32))
    t = tv.device().target
    if t.cooperative_matrix and t.buffer_device_address:
        assert "OpLoad %v4uint" in h.asm["spvdis"]


@pytest.mark.parametrize("shape", [(64, 64, 32), (64, 64, 80), (80, 96, 160)])
def test_pipelined_and_unpipelined_loops_agree(kernels, torch, shape):
    """num_stages >= 2 software-pipelines the K loop on devices with cooperative matrices
    (analysis/dot_prefetch.h: the first tile is loaded before the loop, each iteration loads
    the next one while it multiplies); num_stages=1 does not. One K tile (a loop of one
    iteration: nothing to prefetch), a masked K tail, and several tiles with rows and columns
    cut: all give the exact product, with block pointers (not pipelined), pointer tensors, and
    pointer tensors with a K offset carried by the loop."""
    M, N, K = shape
    a, b = _inputs("float16", M, N, K, M * K)
    exact = _exact(a, b).astype(np.float32)
    grid = ((M + 63) // 64, (N + 63) // 64)
    for stages in (1, 2, 3):
        c = torch.full((M, N), -1.0)
        kernels["block_ptr"][grid](torch.from_numpy(a), torch.from_numpy(b), c, M, N, K, K, N, N,
                                   BM=64, BN=64, BK=32, ACC=kernels["f32"], num_stages=stages)
        assert np.array_equal(c.numpy(), exact), f"block pointers, num_stages={stages}"
        if M % 64 or N % 64:
            continue  # mm_indexed and mm_carried_offset have no row or column masks on their loads
        c = torch.full((M, N), -1.0)
        kernels["carried"][grid](torch.from_numpy(a), torch.from_numpy(b), c, M, N, K, K, N, N,
                                 BM=64, BN=64, BK=32, num_stages=stages)
        assert np.array_equal(c.numpy(), exact), f"carried K offset, num_stages={stages}"
        c = torch.full((M, N), -1.0)
        kernels["indexed"][(1, 1)](torch.from_numpy(a), torch.from_numpy(b), c, M, N, K, K, N, N,
                                   OTHER=0.0, BM=64, BN=64, BK=32, num_stages=stages)
        assert np.array_equal(c.numpy(), exact), f"pointer tensors, num_stages={stages}"


@pytest.mark.parametrize("dtype,tile", [("int8", (128, 128, 64)), ("float16", (64, 64, 32)),
                                        ("float16", (128, 128, 64))])
@pytest.mark.parametrize("iters", [1, 2, 3, 4])
def test_pipelined_tutorial_matmul(kernels, torch, dtype, tile, iters):
    """Tutorial 03's matmul pipelined (num_stages 3: each K tile's successor loaded while it is
    multiplied, staged in two K slices per iteration that alternate between two buffers) against
    num_stages 1, with int8 and f16 at 128x128x64 and f16 at 64x64x32 tiles: 1 to 4 iterations,
    a masked K tail in the last one, the rows and columns of the last tiles cut. Exact products.
    (Session 31 also ran it with whole-K buffers alternating by iteration, all 12 passing on the
    H200; that variant was slower for the int8 matmul and was not kept.)"""
    BM, BN, BK = tile
    M, N, K = BM + 16, BN + 32, (iters - 1) * BK + BK // 2
    a, b = _inputs(dtype, M, N, K, 101 + iters)
    exact = _exact(a, b)
    grid = ((M + BM - 1) // BM, (N + BN - 1) // BN)
    for stages in (1, 3):
        c = torch.full((M, N), -1, dtype=torch.int32 if dtype == "int8" else torch.float32)
        kernels["tutorial"][grid](torch.from_numpy(a), torch.from_numpy(b), c, M, N, K, K, N, N, BM=BM, BN=BN,
                                  BK=BK, ACC=kernels["i32" if dtype == "int8" else "f32"], num_stages=stages)
        assert np.array_equal(c.numpy(), exact.astype(c.numpy().dtype)), f"num_stages={stages}"


def test_pipelined_loop_whose_dot_is_no_accumulator(kernels, torch):
    """The dot's result is converted to the blocked layout every iteration, through the dot's
    own scratch: such a loop is not pipelined (the next tile would be kept in that scratch and
    overwritten). Until session 17 it was, and the H200 got wrong products."""
    BM, BN, BK, K = 64, 64, 32, 128
    a, b = _inputs("float16", BM, BN, K, 17)
    want = np.zeros((BM, BN))
    for k0 in range(0, K, BK):
        want = want * 0.5 + _exact(a[:, k0:k0 + BK], b[k0:k0 + BK])
    for stages in (1, 3):
        c = torch.full((BM, BN), -1.0)
        kernels["halved"][(1,)](torch.from_numpy(a), torch.from_numpy(b), c, K, BM=BM, BN=BN, BK=BK,
                                num_stages=stages)
        assert np.array_equal(c.numpy(), want.astype(np.float32)), f"num_stages={stages}"


def test_pipelined_loop_that_never_runs(kernels, torch):
    """K = 0: the K loop runs no iteration, so the tile loaded before it must not be loaded
    (its addresses may not exist) and the product is zero."""
    M = N = 64
    a = torch.zeros((M, 16), dtype=torch.float16)
    b = torch.zeros((16, N), dtype=torch.float16)
    c = torch.full((M, N), -1.0)
    kernels["indexed"][(1, 1)](a, b, c, M, N, 0, 16, N, N, OTHER=0.0, BM=64, BN=64, BK=32, num_stages=3)
    assert np.array_equal(c.numpy(), np.zeros((M, N), np.float32))


def test_prefetch_is_planned_where_the_device_has_cooperative_matrices(kernels, torch, tv):
    """With pointer tensors advanced by the loop (tensor inductions), the pipelined loop loads
    the first tile before the loop and the next one inside it; with num_stages=1 every 16-byte
    load is inside the loop. (Pointers recomputed from the loop counter or block-pointer
    offsets are not pipelined: analysis/dot_prefetch.h.)"""
    M = N = K = 128
    a, b = _inputs("float16", M, N, K, 5)
    t = tv.device().target
    if not (t.cooperative_matrix and t.buffer_device_address):
        pytest.skip("no cooperative matrices: the FMA path has no prefetch")
    asm = {}
    for stages in (1, 3):
        c = torch.zeros((M, N))
        h = kernels["carried"][(2, 2)](torch.from_numpy(a), torch.from_numpy(b), c, M, N, K, K, N, N,
                                       BM=64, BN=64, BK=32, num_stages=stages)
        assert np.array_equal(c.numpy(), _exact(a, b).astype(np.float32))
        asm[stages] = h.asm["spvdis"]
    # Pipelined: 16-byte loads both before the K loop (first tile) and in it (next tile).
    first_loop = lambda s: s.index("OpLoopMerge")
    assert "OpLoad %v4uint" in asm[3][:first_loop(asm[3])]
    assert "OpLoad %v4uint" not in asm[1][:first_loop(asm[1])]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "int8"])
@pytest.mark.parametrize("shape", [(64, 64, 64), (80, 96, 96), (64, 48, 80)])
def test_matmul_with_transposed_b(kernels, torch, triton_vk, dtype, shape):
    """tl.dot(a, tl.trans(bt)) with bt [N, K] loaded in 16-byte runs: on devices with
    cooperative matrices the dot stages bt's rows as loaded and reads B column-major (no
    trans exchange); masked rows and K tails read 0."""
    M, N, K = shape
    a, b = _inputs(dtype, M, N, K, M * 3 + N + K)
    bt = np.ascontiguousarray(b.T)
    out_dt = np.int32 if dtype == "int8" else np.float32
    c = torch.zeros((M, N), dtype=torch.int32 if dtype == "int8" else torch.float32)
    acc = triton_vk.language.int32 if dtype == "int8" else triton_vk.language.float32
    ta, tbt = torch.from_numpy(a), torch.from_numpy(bt)
    if dtype == "bfloat16":
        ta, tbt = ta.to(torch.bfloat16), tbt.to(torch.bfloat16)
    grid = ((M + 63) // 64, (N + 63) // 64)
    kernels["trans_b"][grid](ta, tbt, c, M, N, K, K, K, N, BM=64, BN=64, BK=32, ACC=acc)
    assert np.array_equal(c.numpy(), _exact(a, b).astype(out_dt))


@pytest.mark.parametrize("hold_a", [True, False])
@pytest.mark.parametrize("tiles", [0, 1, 3])
@pytest.mark.parametrize("geometry", [(64, 64, 32, 4), (128, 64, 128, 8)])
def test_loop_invariant_operand(kernels, torch, hold_a, tiles, geometry):
    """A dot operand loaded before the loop (attention's Q): on devices with cooperative matrices
    it is staged once and held in fragments across the iterations. 128 x 64 x 128 with 8 warps
    (attention at head dim 128): on NVIDIA's 48 KiB the held operand's and the other's K slices
    do not fit side by side, so the loop stages the other's whole K alone."""
    BM, BN, BK, warps = geometry
    rng = np.random.default_rng(tiles + 10 * hold_a + BK)
    if hold_a:
        x = rng.integers(-4, 5, (BM, BK)).astype(np.float16)
        w = rng.integers(-4, 5, (max(tiles, 1) * BK, BN)).astype(np.float16)
        want = sum((x.astype(np.int64) @ w[t * BK:(t + 1) * BK].astype(np.int64) for t in range(tiles)),
                   np.zeros((BM, BN), np.int64))
        sx, sw = BK, BN
    else:
        x = rng.integers(-4, 5, (BM, max(tiles, 1) * BK)).astype(np.float16)
        w = rng.integers(-4, 5, (BK, BN)).astype(np.float16)
        want = sum((x[:, t * BK:(t + 1) * BK].astype(np.int64) @ w.astype(np.int64) for t in range(tiles)),
                   np.zeros((BM, BN), np.int64))
        sx, sw = x.shape[1], BN
    c = torch.full((BM, BN), -1.0)
    kernels["held"][(1,)](torch.from_numpy(x), torch.from_numpy(w), c, tiles, sx, sw, BN,
                          BM=BM, BN=BN, BK=BK, HOLD_A=hold_a, num_warps=warps)
    assert np.array_equal(c.numpy(), want.astype(np.float32))


@pytest.mark.parametrize("tiles", [1, 3])
def test_accumulator_rows_scaled_each_iteration(kernels, torch, tiles):
    """acc = acc * s[:, None] then acc = tl.dot(a, b, acc), as flash attention rescales: every row
    scaled by its own power of two (exact), so the result is exact in f32."""
    BM, BN, BK = 64, 64, 32
    rng = np.random.default_rng(tiles)
    a = rng.integers(-4, 5, (tiles, BM, BK)).astype(np.float16)
    b = rng.integers(-4, 5, (tiles, BK, BN)).astype(np.float16)
    s = (2.0 ** rng.integers(-2, 3, (tiles, BM))).astype(np.float32)
    want = np.zeros((BM, BN))
    for t in range(tiles):
        want = want * s[t][:, None] + a[t].astype(np.float64) @ b[t].astype(np.float64)
    c = torch.zeros((BM, BN))
    kernels["row_scaled"][(1,)](torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(s), c, tiles,
                                BM=BM, BN=BN, BK=BK)
    assert np.array_equal(c.numpy(), want.astype(np.float32))
