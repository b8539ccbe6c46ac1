"""triton.language.extra.libdevice on the Vulkan backend: the backend maps CUDA's libdevice
module in (get_module_map), and the compiler lowers its `__nv_` extern calls
(src/lower/libdevice.cc). Checked against torch on the CPU, special values included; an unknown
symbol is a clear error naming it."""
import math

import pytest
import triton
import triton.language as tl
from triton.language.extra import libdevice

X = [-3.0, -2.0, -1.5, -1e-7, -0.0, 0.0, 1e-7, 0.5, 1.0, 2.5, 3.0, 1e30, math.inf, -math.inf, math.nan, 7.0]
Y = [2.0, 3.0, 0.5, 2.0, -1.0, -2.0, 1.0, 3.5, 7.0, 0.0, -2.0, 0.5, 1.0, 3.0, 0.0, 1 / 3]


@triton.jit
def _unary_binary(x_ptr, y_ptr, o_ptr, FN: tl.constexpr):
    offs = tl.arange(0, 16)
    x = tl.load(x_ptr + offs)
    y = tl.load(y_ptr + offs)
    if FN == "tanh":
        r = libdevice.tanh(x)
    elif FN == "log1p":
        r = libdevice.log1p(x)
    elif FN == "expm1":
        r = libdevice.expm1(x)
    elif FN == "pow":
        r = libdevice.pow(x, y)
    elif FN == "isinf":
        r = libdevice.isinf(x).to(tl.float32)
    elif FN == "isnan":
        r = libdevice.isnan(x).to(tl.float32)
    elif FN == "signbit":
        r = libdevice.signbit(x).to(tl.float32)
    elif FN == "hypot":
        r = libdevice.hypot(x, y)
    elif FN == "log10":
        r = libdevice.log10(x)
    elif FN == "asinh":
        r = libdevice.asinh(x)
    elif FN == "atan":
        r = libdevice.atan(x)
    elif FN == "atan2":
        r = libdevice.atan2(x, y)
    elif FN == "nearbyint":
        r = libdevice.nearbyint(x)
    elif FN == "rsqrt":
        r = libdevice.rsqrt(x)
    elif FN == "erf":
        r = libdevice.erf(x)
    elif FN == "lgamma":
        r = libdevice.lgamma(x)
    else:
        r = libdevice.j0(x)  # not lowered: a clear error
    tl.store(o_ptr + offs, r)


def _reference(torch, fn, x, y):
    return {
        "tanh": lambda: torch.tanh(x), "log1p": lambda: torch.log1p(x), "expm1": lambda: torch.expm1(x),
        "pow": lambda: torch.pow(x, y), "isinf": lambda: torch.isinf(x).float(),
        "isnan": lambda: torch.isnan(x).float(), "signbit": lambda: torch.signbit(x).float(),
        "hypot": lambda: torch.hypot(x, y), "log10": lambda: torch.log10(x), "asinh": lambda: torch.asinh(x),
        "atan": lambda: torch.atan(x), "atan2": lambda: torch.atan2(x, y), "nearbyint": lambda: torch.round(x),
        "rsqrt": lambda: torch.rsqrt(x), "erf": lambda: torch.erf(x),
    }[fn]()


@pytest.mark.parametrize("fn", ["tanh", "log1p", "expm1", "pow", "isinf", "isnan", "signbit", "hypot", "log10",
                                "asinh", "atan", "atan2", "nearbyint", "rsqrt", "erf"])
def test_libdevice_f32(tv, torch, triton_vk, fn):
    x = torch.tensor(X, dtype=torch.float32)
    y = torch.tensor(Y, dtype=torch.float32)
    out = torch.empty(16)
    _unary_binary[(1,)](x, y, out, FN=fn)
    tv.synchronize()
    # pow is exp2(y * log2|x|) in float32: its relative error grows with |y * log2 x| (Vulkan
    # bounds Exp2 and Log2 at 3 ulp); 2.01e-6 at a result of 1e15 on NVIDIA's driver.
    rtol = 8e-6 if fn == "pow" else 2e-6
    torch.testing.assert_close(out, _reference(torch, fn, x, y), rtol=rtol, atol=1e-6, equal_nan=True)


def test_unknown_libdevice_symbol_is_a_clear_error(tv, torch, triton_vk):
    x = torch.ones(16)
    with pytest.raises(Exception, match=r"unsupported: tt.extern_elementwise.*__nv_j0f"):
        _unary_binary[(1,)](x, x, torch.empty(16), FN="j0")


@triton.jit
def _fp8_constant(o_ptr):
    offs = tl.arange(0, 4)
    # Triton's TTIR passes fold the conversions into f8E5M2 constants.
    a = tl.full((4,), 1.5, tl.float32).to(tl.float8e5)
    b = tl.full((4,), -0.25, tl.float32).to(tl.float8e5)
    tl.store(o_ptr + offs, a.to(tl.float32) + b.to(tl.float32))


def test_fp8_constants(tv, torch, triton_vk):
    out = torch.empty(4)
    k = _fp8_constant[(1,)](out)
    tv.synchronize()
    assert "f8E5M2" in k.asm["ttir"] and "arith.constant" in k.asm["ttir"]
    assert out.tolist() == [1.25] * 4


def test_lgamma(tv, torch, triton_vk):
    """log|Gamma(x)| against Python's math.lgamma (double): poles (0, negative integers) are
    +inf, the reflection below 1/2, the roots 1 and 2 within the absolute error bound, large
    arguments relative to their size, inf and NaN."""
    vals = [0.5, 1.0, 2.0, 1.5, 2.5, 3.0, 7.25, 10.0, 33.3, 100.0, 1e4, 3e36, 1e-6, 0.1, 0.9, 1.1,
            -0.5, -1.5, -2.25, -7.75, -100.5, 0.0, -1.0, -3.0, math.inf, -math.inf, math.nan,
            1.9999, 2.0001, 0.49, 4.0, 6.0]
    for i in range(0, len(vals), 16):  # the kernel takes 16 elements
        x = torch.tensor(vals[i:i + 16], dtype=torch.float32)
        out = torch.empty(16)
        _unary_binary[(1,)](x, x, out, FN="lgamma")
        tv.synchronize()
        for v, got in zip(x.tolist(), out.tolist()):
            if math.isnan(v):
                assert math.isnan(got), (v, got)
            elif math.isinf(v) or (v <= 0 and v == math.floor(v)):
                assert got == math.inf, (v, got)
            else:
                want = math.lgamma(v)
                assert abs(got - want) <= 1e-5 + 1e-5 * abs(want), (v, got, want)  # Vulkan: Log, Sin within ulps
