"""Float results that must match Triton-CUDA exactly or to the last bits, through @triton.jit on
the active Vulkan device, against numpy/torch on the CPU. Regressions of silent wrong results:

- `%` on floats (arith.remf, C fmod): the driver's OpFRem computes a - b*trunc(a/b) in floating
  point, which is off by up to |b| when the product or the quotient rounds (lavapipe) — now exact
  integer code (src/lower/frem.cc);
- tl.math.div_rn / sqrt_rn: the FMA residual step assumed a fused multiply-add, which lavapipe's
  GLSL Fma is not (410 of 4096 quotients were off by one ulp) — now through f64;
- f64 exp/exp2/log/log2/sin/cos/erf: GLSL.std.450 has them for 16/32-bit floats only (invalid
  SPIR-V before) — now f64 code (src/lower/math_f64.cc), checked to 2-3 ulp.
"""
import numpy as np
import pytest


def _np_bits_equal(got, ref):
    """Bitwise equality, any NaN equal to any NaN."""
    ut = {2: np.uint16, 4: np.uint32, 8: np.uint64}[got.dtype.itemsize]
    same = got.view(ut) == ref.view(ut)
    return same | (np.isnan(got) & np.isnan(ref))


def _rem_kernel(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def rem(X, Y, Z, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(Z + o, tl.load(X + o) % tl.load(Y + o))
    return rem


def _hard_remainders(dtype, rs, count):
    """Operands where a - b*trunc(a/b) in `dtype` is far from fmod: a near n*b for large n."""
    xs, ys = [], []
    while len(xs) < count:
        b = dtype(rs.standard_normal() * 2.0 ** rs.randint(-8, 8))
        a = dtype(dtype(rs.randint(2, 1 << 20)) * b)
        for cand in (a, np.nextafter(a, dtype(0)), np.nextafter(a, dtype(np.inf) * np.sign(a))):
            xs.append(cand)
            ys.append(b)
    return np.array(xs[:count], dtype), np.array(ys[:count], dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_float_remainder_is_fmod(triton_vk, torch, dtype):
    rs = np.random.RandomState(0)
    n, block = 2048, 256
    info = np.finfo(dtype)
    x = (rs.standard_normal(n) * np.exp2(rs.randint(-40, 40, n))).astype(dtype)
    y = (rs.standard_normal(n) * np.exp2(rs.randint(-40, 40, n))).astype(dtype)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, info.tiny, info.tiny / 8,
                        info.max, -info.max, 3.0, 0.1], dtype)
    k = len(special) ** 2
    x[:k], y[:k] = np.repeat(special, len(special)), np.tile(special, len(special))
    x[k:k + 100], y[k:k + 100] = info.max * rs.rand(100), info.tiny * 4 * rs.rand(100)  # 2^250 quotients
    x[k + 100:k + 400], y[k + 100:k + 400] = _hard_remainders(dtype, rs, 300)
    z = torch.zeros(n, dtype=torch.from_numpy(x).dtype)
    _rem_kernel(triton_vk)[(n // block,)](torch.from_numpy(x), torch.from_numpy(y), z, BLOCK=block)
    with np.errstate(invalid="ignore"):
        ref = np.fmod(x, y)
    bad = np.nonzero(~_np_bits_equal(z.numpy(), ref))[0]
    assert bad.size == 0, [(x[i], y[i], z.numpy()[i], ref[i]) for i in bad[:8]]


# (x dtype, y dtype): Triton converts both operands of a mixed `%` to one float type first
# (16-bit floats with integers: f32), takes fmod there, and rounds to the result type.
MIXED = [("uint16", "float16"), ("int8", "float16"), ("int16", "float32"), ("int32", "float32"),
         ("float16", "float16"), ("bfloat16", "float32"), ("float32", "int64"), ("uint8", "float64")]


@pytest.mark.parametrize("xd,yd", MIXED, ids=[f"{a}-{b}" for a, b in MIXED])
def test_mixed_type_remainder(triton_vk, torch, xd, yd):
    tl = triton_vk.language
    rs = np.random.RandomState(17)
    n = 512

    def values(d):
        if d.startswith(("int", "uint")):
            info = np.iinfo(d)
            v = rs.randint(max(info.min, -255), min(info.max, 255), n).astype(d)
            v[v == 0] = 1
            if d == "uint16":  # no torch.uint16 arithmetic: int16 bits, read as uint16 by Triton
                return triton_vk.reinterpret(torch.from_numpy(v.astype(np.int16)), tl.uint16), v
            return torch.from_numpy(v), v
        v = (rs.standard_normal(n) * np.exp2(rs.randint(-6, 6, n))).astype(np.float32)
        t = torch.from_numpy(v).to(getattr(torch, d))
        return t, t.float().numpy().astype(np.float64)

    xt, xv = values(xd)
    yt, yv = values(yd)
    # Result type and computation type as Triton types them.
    floats = [d for d in (xd, yd) if d.startswith(("float", "bfloat"))]
    res = "float64" if "float64" in (xd, yd) else "float32" if "float32" in (xd, yd) else floats[0]
    comp = np.float64 if res == "float64" else np.float32
    if res in ("float16", "bfloat16") and xd == yd:
        comp = np.float32  # f16 % f16: computed in f32 by the test reference of Triton as well
    z = torch.zeros(n, dtype=getattr(torch, res))
    _rem_kernel(triton_vk)[(1,)](xt, yt, z, BLOCK=n)
    ref = np.fmod(xv.astype(comp), yv.astype(comp))
    ref = torch.from_numpy(ref).to(getattr(torch, res))
    bad = torch.nonzero(~((z == ref) | (z.isnan() & ref.isnan()))).flatten()
    assert bad.numel() == 0, [(xv[i], yv[i], z[i].item(), ref[i].item()) for i in bad[:8].tolist()]


def test_div_rn_and_sqrt_rn_are_correctly_rounded(triton_vk, torch):
    tl = triton_vk.language

    @triton_vk.jit
    def precise(X, Y, Q, S, BLOCK: tl.constexpr):
        o = tl.arange(0, BLOCK)
        x = tl.load(X + o)
        y = tl.load(Y + o)
        tl.store(Q + o, tl.math.div_rn(x, y))
        tl.store(S + o, tl.math.sqrt_rn(tl.abs(x)))

    torch.manual_seed(0)
    n = 2048
    x = torch.randn(n) * torch.exp2(torch.randint(-20, 20, (n,)).float())
    y = torch.randn(n) + 1e-6
    q, s = torch.zeros(n), torch.zeros(n)
    precise[(1,)](x, y, q, s, BLOCK=n)
    ref_q = (x.double() / y.double()).float()
    ref_s = x.double().abs().sqrt().float()
    assert torch.equal(q, ref_q), f"{(q != ref_q).sum().item()} quotients differ"
    assert torch.equal(s, ref_s), f"{(s != ref_s).sum().item()} square roots differ"


def _ulps(got, ref):
    """|got - ref| in units of ref's last place (inf/nan: 0 when equal, else inf)."""
    got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
    same = (got == ref) | (np.isnan(got) & np.isnan(ref))
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(got - ref) / np.spacing(np.maximum(np.abs(ref), np.finfo(np.float64).tiny))
    return np.where(same, 0.0, np.where(np.isfinite(err), err, np.inf))


def _f64_kernels(triton_vk):
    tl = triton_vk.language
    jit = triton_vk.jit

    @jit
    def exp(X, Z, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(Z + o, tl.exp(tl.load(X + o)))

    @jit
    def exp2(X, Z, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(Z + o, tl.exp2(tl.load(X + o)))

    @jit
    def log(X, Z, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(Z + o, tl.log(tl.load(X + o)))

    @jit
    def log2(X, Z, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(Z + o, tl.log2(tl.load(X + o)))

    @jit
    def sin(X, Z, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(Z + o, tl.sin(tl.load(X + o)))

    @jit
    def cos(X, Z, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(Z + o, tl.cos(tl.load(X + o)))

    @jit
    def erf(X, Z, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(Z + o, tl.math.erf(tl.load(X + o)))

    return dict(exp=exp, exp2=exp2, log=log, log2=log2, sin=sin, cos=cos, erf=erf)


def _mp_reference(name, x):
    """Correctly rounded f64 results from mpmath (numpy's own f64 sin/cos are off by up to 4 ulp
    on some CPUs)."""
    import mpmath
    fn = {"exp": mpmath.exp, "exp2": lambda v: mpmath.power(2, v), "log": mpmath.log,
          "log2": lambda v: mpmath.log(v, 2), "sin": mpmath.sin, "cos": mpmath.cos,
          "erf": mpmath.erf}[name]
    out = np.empty_like(x)
    with mpmath.workprec(1200):  # enough for sin/cos of 2^1023
        for k, v in enumerate(x):
            if not np.isfinite(v) or (v <= 0 and name in ("log", "log2")):
                with np.errstate(all="ignore"):
                    out[k] = {"exp": np.exp, "exp2": np.exp2, "log": np.log, "log2": np.log2,
                              "sin": np.sin, "cos": np.cos, "erf": lambda t: np.sign(t) if np.isinf(t) else t}[name](v)
                continue
            r = fn(mpmath.mpf(float(v)))
            out[k] = float(r) if abs(r) < mpmath.mpf(2) ** 1024 else np.inf
    return out


# name: (inputs, max ulps)
F64_MATH = {
    "exp": ("wide_exp", 2),
    "exp2": ("wide_exp2", 2),
    "log": ("positive", 1),
    "log2": ("positive", 2),
    "sin": ("angles", 2),
    "cos": ("angles", 2),
}


def _f64_inputs(kind, rs, n):
    if kind == "wide_exp":
        x = np.concatenate([rs.standard_normal(n // 2), rs.uniform(-745, 709.7, n // 2)])
        special = [0.0, -0.0, 1.0, -1.0, 709.78, 709.79, -745.13, -745.14, -708.5, np.inf, -np.inf, np.nan]
    elif kind == "wide_exp2":
        x = np.concatenate([rs.standard_normal(n // 2) * 4, rs.uniform(-1074, 1023.9, n // 2)])
        special = [0.0, 3.0, -1022.0, -1074.0, -1075.0, 1023.0, 1024.0, 0.5, np.inf, -np.inf, np.nan]
    elif kind == "positive":
        x = np.concatenate([np.abs(rs.standard_normal(n // 2)) + 0.01,
                            np.exp(rs.uniform(-700, 700, n // 4)), 1 + rs.standard_normal(n // 4) * 1e-3])
        special = [1.0, 2.0, 0.5, 8.0, 0.0, -0.0, -1.0, np.inf, np.nan, 5e-324, 2.2250738585072014e-308]
    else:
        x = np.concatenate([rs.standard_normal(n // 2) * 3, rs.uniform(-2e6, 2e6, n // 4),
                            np.ldexp(rs.uniform(0.5, 1, n // 4), rs.randint(21, 1023, n // 4))])
        special = [0.0, -0.0, 1e-30, np.pi, np.pi / 2, 1e22, -1e300, np.inf, -np.inf, np.nan]
    x[:len(special)] = special
    return x


@pytest.mark.parametrize("name", sorted(F64_MATH))
def test_f64_math(triton_vk, torch, name):
    kind, max_ulps = F64_MATH[name]
    rs = np.random.RandomState(3)
    n, block = 2048, 256
    x = _f64_inputs(kind, rs, n)
    z = torch.zeros(n, dtype=torch.float64)
    _f64_kernels(triton_vk)[name][(n // block,)](torch.from_numpy(x), z, BLOCK=block)
    ref = _mp_reference(name, x)
    err = _ulps(z.numpy(), ref)
    # Subnormal results carry fewer bits: those in units of the smallest subnormal.
    tiny = np.abs(ref) < np.finfo(np.float64).tiny
    err[tiny] = np.abs(z.numpy()[tiny] - ref[tiny]) / 5e-324
    worst = np.argsort(-err)[:5]
    assert err.max() <= max_ulps, [(x[i], z.numpy()[i], ref[i], err[i]) for i in worst]


def test_f64_erf(triton_vk, torch):
    torch.manual_seed(0)
    n = 2048
    x = torch.cat([torch.randn(n // 2, dtype=torch.float64), torch.empty(n // 2, dtype=torch.float64).uniform_(-7, 7)])
    x[:6] = torch.tensor([0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1.5], dtype=torch.float64)
    z = torch.zeros_like(x)
    _f64_kernels(triton_vk)["erf"][(n // 256,)](x, z, BLOCK=256)
    ref = _mp_reference("erf", x.numpy())
    err = _ulps(z.numpy(), ref)
    assert err.max() <= 3, [(x[i].item(), z[i].item(), ref[i]) for i in np.argsort(-err)[:5]]


@pytest.mark.parametrize("fn", ["tan", "atan"])
def test_f64_math_without_an_implementation_is_a_clear_error(triton_vk, torch, fn):
    # math.tan / math.atan on f64 (libdevice-free TTIR): no f64 code yet, so a clear
    # `unsupported` error rather than invalid SPIR-V or f32 precision.
    import triton_vulkan as tv
    ttir = f"""
module {{
  tt.func public @k(%X: !tt.ptr<f64>, %Z: !tt.ptr<f64>) {{
    %x = tt.load %X : !tt.ptr<f64>
    %y = math.{fn} %x : f64
    tt.store %Z, %y : !tt.ptr<f64>
    tt.return
  }}
}}
"""
    with pytest.raises(tv.CompilationError, match=f"unsupported: math.{fn}.*f64"):
        tv.compile(ttir)


def test_f64_remainder_with_the_longest_quotients(triton_vk, torch):
    # Quotients of up to 2^2098 (max / smallest subnormal): the long division runs ~191
    # steps, counted by a register. A small kernel: its SPIR-V ids are small numbers, and an
    # id once passed as the constant trip count cut the loop short (wrong on the H200).
    info = np.finfo(np.float64)
    rs = np.random.RandomState(3)
    x = np.concatenate([[info.max, -info.max, info.max / 3], info.max * rs.rand(61)])
    y = np.concatenate([[5e-324, 5e-324 * 7, 1e-310], info.tiny * rs.rand(61)])
    z = torch.zeros(64, dtype=torch.float64)
    _rem_kernel(triton_vk)[(1,)](torch.from_numpy(x), torch.from_numpy(y), z, BLOCK=64)
    ref = np.fmod(x, y)
    bad = np.nonzero(~_np_bits_equal(z.numpy(), ref))[0]
    assert bad.size == 0, [(x[i], y[i], z.numpy()[i], ref[i]) for i in bad[:8]]
