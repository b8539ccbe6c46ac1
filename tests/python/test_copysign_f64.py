"""libdevice copysign on f32 and f64: |x| with y's sign bit, on the register's bits (f64 in
64-bit integers; f16/bf16 values live in f32 registers). Signed zeros, infinities and NaNs
included; compared bit for bit with numpy."""
import numpy as np
import pytest


@pytest.fixture(scope="module")
def kernel(triton_vk):
    tl = triton_vk.language
    from triton.language.extra import libdevice

    @triton_vk.jit
    def copysign(X, Y, O, BLOCK: tl.constexpr):
        o = tl.arange(0, BLOCK)
        tl.store(O + o, libdevice.copysign(tl.load(X + o), tl.load(Y + o)))

    return copysign


@pytest.mark.parametrize("dtype", ["float64", "float32"])  # libdevice has no f16 copysign
def test_copysign(kernel, torch, dtype):
    vals = np.array([0.0, -0.0, 1.5, -2.25, np.inf, -np.inf, np.nan, 1e-300, -7.0, 3.0], dtype=np.float64)
    x = np.repeat(vals, len(vals)).astype(dtype)
    y = np.tile(vals, len(vals)).astype(dtype)
    n = 128
    x = np.resize(x, n)
    y = np.resize(y, n)
    out = torch.zeros(n, dtype=getattr(torch, dtype))
    kernel[(1,)](torch.from_numpy(x), torch.from_numpy(y), out, BLOCK=n)
    want = np.copysign(x, y)
    got = out.numpy()
    same = (got == want) & (np.signbit(got) == np.signbit(want))
    same |= np.isnan(got) & np.isnan(want) & (np.signbit(got) == np.signbit(want))
    assert same.all(), (x[~same][:5], y[~same][:5], got[~same][:5], want[~same][:5])
