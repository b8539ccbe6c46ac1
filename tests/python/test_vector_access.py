"""Vector loads and stores (analysis/vector_width.h, lower/memory_runs.cc): runs of consecutive
elements move as one access of up to 16 bytes, 8- and 16-bit elements packed in 32-bit words.
Checked bit for bit over dtypes, masks that are constant on runs and masks that are not (per-
element fallback), misaligned bases (no vectors), and kernels whose tensors cannot take vectors
(a reduction keeps v = 1); the SPIR-V shows the 16-byte accesses where they are proven."""
import numpy as np
import pytest

DTYPES = ["float16", "bfloat16", "float32", "int8", "int16", "int32", "int64", "float64",
          "float8_e5m2", "float8_e4m3fn"]


@pytest.fixture(scope="module")
def k(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def copy(X, Y, n, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        m = o < n
        tl.store(Y + o, tl.load(X + o, mask=m), mask=m)

    @triton_vk.jit
    def shifted(X, Y, n, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        m = o + 1 < n
        tl.store(Y + o, tl.load(X + o + 1, mask=m), mask=m)  # runs not aligned

    @triton_vk.jit
    def widen(X, Y, n, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        m = o < n
        tl.store(Y + o, tl.load(X + o, mask=m).to(tl.float32), mask=m)  # exact, no arithmetic (FTZ)

    @triton_vk.jit
    def rowsum(X, Y, BLOCK: tl.constexpr):
        r = tl.program_id(0)
        x = tl.load(X + r * BLOCK + tl.arange(0, BLOCK)).to(tl.float32)
        tl.store(Y + r * BLOCK + tl.arange(0, BLOCK), x - tl.sum(x, axis=0))
    @triton_vk.jit
    def softmax_row(X, Y, n, BLOCK: tl.constexpr):
        r = tl.program_id(0)
        cols = tl.arange(0, BLOCK)
        m = cols < n
        x = tl.load(X + r * n + cols, mask=m, other=float("-inf")).to(tl.float32)
        e = tl.exp(x - tl.max(x, axis=0))
        tl.store(Y + r * n + cols, (e / tl.sum(e, axis=0)).to(Y.dtype.element_ty), mask=m)

    @triton_vk.jit
    def argmax_row(X, I, BLOCK: tl.constexpr):
        r = tl.program_id(0)
        tl.store(I + r, tl.argmax(tl.load(X + r * BLOCK + tl.arange(0, BLOCK)), axis=0))
    @triton_vk.jit
    def transpose(X, Y, M, N, BM: tl.constexpr, BN: tl.constexpr):
        rm = tl.program_id(0) * BM + tl.arange(0, BM)
        rn = tl.program_id(1) * BN + tl.arange(0, BN)
        m = (rm[:, None] < M) & (rn[None, :] < N)
        x = tl.load(X + rm[:, None] * N + rn[None, :], mask=m)
        tl.store(Y + rn[None, :] * M + rm[:, None], x, mask=m)

    @triton_vk.jit
    def bias_rows(X, B, Y, N, BM: tl.constexpr, BN: tl.constexpr):
        rm = tl.program_id(0) * BM + tl.arange(0, BM)
        rn = tl.arange(0, BN)
        o = rm[:, None] * N + rn[None, :]
        tl.store(Y + o, tl.load(X + o) + tl.load(B + rn)[None, :])
    @triton_vk.jit
    def hinted(X, Y, base_ptr, BLOCK: tl.constexpr, HINT: tl.constexpr):
        base = tl.load(base_ptr)  # nothing known about it...
        if HINT:  # ... unless the kernel says so
            base = tl.multiple_of(base, 16)
        offs = base + tl.arange(0, BLOCK)
        if HINT:
            offs = tl.max_contiguous(tl.multiple_of(offs, 16), 16)
        tl.store(Y + offs, tl.load(X + offs) * 2.0)
    @triton_vk.jit
    def loaded_mask(X, M, Y, Z, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mk = tl.load(M + o) != 0  # a mask read from memory: nothing known about its runs
        tl.store(Y + o, tl.load(X + o, mask=mk, other=-1.0))
        tl.store(Z + o, tl.load(X + o), mask=mk)

    @triton_vk.jit
    def loaded_mask_2d(X, M, Y, N: tl.constexpr):
        r = tl.arange(0, N)
        o = r[:, None] * N + r[None, :]
        mk = tl.trans(tl.load(M + o)) != 0  # runs neither along rows nor columns
        mk = mk & (tl.load(M + o) >= 0)
        tl.store(Y + o, tl.load(X + o, mask=mk, other=-1.0))
    @triton_vk.jit
    def select_bound(X, Y, M: tl.constexpr, N: tl.constexpr):
        rows = tl.arange(0, M)
        cols = tl.arange(0, N)
        lens = tl.where(rows % 2 == 0, rows, 0)  # no runs: elements 2, 4, .. are not aligned
        x = tl.load(X + rows[:, None] * N + cols[None, :], mask=cols[None, :] < lens[:, None], other=-1.0)
        tl.store(Y + rows[:, None] * N + cols[None, :], x)

    @triton_vk.jit
    def select_period(X, Y, M: tl.constexpr, N: tl.constexpr):
        rows = tl.arange(0, M)
        cols = tl.arange(0, N)
        period = tl.where(rows > 0, rows, N)
        tl.store(Y + rows[:, None] * N + cols[None, :], tl.load(X + rows[:, None] * N + cols[None, :] % period[:, None]))

    @triton_vk.jit
    def loop_bound(X, Y, M: tl.constexpr, N: tl.constexpr):
        rows = tl.arange(0, M)
        cols = tl.arange(0, N)
        lens = rows  # the first iteration's bounds run; the later ones are 0
        for it in range(2):
            x = tl.load(X + rows[:, None] * N + cols[None, :], mask=cols[None, :] < lens[:, None], other=-1.0)
            tl.store(Y + it * M * N + rows[:, None] * N + cols[None, :], x)
            lens = tl.zeros([M], dtype=tl.int32)

    @triton_vk.jit
    def srem_negative(X, Y, BLOCK: tl.constexpr):
        o = tl.arange(0, BLOCK)
        tl.store(Y + o, tl.load(X + 16 + (o - 16) % 16))  # 0, -15, .., -1 for o < 16

    @triton_vk.jit
    def padded_rem_div(X, Y, Z, pad, B: tl.constexpr, K: tl.constexpr):
        x = tl.program_id(0) * B - pad + tl.arange(0, B)  # negative first elements
        o = tl.arange(0, B)
        tl.store(Y + o, tl.load(X + x % K + K))
        tl.store(Z + o, tl.load(X + o, mask=(x // K) < 0, other=-1.0))

    return dict(copy=copy, shifted=shifted, widen=widen, rowsum=rowsum, softmax_row=softmax_row,
                select_bound=select_bound, padded_rem_div=padded_rem_div, select_period=select_period, loop_bound=loop_bound,
                srem_negative=srem_negative,
                argmax_row=argmax_row, transpose=transpose, bias_rows=bias_rows, hinted=hinted,
                loaded_mask=loaded_mask, loaded_mask_2d=loaded_mask_2d)


def _bits(torch, t):
    t = t.cpu().contiguous()
    return t.view({1: torch.int8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()])


def _random(torch, dtype, n, seed):
    """Every bit pattern class: NaNs, infinities, -0.0, subnormals, extreme integers."""
    g = torch.Generator().manual_seed(seed)
    size = dtype.itemsize
    raw = torch.randint(-2**(8 * size - 1), 2**(8 * size - 1) - 1, (n,), generator=g, dtype=torch.int64)
    bits = {1: torch.int8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[size]
    return raw.to(bits).view(dtype)


def _same(torch, got, want):
    """Bit for bit, except that a NaN may come back as another NaN (its payload quieted)."""
    gb, wb = _bits(torch, got), _bits(torch, want)
    if want.dtype.is_floating_point:
        gf, wf = got.cpu().float(), want.float()
        return bool(((gb == wb) | (gf.isnan() & wf.isnan())).all())
    return bool((gb == wb).all())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [4096, 4096 + 16, 1001])
def test_copy_bit_exact(k, torch, dtype, n):
    """n % 16 == 0: Triton proves the mask constant on runs (one branch per run); n = 1001:
    runs at the end mix true and false masks (per-element accesses)."""
    dt = getattr(torch, dtype)
    x = _random(torch, dt, n, 1)
    y = torch.empty(n + 32, dtype=dt)
    y.view(torch.int8).fill_(7)  # masked-off elements must stay as they were
    k["copy"][(triton_cdiv(n, 1024),)](x, y, n, BLOCK=1024)
    assert _same(torch, y[:n], x), dtype
    assert bool((y[n:].view(torch.int8) == 7).all())


def triton_cdiv(a, b):
    return (a + b - 1) // b


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "int8", "float32"])
def test_unaligned_runs_and_bases(k, torch, dtype):
    dt = getattr(torch, dtype)
    n = 4096
    x = _random(torch, dt, n + 1, 2)
    y = torch.zeros(n, dtype=dt)
    k["shifted"][(n // 1024,)](x, y, n, BLOCK=1024)  # X + o + 1: runs start off alignment
    assert _same(torch, y[: n - 1], x[1:n])
    y2 = torch.zeros(n, dtype=dt)
    k["copy"][(n // 1024,)](x[1:], y2, n, BLOCK=1024)  # a base that is not 16-byte aligned
    assert _same(torch, y2, x[1:])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float8_e5m2", "int8"])
def test_narrow_loads_convert_exactly(k, torch, dtype):
    dt = getattr(torch, dtype)
    n = 2048
    x = _random(torch, dt, n, 3)
    y = torch.zeros(n, dtype=torch.float32)
    k["widen"][(n // 1024,)](x, y, n, BLOCK=1024)
    want = x.float()
    torch.testing.assert_close(y, want, rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("n", [2048, 1000])
def test_row_reductions_to_scalars_take_vectors(k, torch, n):
    """A 1-D row reduced to scalars (softmax, argmax) keeps its vector class: each invocation
    combines the elements it holds; argmax's first-occurrence ties do not depend on which."""
    g = torch.Generator().manual_seed(5)
    x = torch.randn(3, n, generator=g).half()
    y = torch.zeros(3, n, dtype=torch.float16)
    k["softmax_row"][(3,)](x, y, n, BLOCK=2048)
    torch.testing.assert_close(y.float(), torch.softmax(x.float(), 1), rtol=2e-3, atol=1e-5)
    v = torch.randint(0, 4, (5, 2048), generator=g).float()  # many ties of the maximum
    i = torch.zeros(5, dtype=torch.int32)
    k["argmax_row"][(5,)](v, i, BLOCK=2048)
    assert torch.equal(i.long(), torch.argmax(v, 1))
    asm = k["argmax_row"].warmup(v, i, BLOCK=2048, grid=(5,)).asm["spvdis"]
    assert "OpLoad %v4float" in asm


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "int8", "float32", "int64"])
@pytest.mark.parametrize("shape", [(256, 128), (240, 80), (200, 72)])
def test_transpose_runs_along_both_dimensions(k, torch, dtype, shape):
    """Loads run along the last dimension through broadcast pointers; the transposed store
    runs along dimension 0 in its scratch order. (240, 80): partial tiles, masks constant on
    runs; (200, 72): nothing aligned is proven (one access per element)."""
    dt = getattr(torch, dtype)
    M, N = shape
    x = _random(torch, dt, M * N, 6).reshape(M, N)
    y = torch.zeros(N, M, dtype=dt)
    k["transpose"][(triton_cdiv(M, 64), triton_cdiv(N, 64))](x, y, M, N, BM=64, BN=64)
    assert _same(torch, y, x.t())


def test_transpose_and_broadcast_take_16_byte_accesses(k, torch):
    x = torch.zeros(256, 128, dtype=torch.float16)
    asm = k["transpose"].warmup(x, x, 256, 128, BM=64, BN=64, grid=(4, 2)).asm["spvdis"]
    lines = asm.splitlines()
    assert any("OpLoad %v4uint" in line and "Aligned 16" in line for line in lines)
    assert any("OpStore" in line and "Aligned 16" in line for line in lines), "transposed store"
    xb, b = torch.randn(64, 256), torch.randn(256)
    y = torch.zeros(64, 256)
    k["bias_rows"][(4,)](xb, b, y, 256, BM=16, BN=256)
    torch.testing.assert_close(y, xb + b)
    asm = k["bias_rows"].warmup(xb, b, y, 256, BM=16, BN=256, grid=(4,)).asm["spvdis"]
    assert "OpLoad %v4float" in asm


def test_reduction_kernels_keep_scalar_accesses(k, torch):
    x = torch.randn(4, 1024)
    y = torch.zeros(4, 1024)
    k["rowsum"][(4,)](x, y, BLOCK=1024)
    torch.testing.assert_close(y, x - x.sum(1, keepdim=True), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("dtype,vector", [("float16", "%v4uint"), ("int8", "%v4uint"), ("float32", "%v4float")])
def test_proven_runs_are_16_byte_accesses(k, torch, dtype, vector):
    """16 bytes per invocation and run where the block holds that many per invocation (lavapipe:
    W = 128 invocations for num_warps=4; 2048 int8 elements give each 16)."""
    dt = getattr(torch, dtype)
    x = torch.zeros(8192, dtype=dt)
    kern = k["copy"].warmup(x, x, 8192, BLOCK=2048, grid=(4,))
    asm = kern.asm["spvdis"]
    loads = [line for line in asm.splitlines() if "OpLoad " + vector in line]
    assert loads and all("Aligned 16" in line for line in loads), asm[-2000:]
    assert any("OpStore" in line and "Aligned 16" in line for line in asm.splitlines())


def test_multiple_of_and_max_contiguous_hints_allow_vectors(k, torch, tv):
    """tl.multiple_of / tl.max_contiguous (tt.divisibility / tt.contiguity) are taken as Triton
    takes them: a base loaded from memory, hinted a multiple of 16, gives 16-byte accesses;
    without the hints the accesses stay per element. Results are the same either way."""
    x = torch.arange(4096, dtype=torch.float32)
    base = torch.tensor([1024], dtype=torch.int32)
    vec = {}
    for hint in (False, True):
        y = torch.zeros_like(x)
        h = k["hinted"][(1,)](x, y, base, BLOCK=1024, HINT=hint)
        want = torch.zeros_like(x)
        want[1024:2048] = x[1024:2048] * 2
        assert torch.equal(y, want)
        vec[hint] = "OpLoad %v4float" in h.asm["spvdis"]
    assert not vec[False]
    assert vec[True] == bool(tv.device().target.buffer_device_address)


def test_masks_loaded_from_memory_stay_per_element(k, torch):
    """A mask computed from loaded values has no known runs (axis info: a load's result is
    unknown, not constant), so vector accesses under it take each element's own mask bit."""
    n = 1024
    x = torch.arange(n, dtype=torch.float32)
    m = torch.tensor([(i * 7) % 3 == 0 for i in range(n)], dtype=torch.int32)
    y, z = torch.zeros(n), torch.zeros(n)
    k["loaded_mask"][(n // 256,)](x, m, y, z, BLOCK=256)
    assert torch.equal(y, torch.where(m != 0, x, torch.full_like(x, -1.0)))
    assert torch.equal(z, torch.where(m != 0, x, torch.zeros_like(x)))
    N = 32
    x2 = torch.arange(N * N, dtype=torch.float32).reshape(N, N)
    m2 = torch.tensor([[(i * 5 + j * 3) % 4 == 0 for j in range(N)] for i in range(N)], dtype=torch.int32)
    y2 = torch.zeros(N, N)
    k["loaded_mask_2d"][(1,)](x2, m2, y2, N=N)
    assert torch.equal(y2, torch.where(m2.t() != 0, x2, torch.full_like(x2, -1.0)))


def test_runs_that_selects_loops_and_signed_remainders_break(k, torch):
    """Axis-info facts that hold only for a run's first element stay there: a tl.where between
    a range and 0 has no runs (nor aligned elements), a loop-carried range meeting zeros
    neither, and srem of negative blocks is not consecutive. Each gave vector accesses over
    addresses or masks that are not runs (wrong results on lavapipe)."""
    M, N = 32, 64
    x = torch.arange(M * N, dtype=torch.float32).reshape(M, N)
    r, c = torch.arange(M), torch.arange(N)
    y = torch.zeros(M, N)
    k["select_bound"][(1,)](x, y, M=M, N=N)
    lens = torch.where(r % 2 == 0, r, torch.zeros_like(r))
    assert torch.equal(y, torch.where(c[None, :] < lens[:, None], x, torch.full_like(x, -1.0)))
    y = torch.zeros(M, N)
    k["select_period"][(1,)](x, y, M=M, N=N)
    per = torch.where(r > 0, r, torch.full_like(r, N))
    assert torch.equal(y, torch.gather(x, 1, c[None, :] % per[:, None]))
    y = torch.zeros(2, M, N)
    k["loop_bound"][(1,)](x, y, M=M, N=N)
    assert torch.equal(y[0], torch.where(c[None, :] < r[:, None], x, torch.full_like(x, -1.0)))
    assert torch.equal(y[1], torch.full_like(x, -1.0))
    B = 1024
    xb, o = torch.arange(B, dtype=torch.float32), torch.arange(B)
    yb = torch.zeros(B)
    k["srem_negative"][(1,)](xb, yb, BLOCK=B)
    assert torch.equal(yb, xb[16 + torch.fmod(o - 16, 16)])
    # A scalar difference (program id times B minus an argument) has no sign either: srem and
    # sdiv of its blocks are neither runs nor constant.
    x = torch.arange(256) - 16
    yb, zb = torch.zeros(256), torch.zeros(256)
    k["padded_rem_div"][(1,)](xb, yb, zb, 16, B=256, K=8, num_warps=1)
    assert torch.equal(yb, xb[torch.fmod(x, 8) + 8])
    assert torch.equal(zb, torch.where(torch.div(x, 8, rounding_mode="trunc") < 0, xb[:256], torch.tensor(-1.0)))


def test_staged_view_keeps_its_alignment(k, torch):
    """A CPU tensor whose data_ptr is 16-byte aligned but whose storage starts 8 bytes earlier
    (Triton marks the pointer divisible by 16, the kernel loads 16-byte vectors): staging keeps
    the host address's alignment (memory.Staged), so the launch runs (it was refused)."""
    n = 1024
    raw = np.arange(n + 16, dtype=np.float32)
    skip = next(i for i in range(4) if (raw.ctypes.data + 4 * i) % 16 == 8)  # storage start 8 mod 16
    base = torch.from_numpy(raw[skip:])  # its own storage starts at 8 mod 16
    x = base[2:2 + n]                    # data_ptr at 0 mod 16
    assert x.data_ptr() % 16 == 0 and base.data_ptr() % 16 == 8
    y = torch.zeros(n)
    k["copy"][(n // 256,)](x, y, n, BLOCK=256)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
