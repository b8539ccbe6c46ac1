"""tl.dot_scaled (mxfp4 e2m1 / mxfp8 e4m3, e5m2 / bf16 / fp16 operands with optional e8m0
scales, both sides) and tl.dot with fp8 operands, through @triton.jit against a numpy
reference that decodes the formats itself (ir/scaled_dot.h: the rewrite to an ordinary dot)."""
import numpy as np
import pytest

E2M1 = np.array([0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6])


def decode_fp8(b, ebits):
    b = b.astype(np.int64)
    mbits = 7 - ebits
    bias = (1 << (ebits - 1)) - 1
    sign = np.where(b & 0x80, -1.0, 1.0)
    e = (b >> mbits) & ((1 << ebits) - 1)
    m = b & ((1 << mbits) - 1)
    v = np.where(e == 0, m * 2.0 ** (1 - bias - mbits), (1 + m / 2.0 ** mbits) * 2.0 ** (e - bias))
    if ebits == 5:
        v = np.where(e == 31, np.where(m == 0, np.inf, np.nan), v)
    else:
        v = np.where((e == 15) & (m == 7), np.nan, v)
    return sign * v


def decode(x, fmt, packed_dim):
    """Operand values (float64) of `fmt` from the raw torch tensor `x`."""
    if fmt == "bf16":
        import torch
        return x.to(torch.float32).numpy().astype(np.float64)
    if fmt == "fp16":
        return x.numpy().astype(np.float64)
    b = x.numpy().view(np.uint8)
    if fmt == "e4m3":
        return decode_fp8(b, 4)
    if fmt == "e5m2":
        return decode_fp8(b, 5)
    lo, hi = E2M1[b & 15], E2M1[b >> 4]
    shape = list(b.shape)
    shape[packed_dim] *= 2
    return np.stack([lo, hi], axis=packed_dim + 1).reshape(shape)  # low nibble first


def scale_values(s):
    s = s.numpy().view(np.uint8).astype(np.int64)
    v = np.where(s == 0, 0.0, 2.0 ** (s - 127))
    return np.where(s == 255, np.nan, v)


def make(torch, fmt, shape, gen, fp16=False):
    if fmt == "bf16":
        return (torch.randn(shape, generator=gen) * 4).to(torch.bfloat16)
    if fmt == "fp16":
        return (torch.randn(shape, generator=gen) * 4).to(torch.float16)
    x = torch.randint(0, 256, shape, generator=gen, dtype=torch.uint8)
    if fmt == "e4m3":
        x = torch.where(x & 0x7F == 0x7F, x & 0xF0, x)  # no NaN codes
    if fmt == "e5m2":
        x = torch.where(x & 0x7C == 0x7C, x & 0x83, x)  # no Inf/NaN codes
        if fp16:
            x = x & 0xBB  # |x| < 1: scaled products stay within f16 (the compute type with fp16)
    return x


@pytest.fixture(scope="module")
def kernels(triton_vk):
    tl = triton_vk.language
    jit = triton_vk.jit

    @jit
    def scaled(A, AS, B, BS, Out, M: tl.constexpr, N: tl.constexpr, K: tl.constexpr, fa: tl.constexpr,
               fb: tl.constexpr, A_KPACK: tl.constexpr, FAST: tl.constexpr):
        AR: tl.constexpr = M // 2 if (fa == "e2m1" and not A_KPACK) else M
        AC: tl.constexpr = K // 2 if (fa == "e2m1" and A_KPACK) else K
        BR: tl.constexpr = K // 2 if fb == "e2m1" else K
        a = tl.load(A + tl.arange(0, AR)[:, None] * AC + tl.arange(0, AC)[None, :])
        b = tl.load(B + tl.arange(0, BR)[:, None] * N + tl.arange(0, N)[None, :])
        G: tl.constexpr = K // 32
        sa = None
        sb = None
        if AS is not None:
            sa = tl.load(AS + tl.arange(0, M)[:, None] * G + tl.arange(0, G)[None, :])
        if BS is not None:
            sb = tl.load(BS + tl.arange(0, N)[:, None] * G + tl.arange(0, G)[None, :])
        c = tl.dot_scaled(a, sa, fa, b, sb, fb, lhs_k_pack=A_KPACK, fast_math=FAST)
        tl.store(Out + tl.arange(0, M)[:, None] * N + tl.arange(0, N)[None, :], c)

    @jit
    def fp8_dot(A, B, Out, M: tl.constexpr, N: tl.constexpr, K: tl.constexpr, TA: tl.constexpr, TB: tl.constexpr):
        a = tl.load(A + tl.arange(0, M)[:, None] * K + tl.arange(0, K)[None, :]).to(TA, bitcast=True)
        b = tl.load(B + tl.arange(0, K)[:, None] * N + tl.arange(0, N)[None, :]).to(TB, bitcast=True)
        tl.store(Out + tl.arange(0, M)[:, None] * N + tl.arange(0, N)[None, :], tl.dot(a, b))

    return dict(scaled=scaled, fp8_dot=fp8_dot)


