"""fp8 (float8_e5m2, float8_e4m3fn) values in registers, bit for bit against a numpy reference
built from the code tables: every code widened to f32 and f16 (lower/fp8.cc decodeFp8, through
f16 codes), f32 rounded to fp8 and kept in registers (roundToFp8: in place, without encoding
and decoding), and f32 stored as fp8 codes (encodeFp8). Rounding is to nearest even, with
subnormals; E5M2 overflows to inf, E4M3FN saturates to +-448 (inf too, as PTX's
cvt.rn.satfinite does); NaN stays NaN."""
import numpy as np
import pytest

TYPES = {"float8_e5m2": (2, 15, True), "float8_e4m3fn": (3, 7, False)}  # mantissa, bias, inf


def _value(name, code):
    mant, bias, has_inf = TYPES[name]
    sign = -1.0 if code & 0x80 else 1.0
    e, m = (code >> mant) & ((1 << (7 - mant)) - 1), code & ((1 << mant) - 1)
    emax = (1 << (7 - mant)) - 1
    if has_inf and e == emax:
        return sign * np.inf if m == 0 else np.nan
    if not has_inf and e == emax and m == (1 << mant) - 1:
        return np.nan
    if e == 0:
        return sign * m * 2.0 ** (1 - bias - mant)
    return sign * (1 + m / (1 << mant)) * 2.0 ** (e - bias)


def _round(name, x):
    """Nearest value of the type to each f32 in x (ties to the even code), as f64."""
    _, _, has_inf = TYPES[name]
    codes = np.arange(0x80)
    vals = np.array([_value(name, c) for c in codes])
    finite = np.isfinite(vals)
    codes, vals = codes[finite], vals[finite]  # ascending with the code
    a = np.abs(x.astype(np.float64))
    i = np.clip(np.searchsorted(vals, a), 1, len(vals) - 1)
    lo, hi = vals[i - 1], vals[i]
    pick_hi = (a - lo > hi - a) | ((a - lo == hi - a) & (codes[i] % 2 == 0))
    r = np.where(pick_hi, hi, lo)
    top = vals[-1]
    if has_inf:  # past the midpoint of the largest finite value and 2^16: inf
        r = np.where(a >= (top + 2.0 ** 16) / 2, np.inf, r)
    else:
        r = np.where(a > top, top, r)
    r = np.where(np.isnan(a), np.nan, r)
    return np.copysign(r, x.astype(np.float64))


def _hard_f32(name, n, seed):
    """Every finite value of the type, the midpoints between neighbours and values beside
    them, values beyond the range, tiny values, inf, NaN and zeros, with both signs."""
    rs = np.random.RandomState(seed)
    vals = np.array([_value(name, c) for c in range(0x80)])
    vals = np.sort(vals[np.isfinite(vals)])
    mid = (vals[1:] + vals[:-1]) / 2
    top = vals[-1]
    extra = [top * 1.01, top * 1.2, 6e4, 61439.0, 61440.0, 1e6, 3e38, np.inf, np.nan, 0.0,
             2.0 ** -20, 2.0 ** -17, 2.0 ** -10]
    x = np.concatenate([vals, mid, mid * (1 + 1e-6), mid * (1 - 1e-6), extra,
                        rs.standard_normal(n) * 2.0 ** rs.randint(-18, 16, n)])
    x = np.concatenate([x, -x]).astype(np.float32)
    return np.concatenate([x, np.zeros(-len(x) % 256, np.float32)])


@pytest.fixture(scope="module")
def k(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def widen(X, Y, Z, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        x = tl.load(X + o)
        tl.store(Y + o, x.to(tl.float32))
        tl.store(Z + o, x.to(tl.float16))

    @triton_vk.jit
    def round_trip(X, Y, Z, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        x = tl.load(X + o)
        r = x.to(Z.dtype.element_ty)
        tl.store(Y + o, r.to(tl.float32) * 1.0)  # kept in registers, widened, used
        tl.store(Z + o, x.to(Z.dtype.element_ty))  # stored as codes
    return dict(widen=widen, round_trip=round_trip)


def _same(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return (got == want) & (np.signbit(got) == np.signbit(want)) | (np.isnan(got) & np.isnan(want))


@pytest.mark.parametrize("name", list(TYPES))
def test_every_code_widens_exactly(k, torch, name):
    dt = getattr(torch, name)
    codes = torch.arange(256, dtype=torch.int32).to(torch.uint8)
    x = codes.view(dt)
    y, z = torch.zeros(256, dtype=torch.float32), torch.zeros(256, dtype=torch.float16)
    k["widen"][(1,)](x, y, z, BLOCK=256)
    want = np.array([_value(name, c) for c in range(256)])
    for got in (y.numpy(), z.float().numpy()):
        ok = _same(got, want)
        assert ok.all(), [(hex(c), got[c], want[c]) for c in np.nonzero(~ok)[0][:5]]


@pytest.mark.parametrize("name", list(TYPES))
def test_f32_rounds_to_nearest_even(k, torch, name):
    x = _hard_f32(name, 4096, 3)
    y = torch.zeros(len(x), dtype=torch.float32)
    z = torch.zeros(len(x), dtype=getattr(torch, name))
    k["round_trip"][(len(x) // 256,)](torch.from_numpy(x), y, z, BLOCK=256)
    want = _round(name, x)
    ok = _same(y.numpy(), want)
    assert ok.all(), [(x[i], y.numpy()[i], want[i]) for i in np.nonzero(~ok)[0][:5]]
    stored = np.array([_value(name, int(c)) for c in z.view(torch.uint8).numpy()])
    ok = _same(stored, want)
    assert ok.all(), [(x[i], stored[i], want[i]) for i in np.nonzero(~ok)[0][:5]]
