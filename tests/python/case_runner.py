"""Runs the kernels of kernels_public.py through @triton.jit from a conformance case's captured
inputs, and compares with the case's captured outputs (rules of tests/conformance/README.md).

Used by the pytest suite (Vulkan driver on lavapipe) and by tools/device/run_h100.py (Vulkan and
CUDA on the same GPU). `place(storage)` puts a CPU tensor holding a buffer's whole storage where
the backend under test wants it (Vulkan memory, a CUDA tensor, or leaves it on the CPU)."""
import json
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "conformance" / "cases"

_TORCH_DT = {"float32": "float32", "float16": "float16", "float64": "float64", "bfloat16": "int16",
             "int8": "int8", "int16": "int16", "int32": "int32", "int64": "int64", "uint8": "uint8",
             "bool": "bool", "float8_e5m2": "uint8", "float8_e4m3fn": "uint8"}


def case_names():
    return sorted(p.name for p in CASES.iterdir() if (p / "case.json").exists())


def load_case(name):
    d = CASES / name
    case = json.loads((d / "case.json").read_text())
    for a in case["args"]:
        if a["kind"] == "buffer":
            a["in"] = np.load(d / a["input"])
            a["out"] = np.load(d / a["expected"]) if "expected" in a else None
    return case


def _as_kernel_arg(storage, arg):
    """View of `storage` (CPU/Vulkan/CUDA tensor with the .npy's element type) that Triton sees
    with the case's dtype, starting `offset` elements in."""
    import torch
    import triton
    import triton.language as tl
    dt = arg["dtype"]
    view = storage[arg["offset"]:]
    if dt == "bfloat16":
        return view.view(torch.bfloat16)
    if dt.startswith("float8_"):
        tdt = getattr(torch, dt, None)
        if tdt is not None:
            return view.view(tdt)
        return triton.reinterpret(view, tl.float8e5 if dt == "float8_e5m2" else tl.float8e4nv)
    return view


def build(name, place):
    """(launch callable, storages by arg name, case) for case `name`: the builder's launch with
    every buffer replaced by the case's captured storage placed by `place`."""
    import torch
    import kernels_public as kp
    builder = dict(kp.CASES)[name]
    spec = builder()
    case = load_case(name)
    kernel = spec["kernel"]
    by_name = {a["python_name"]: a for a in case["args"]}
    args = list(spec["args"])
    storages = {}
    for i, pname in enumerate(kernel.arg_names[:len(args)]):
        a = by_name.get(pname)
        if a is None:
            continue  # specialised away by Triton (== 1 or None)
        if a["kind"] == "scalar":
            if isinstance(args[i], bool) or a["type"] == "i1":
                assert bool(args[i]) == bool(a["value"]), f"{name}: builder's {pname} differs from the case"
            elif isinstance(args[i], float):
                assert abs(args[i] - a["value"]) <= 1e-6 * max(1.0, abs(a["value"])), f"{name}: {pname} differs"
            else:
                assert args[i] == a["value"], f"{name}: builder's {pname}={args[i]} differs from the case's {a['value']}"
            continue
        host = torch.from_numpy(a["in"].copy())
        st = place(host)
        storages[pname] = st
        args[i] = _as_kernel_arg(st, a)
    grid = tuple(spec["grid"])
    kw = dict(spec.get("constexprs", {}))
    kw.update(spec.get("opts", {}))

    def launch():
        return kernel[grid](*args, **kw)
    return launch, storages, case


def decode(arr, dtype):
    """Float64 values of a stored buffer (bf16/fp8 bits decoded); ints/bools unchanged."""
    if dtype == "bfloat16":
        return (arr.astype(np.uint16).astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    if dtype == "float8_e5m2":
        return (arr.astype(np.uint16) << 8).view(np.float16).astype(np.float64)
    if dtype == "float8_e4m3fn":
        b = arr.astype(np.int64)
        s = np.where(b & 0x80, -1.0, 1.0)
        e = (b >> 3) & 0xF
        m = b & 7
        v = np.where(e == 0, m / 8.0 * 2.0 ** -6, (1 + m / 8.0) * 2.0 ** (e - 7.0))
        v = np.where((e == 15) & (m == 7), np.nan, v)
        return s * v
    if arr.dtype.kind == "f":
        return arr.astype(np.float64)
    return arr


def compare(case, got_by_name):
    """Mismatch messages (empty when every buffer matches its expected or input storage)."""
    errors = []
    for a in case["args"]:
        if a["kind"] != "buffer":
            continue
        got = np.asarray(got_by_name[a["python_name"]]).reshape(a["in"].shape)
        exp = a["out"] if a["out"] is not None else a["in"]
        name = a["python_name"]
        is_float = a["dtype"].startswith(("float", "bfloat"))
        if not is_float or a["out"] is None:  # exact (bitwise): ints, bools, unchanged buffers
            same = got.dtype.itemsize == exp.dtype.itemsize and got.size == exp.size
            u = f"u{exp.dtype.itemsize}"
            bad = np.flatnonzero(got.view(u) != exp.view(u)) if same else np.arange(exp.size)
            if bad.size:
                i = bad[0]
                what = "changed (must stay unchanged)" if a["out"] is None else "differ"
                errors.append(f"{name}: {bad.size} of {exp.size} elements {what}; first at {i}: "
                              f"got {got.reshape(-1)[i]}, expected {exp.reshape(-1)[i]}")
            continue
        tol = a.get("tolerance") or {"rtol": 0.0, "atol": 0.0}
        g, e = decode(got, a["dtype"]), decode(exp, a["dtype"])
        both_nan = np.isnan(g) & np.isnan(e)
        with np.errstate(invalid="ignore"):
            ok = both_nan | (np.abs(g - e) <= tol["atol"] + tol["rtol"] * np.abs(e))
            ok |= (g == e)  # equal infinities
        bad = np.flatnonzero(~ok)
        if bad.size:
            i = bad[0]
            errors.append(f"{name}: {bad.size} of {e.size} elements out of tolerance {tol}; first at {i}: "
                          f"got {g.reshape(-1)[i]!r}, expected {e.reshape(-1)[i]!r}")
    return errors


def read_expected_failures(path):
    """`name: reason` lines (# comments and blank lines ignored) as a dict."""
    out = {}
    p = pathlib.Path(path)
    if not p.exists():
        return out
    for line in p.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, reason = line.partition(":")
            out[name.strip()] = reason.strip() or "no reason given"
    return out
