"""pytest plugin (opt-in: `-p tvk_torch_compat`) for torch builds older than upstream's tests
expect (the venv's 1.13), only for reference code on the CPU:
- `torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction` (a CUDA-only knob that
  test_scaled_dot's reference sets and restores) is accepted and stored;
- float8 dtypes (torch < 2.1), so that upstream references written as
`t.view(torch.float8_e4m3fn).to(dtype)` (test_scaled_dot's dot_scale_ref, test_dot's fp8
inputs) run. Only that view-then-convert use is provided: `view` of a uint8/int8 tensor to a
shim dtype returns an object whose `.to(dtype)` decodes the codes exactly (numpy) into a real
tensor. Anything else with these dtypes (e.g. `torch.tensor(x, dtype=torch.float8_e4m3fn)`)
still fails. Nothing changes on a torch that has the real dtypes;
- `torch.matmul` (and `@`) of CPU float16 tensors, which torch 1.13 lacks ("addmm_impl_cpu_"
  not implemented for 'Half', test_dot_max_num_imprecise_acc's reference): only when torch
  raises that error, the product is taken in float32 and returned as float16, which is what a
  float16 matmul with float32 accumulation (CUDA's) gives;
- `Tensor.unique()` of a CPU float16 tensor (test_cat), likewise only on that error: taken in
  float32 (exact for float16 values) and returned as float16;
- `Tensor.clamp_(lo, hi)` of a CPU float16 tensor (test_scaled_dot's fp16 inputs), likewise:
  clamped in float32 (exact) and copied back."""
import numpy as np
import torch


class Fp8Dtype:
    """Stand-in for torch.float8_*: exponent bits (4: E4M3FN, no inf, 0x7F/0xFF NaN; 5: E5M2)."""

    def __init__(self, name, ebits):
        self.name, self.ebits = name, ebits

    def __repr__(self):
        return f"tvk_shim.{self.name}"


def decode(codes, ebits):
    """float32 values of fp8 codes (numpy uint8 array)."""
    b = codes.astype(np.int64)
    mbits = 7 - ebits
    bias = (1 << (ebits - 1)) - 1
    e = (b >> mbits) & ((1 << ebits) - 1)
    m = b & ((1 << mbits) - 1)
    v = np.where(e == 0, m * 2.0 ** (1 - bias - mbits), (1 + m / 2.0 ** mbits) * 2.0 ** (e - bias))
    if ebits == 5:
        v = np.where(e == 31, np.where(m == 0, np.inf, np.nan), v)
    else:
        v = np.where((e == 15) & (m == 7), np.nan, v)
    return (np.where(b & 0x80, -1.0, 1.0) * v).astype(np.float32)


class Fp8View:
    """A uint8 tensor viewed as a shim fp8 dtype; only `.to(dtype)` is available."""

    def __init__(self, t, dtype):
        self.t, self.dtype = t, dtype

    def to(self, dtype, *args, **kwargs):
        codes = self.t.detach().cpu().contiguous().numpy().view(np.uint8)
        return torch.from_numpy(decode(codes, self.dtype.ebits)).to(device=self.t.device).to(dtype)


def add_matmul_knob():
    matmul = torch.backends.cuda.matmul
    knob = "allow_bf16_reduced_precision_reduction"
    try:
        getattr(matmul, knob)
        return
    except (AssertionError, AttributeError):
        pass
    cls = type(matmul)
    get, set_ = cls.__getattr__, cls.__setattr__
    values = {knob: True}

    def getattr_(self, name):
        return values[name] if name in values else get(self, name)

    def setattr_(self, name, value):
        if name in values:
            values[name] = bool(value)
        else:
            set_(self, name, value)

    cls.__getattr__, cls.__setattr__ = getattr_, setattr_


def half_fallback(original, applies, fallback):
    """`original`, but where torch raises "not implemented for 'Half'" and `applies(*args)`
    (CPU float16 operands), `fallback(*args)`: the same op taken in float32."""

    def wrapper(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        except RuntimeError as e:
            if "not implemented for 'Half'" not in str(e) or not applies(*args, **kwargs):
                raise
            return fallback(*args, **kwargs)

    return wrapper


def is_cpu_half(*ts):
    return all(isinstance(t, torch.Tensor) and t.dtype == torch.float16 and t.device.type == "cpu"
               for t in ts)


def add_half_fallbacks():
    matmul, unique, clamp_ = torch.matmul, torch.Tensor.unique, torch.Tensor.clamp_
    torch.matmul = half_fallback(matmul, lambda a, b, *rest, **kw: is_cpu_half(a, b) and not rest and not kw,
                                 lambda a, b: matmul(a.float(), b.float()).to(torch.float16))
    torch.Tensor.__matmul__ = lambda self, other: torch.matmul(self, other)
    torch.Tensor.unique = half_fallback(unique, lambda t, *rest, **kw: is_cpu_half(t) and not rest and not kw,
                                        lambda t: unique(t.float()).to(torch.float16))
    torch.Tensor.clamp_ = half_fallback(clamp_, lambda t, *rest, **kw: is_cpu_half(t),
                                        lambda t, *rest, **kw: t.copy_(clamp_(t.float(), *rest, **kw)))


def pytest_configure(config):
    add_matmul_knob()
    add_half_fallbacks()
    if hasattr(torch, "float8_e4m3fn"):
        return
    torch.float8_e4m3fn = Fp8Dtype("float8_e4m3fn", 4)
    torch.float8_e5m2 = Fp8Dtype("float8_e5m2", 5)
    view = torch.Tensor.view

    def shim_view(self, *args, **kwargs):
        if len(args) == 1 and isinstance(args[0], Fp8Dtype):
            if self.dtype not in (torch.uint8, torch.int8):
                raise TypeError(f"tvk_torch_compat: view of {self.dtype} as {args[0]}")
            return Fp8View(self, args[0])
        return view(self, *args, **kwargs)

    torch.Tensor.view = shim_view