CASES = [  # (lhs format, lhs scaled, rhs format, rhs scaled, lhs_k_pack)
    ("e2m1", True, "bf16", False, True),
    ("bf16", False, "e2m1", True, True),
    ("e4m3", True, "e5m2", False, True),
    ("fp16", False, "e5m2", True, True),
    ("e5m2", True, "fp16", False, True),
    ("e2m1", True, "e2m1", True, True),
    ("e2m1", True, "e4m3", False, False),
    ("e4m3", False, "bf16", False, True),
]


@pytest.mark.parametrize("fa, sa, fb, sb, kpack", CASES)
def test_dot_scaled(kernels, torch, fa, sa, fb, sb, kpack):
    M, N, K = 16, 16, 64
    gen = torch.Generator().manual_seed(hash((fa, sa, fb, sb, kpack)) % 1000)
    a_shape = (M, K // 2) if fa == "e2m1" and kpack else (M // 2, K) if fa == "e2m1" else (M, K)
    b_shape = (K // 2, N) if fb == "e2m1" else (K, N)
    fp16 = "fp16" in (fa, fb)
    a, b = make(torch, fa, a_shape, gen, fp16), make(torch, fb, b_shape, gen, fp16)
    lo, hi = (124, 131) if "fp16" in (fa, fb) else (110, 140)
    as_ = torch.randint(lo, hi, (M, K // 32), generator=gen, dtype=torch.uint8) if sa else None
    bs = torch.randint(lo, hi, (N, K // 32), generator=gen, dtype=torch.uint8) if sb else None
    out = torch.zeros((M, N), dtype=torch.float32)
    kernels["scaled"][(1,)](a, as_, b, bs, out, M=M, N=N, K=K, fa=fa, fb=fb, A_KPACK=kpack, FAST=False)
    av = decode(a, fa, 1 if kpack else 0)
    bv = decode(b, fb, 0)
    if sa:
        av = av * np.repeat(scale_values(as_), 32, axis=1)
    if sb:
        bv = bv * np.repeat(scale_values(bs), 32, axis=1).T
    ref = av @ bv
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())


@pytest.mark.parametrize("fast", [False, True])
def test_dot_scaled_special_scales(kernels, torch, fast):
    """Scale 0xFF is NaN (unless fastMath: then 2^128 = inf); scale 0 gives 0, as in Triton."""
    M, N, K = 16, 16, 64
    gen = torch.Generator().manual_seed(7)
    a = make(torch, "e4m3", (M, K), gen)
    a[:, :] = torch.where(a & 0x7F == 0, torch.full_like(a, 0x38), a)  # no zeros: inf * 0 stays out
    b = (torch.rand((K, N), generator=gen) + 0.5).to(torch.bfloat16)
    s = torch.full((M, K // 32), 127, dtype=torch.uint8)
    s[3, 1] = 255
    s[5, :] = 0
    out = torch.zeros((M, N), dtype=torch.float32)
    kernels["scaled"][(1,)](a, s, b, None, out, M=M, N=N, K=K, fa="e4m3", fb="bf16", A_KPACK=True, FAST=fast)
    o = out.numpy()
    ref = decode(a, "e4m3", 1) @ b.to(torch.float32).numpy().astype(np.float64)
    rows = [r for r in range(M) if r not in (3, 5)]
    np.testing.assert_allclose(o[rows], ref[rows], rtol=1e-5, atol=1e-4)
    assert np.all(o[5] == 0)
    assert np.all(np.isnan(o[3])) if not fast else np.all(~np.isfinite(o[3]))


@pytest.mark.parametrize("ta, tb", [("float8e4nv", "float8e4nv"), ("float8e5", "float8e5"),
                                    ("float8e4nv", "float8e5")])
def test_fp8_dot(kernels, triton_vk, torch, ta, tb):
    tl = triton_vk.language
    M, N, K = 16, 16, 32
    gen = torch.Generator().manual_seed(3)
    fa = "e4m3" if ta == "float8e4nv" else "e5m2"
    fb = "e4m3" if tb == "float8e4nv" else "e5m2"
    a, b = make(torch, fa, (M, K), gen), make(torch, fb, (K, N), gen)
    out = torch.zeros((M, N), dtype=torch.float32)
    kernels["fp8_dot"][(1,)](a, b, out, M=M, N=N, K=K, TA=getattr(tl, ta), TB=getattr(tl, tb))
    ref = decode(a, fa, 1) @ decode(b, fb, 0)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())


def decode_e4b15(codes):
    """fp8e4b15 codes → float64 (bias 15, no inf/NaN: the CUDA backend's bit-shift upcast)."""
    b = codes.astype(np.int64)
    e, m = (b >> 3) & 15, b & 7
    v = np.where(e == 0, m * 2.0 ** -17, (1 + m / 8.0) * 2.0 ** (e - 15))
    return np.where(b & 0x80, -v, v)


def test_fp8e4b15_conversions_and_dot(triton_vk, torch):
    tl = triton_vk.language
    triton = triton_vk

    @triton.jit
    def up_down(X, Up, F, Down, N: tl.constexpr):
        o = tl.arange(0, N)
        tl.store(Up + o, tl.load(X + o).to(tl.float32))         # fp8e4b15 → f32
        tl.store(Down + o, tl.load(F + o).to(tl.float8e4b15))   # f32 → fp8e4b15

    @triton.jit
    def dot(A, B, Out, M: tl.constexpr, N: tl.constexpr, K: tl.constexpr):
        a = tl.load(A + tl.arange(0, M)[:, None] * K + tl.arange(0, K)[None, :])
        b = tl.load(B + tl.arange(0, K)[:, None] * N + tl.arange(0, N)[None, :])
        tl.store(Out + tl.arange(0, M)[:, None] * N + tl.arange(0, N)[None, :], tl.dot(a, b))

    codes = torch.arange(-128, 128, dtype=torch.int8)
    f = torch.tensor([0.0, -0.0, 1.0, -1.5, 1.8, 3.0, -100.0, 2.0 ** -17, 2.0 ** -16 * 1.5, 0.3, -0.71, 1.7,
                      1.74, 1e-9, float("nan"), 0.0625] * 16, dtype=torch.float32)
    up = torch.empty(256, dtype=torch.float32)
    down = torch.empty(256, dtype=torch.int8)
    up_down[(1,)](triton.reinterpret(codes, tl.float8e4b15), up, f, triton.reinterpret(down, tl.float8e4b15), N=256)
    np.testing.assert_array_equal(up.numpy(), decode_e4b15(codes.numpy().view(np.uint8)).astype(np.float32))
    # Downcast: f16 rounding toward zero, |x| clamped to 1.75 (f16 0x3F00; NaN too), then
    # code = (bits + 0x40) >> 7 with the sign.
    x = f.numpy()
    with np.errstate(over="ignore"):
        h = np.abs(x).astype(np.float16)
    hb = h.view(np.uint16).astype(np.int64)
    hb = np.where(h.astype(np.float32) > np.abs(x), hb - 1, hb)  # toward zero
    hb = np.where(np.isnan(x), 0x3F00, np.minimum(hb, 0x3F00))
    want = ((hb + 0x40) >> 7) | np.where(np.signbit(x), 0x80, 0)
    np.testing.assert_array_equal(down.numpy().view(np.uint8), want.astype(np.uint8))

    M, N, K = 16, 16, 32
    gen = torch.Generator().manual_seed(5)
    a = torch.randint(-128, 128, (M, K), generator=gen, dtype=torch.int8)
    b = torch.randint(-128, 128, (K, N), generator=gen, dtype=torch.int8)
    out = torch.empty((M, N), dtype=torch.float32)
    dot[(1,)](triton.reinterpret(a, tl.float8e4b15), triton.reinterpret(b, tl.float8e4b15), out, M=M, N=N, K=K)
    ref = decode_e4b15(a.numpy().view(np.uint8)) @ decode_e4b15(b.numpy().view(np.uint8))
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-6)


def test_narrow_float_bitcasts(triton_vk, torch):
    """i16 ⇄ bf16/f16 and i8 ⇄ fp8 bitcasts (the scale and e2m1 upcasts rely on them)."""
    tl = triton_vk.language

    @triton_vk.jit
    def kern(H, B, E, Hf, Bf, Ho, Bo, Eo, N: tl.constexpr):
        o = tl.arange(0, N)
        hf = tl.load(H + o).to(tl.float16, bitcast=True)
        bf = tl.load(B + o).to(tl.bfloat16, bitcast=True)
        ef = tl.load(E + o).to(tl.float8e4nv, bitcast=True)
        tl.store(Hf + o, hf.to(tl.float32))
        tl.store(Bf + o, bf.to(tl.float32))
        tl.store(Ho + o, (hf * 2.0).to(tl.int16, bitcast=True))
        tl.store(Bo + o, (bf * 2.0).to(tl.int16, bitcast=True))
        tl.store(Eo + o, ef.to(tl.int8, bitcast=True))

    n = 256
    gen = torch.Generator().manual_seed(11)
    h = (torch.randn(n, generator=gen) * 8).to(torch.float16)
    b = (torch.randn(n, generator=gen) * 8).to(torch.bfloat16)
    e = torch.arange(-128, 128, dtype=torch.int8)
    e = torch.where(e & 0x7F == 0x7F, torch.zeros_like(e), e)  # NaN codes need not round-trip
    hf, bf = torch.empty(n), torch.empty(n)
    ho, bo, eo = torch.empty(n, dtype=torch.int16), torch.empty(n, dtype=torch.int16), torch.empty(n, dtype=torch.int8)
    kern[(1,)](h.view(torch.int16), b.view(torch.int16), e, hf, bf, ho, bo, eo, N=n)
    assert torch.equal(hf, h.to(torch.float32))
    assert torch.equal(bf, b.to(torch.float32))
    assert torch.equal(ho, (h * 2).view(torch.int16))
    assert torch.equal(bo, (b * 2).view(torch.int16))
    assert torch.equal(eo, e)
