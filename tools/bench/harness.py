"""The driver shared by the tools/bench/ benchmarks: each case runs on Triton's CUDA backend and on
ours (Vulkan) in one process, the Vulkan output is checked against CUDA's, and a table is printed.

A benchmark supplies its cases (a function of the torch generator, the device and --small) and a
Unit: what a case's `work` counts (bytes moved, flops) and how the throughput column is named and
printed. `main()` parses --small, --only name,name, --rounds N, --json FILE and --no-cuda-alt, runs every case (CUDA first,
when there is CUDA, then Vulkan: inputs made on the CUDA device are copied into Vulkan memory with
triton_vulkan.from_torch), prints a row per case and the geometric-mean summary, and returns the
exit status (1 when a result is wrong).

Without CUDA (--small on a CPU machine with lavapipe) only the Vulkan side runs and nothing is
checked.

A benchmark may also name an alternative CUDA build (`CudaAlt`: a label and environment variables
read by Triton's compiler, e.g. DISABLE_MMA_V3=1 for Triton's mma.sync code on Hopper instead of
wgmma): each case's CUDA side is then compiled and timed a second time under that environment,
its result checked like Vulkan's, and the table gains the columns `<label> ms` and `vs <label>`
(its ms / Vulkan ms).
"""
import argparse
import json
import math
import os
import statistics
import sys

import torch
import triton

import triton_vulkan as tv


class Case:
    """A launch: name, tensors (inputs and outputs, on the CUDA or CPU device), the launch as a
    function of those tensors, the outputs to compare, the work done (in the benchmark's Unit:
    bytes moved, flops), tolerance."""

    def __init__(self, name, tensors, launch, outs, work, atol=0.0, rtol=0.0):
        self.name, self.tensors, self.launch, self.outs = name, tensors, launch, outs
        self.work, self.atol, self.rtol = work, atol, rtol


class Unit:
    """What `Case.work` counts and how its rate is shown. `key`: the JSON field of the work
    ("bytes", "flops"); `label`: the column title after "CUDA "/"Vk " ("GB/s", "TFLOP/s");
    `per_ms`: work per ms per shown unit (1e6 for GB/s from bytes, 1e9 for TFLOP/s from flops);
    `fmt`: a rate as text (a format spec or a function)."""

    def __init__(self, key, label, per_ms, fmt):
        self.key, self.label, self.per_ms, self.fmt = key, label, per_ms, fmt

    def widths(self):
        """Widths of the CUDA and Vulkan rate columns (at least 9, as wide as their titles)."""
        return max(9, len(self.label) + 5), max(9, len(self.label) + 3)

    def show(self, x):
        return self.fmt(x) if callable(self.fmt) else f"{x:{self.fmt}}"

    def rate(self, r, ms_key):
        return r[self.key] / r[ms_key] / self.per_ms if r.get(ms_key) else None


class CudaAlt:
    """A second CUDA build of every case: `label` (a column title) and `env` (environment
    variables that change Triton's CUDA code, set only while that build is compiled and timed)."""

    def __init__(self, label, env):
        self.label, self.env = label, dict(env)


GBS = Unit("bytes", "GB/s", 1e6, ".0f")
TFLOPS = Unit("flops", "TFLOP/s", 1e9, lambda x: f"{x:.1f}" if x >= 1 else f"{x:.2g}")  # CPU devices: 0.0012


def bench(fn, sync):
    from triton.testing import do_bench
    fn()
    sync()
    return do_bench(fn, warmup=25, rep=100, return_mode="median")


def _close(got, want, case, most=1 << 20):
    """Compares at most `most` evenly spaced elements: reading host-mapped device memory can be
    slow (write-combined memory), and an even sample still sees every row of a wrong layout."""
    step = max(1, got.numel() // most)
    g, w = got.reshape(-1)[::step].float(), want.reshape(-1)[::step].float()
    return torch.allclose(g, w, atol=case.atol, rtol=case.rtol, equal_nan=True)


def _error(e):
    """The first line of the error; after Triton's "CompilationError: at L:C:" (source lines and a
    caret follow), its cause or the message's last line."""
    lines = f"{type(e).__name__}: {e}".splitlines()
    text = lines[0]
    if text.endswith(":"):
        cause = e.__cause__
        if cause is not None:
            text += " " + type(cause).__name__ + "".join(f": {c}" for c in str(cause).splitlines()[:1])
        elif len(lines) > 1 and lines[-1].strip() != "^":
            text += " " + lines[-1].strip()
    return text[:120]


def _regs(handle, vulkan=False):
    """The registers per thread of a launch's compiled kernel (Triton's `n_regs`: CUDA's from the
    cubin; ours only where the Vulkan driver reports a register statistic through
    VK_KHR_pipeline_executable_properties, not the estimate), or None."""
    n = getattr(handle, "n_regs", None)
    if vulkan:
        try:
            stats = handle.function.native.statistics()
        except Exception:  # noqa: BLE001
            return None
        if not any("register" in s["name"].lower() and "spill" not in s["name"].lower() for s in stats):
            return None
    return int(n) if isinstance(n, int) and n > 0 else None


def _forget_compiled_kernels():
    """Drops the in-memory compiled kernels of every @triton.jit function of the benchmark modules
    (Triton keys them by arguments only, not by environment): the next launch compiles again (from
    Triton's disk cache, whose key does include the environment variables Triton reads)."""
    from triton.runtime.jit import JITFunction
    here = os.path.dirname(os.path.abspath(__file__))
    for m in list(sys.modules.values()):
        f = getattr(m, "__file__", None) or ""
        if m.__name__ != "__main__" and not os.path.abspath(f).startswith(here):
            continue
        for v in list(vars(m).values()):
            if isinstance(v, JITFunction):
                v.device_caches.clear()


def _time_cuda_alt(case, alt, ref, r):
    """Compiles and times the CUDA side again under `alt.env` (CudaAlt); r["cuda_alt_ms"] and, when
    its result differs from the default build's, a note."""
    saved = {k: os.environ.get(k) for k in alt.env}
    os.environ.update(alt.env)
    _forget_compiled_kernels()
    try:
        case.launch(case.tensors)
        torch.cuda.synchronize()
        if ref is not None and not all(_close(case.tensors[k].cpu(), ref[k], case) for k in case.outs):
            r["cuda_alt_error"] = f"{alt.label}: result differs from CUDA's default build"
        r["cuda_alt_ms"] = bench(lambda: case.launch(case.tensors), torch.cuda.synchronize)
    except Exception as e:  # noqa: BLE001
        r["cuda_alt_error"] = f"{alt.label}: " + _error(e)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        _forget_compiled_kernels()


def run_case(case, unit, have_cuda, cuda_driver, vk, rounds=1, alt=None):
    """Runs one case on CUDA (when present) and on Vulkan; returns its result row. With `rounds`
    > 1 both sides are timed that many times, alternately (CUDA, Vulkan, CUDA, ...), and each
    side's ms is the median of its rounds (all of them in `cuda_ms_rounds`/`vulkan_ms_rounds`):
    the GPU's clocks drift between two timings of one side."""
    from triton.runtime import driver as triton_driver
    r = {"kernel": case.name, unit.key: case.work}
    ref = None
    cuda_ms, vulkan_ms = [], []
    vt = None

    def time_cuda():
        cuda_ms.append(bench(lambda: case.launch(case.tensors), torch.cuda.synchronize))

    def time_vulkan():
        vulkan_ms.append(bench(lambda: case.launch(vt), tv.synchronize))

    if have_cuda:
        triton_driver.set_active(cuda_driver)
        try:
            r["cuda_regs"] = _regs(case.launch(case.tensors))
            torch.cuda.synchronize()
            ref = {k: case.tensors[k].cpu() for k in case.outs}
            time_cuda()
        except Exception as e:  # noqa: BLE001
            r["cuda_error"] = _error(e)
        if alt is not None and "cuda_error" not in r:
            _time_cuda_alt(case, alt, ref, r)
    triton_driver.set_active(vk)
    try:
        vt = {k: tv.from_torch(v.cpu()) for k, v in case.tensors.items()}
        r["vulkan_regs"] = _regs(case.launch(vt), vulkan=True)
        tv.synchronize()
        if ref is not None:
            ok = all(_close(vt[k], ref[k], case) for k in case.outs)
            r["checked"] = "ok" if ok else "WRONG"
        time_vulkan()
        for _ in range(rounds - 1):
            if cuda_ms:
                triton_driver.set_active(cuda_driver)
                time_cuda()
                triton_driver.set_active(vk)
            time_vulkan()
    except Exception as e:  # noqa: BLE001
        r["vulkan_error"] = _error(e)
    triton_driver.set_active(vk)
    del vt
    for key, ms in (("cuda_ms", cuda_ms), ("vulkan_ms", vulkan_ms)):
        if ms:
            r[key] = statistics.median(ms)
            if rounds > 1:
                r[key + "_rounds"] = ms
    case.tensors.clear()
    if have_cuda:
        torch.cuda.empty_cache()
    return r


def _alt_titles(alt):
    return (f"{alt.label} ms", f"vs {alt.label}") if alt else ("", "")


def print_header(unit, width, alt=None):
    cw, vw = unit.widths()
    cu, vk = f"CUDA {unit.label}", f"Vk {unit.label}"
    am, ar = _alt_titles(alt)
    alt_cols = f" {am:>{max(9, len(am))}} {ar:>{max(7, len(ar))}}" if alt else ""
    print(f"{'kernel':{width}} {'CUDA ms':>9} {'Vk ms':>9} {'ratio':>7}{alt_cols} {cu:>{cw}} {vk:>{vw}} {'regs C/V':>9}  note")


def print_row(r, unit, width, extra_note="", alt=None):
    c, v = r.get("cuda_ms"), r.get("vulkan_ms")
    ratio = f"{c / v:.3f}" if c and v else "-"
    cr, vr = unit.rate(r, "cuda_ms"), unit.rate(r, "vulkan_ms")
    note = r.get("vulkan_error") or r.get("cuda_error") or ""
    if r.get("checked"):
        note = f"result {r['checked']} " + note
    if r.get("cuda_alt_error"):
        note += " " + r["cuda_alt_error"]
    note += extra_note
    f = lambda x: f"{x:.4f}" if x else "-"  # noqa: E731
    alt_cols = ""
    if alt:
        am, ar = _alt_titles(alt)
        a = r.get("cuda_alt_ms")
        alt_cols = f" {f(a):>{max(9, len(am))}} {(f'{a / v:.3f}' if a and v else '-'):>{max(7, len(ar))}}"
    h = lambda x: unit.show(x) if x else "-"  # noqa: E731
    regs = f"{r.get('cuda_regs') or '-'}/{r.get('vulkan_regs') or '-'}"
    cw, vw = unit.widths()
    print(f"{r['kernel']:{width}} {f(c):>9} {f(v):>9} {ratio:>7}{alt_cols} {h(cr):>{cw}} {h(vr):>{vw}} {regs:>9}  {note}",
          flush=True)


def _geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def print_summary(rows, alt=None):
    """Geometric mean of CUDA ms / Vulkan ms over `rows` (those the caller counts), and with a
    CudaAlt the same against its build."""
    ratios = [r["cuda_ms"] / r["vulkan_ms"] for r in rows if r.get("cuda_ms") and r.get("vulkan_ms")]
    if ratios:
        print(f"\n{len(ratios)} kernels: geometric mean CUDA/Vulkan {_geomean(ratios):.3f}; min {min(ratios):.3f}; "
              f">= 0.95: {sum(x >= 0.95 for x in ratios)}")
    alts = [r["cuda_alt_ms"] / r["vulkan_ms"] for r in rows if r.get("cuda_alt_ms") and r.get("vulkan_ms")]
    if alt and alts:
        print(f"{len(alts)} kernels: geometric mean CUDA ({alt.label})/Vulkan {_geomean(alts):.3f}; "
              f"min {min(alts):.3f}")


def main(cases, unit, width=22, note=None, in_summary=None, legend="", cuda_alt=None):
    """The command line of a benchmark. `cases(g, dev, small)`: yields Cases (tensors on `dev`,
    drawn from the torch generator `g`; tiny sizes when `small`). `unit`: a Unit (GBS, TFLOPS).
    `width`: of the kernel column. `note(r, rows)`: text appended to the note of row `r` (rows:
    those so far, r included). `in_summary(i, r)`: whether row i counts in the geometric mean
    (default: all). `legend`: printed under the device line. `cuda_alt(have_cuda)`: a CudaAlt (the
    second CUDA build of every case) or None; --no-cuda-alt leaves it out."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true", help="tiny sizes (any machine; without CUDA only Vulkan runs)")
    ap.add_argument("--only", default="", help="comma-separated kernel names (the name up to its first space)")
    ap.add_argument("--json", default="", help="write the result rows to this file")
    ap.add_argument("--rounds", type=int, default=1,
                    help="time each side this many times, alternately, and take each side's median")
    ap.add_argument("--no-cuda-alt", action="store_true", help="no second CUDA build (see CudaAlt)")
    a = ap.parse_args()
    from triton.runtime import driver as triton_driver
    have_cuda = torch.cuda.is_available()
    cuda_driver = triton_driver.default if have_cuda else None
    vk = tv.activate()
    dev = "cuda" if have_cuda else "cpu"
    only = set(filter(None, a.only.split(",")))
    alt = cuda_alt(have_cuda) if cuda_alt and have_cuda and not a.no_cuda_alt else None
    g = torch.Generator(device=dev).manual_seed(0)
    rows = []
    print(f"Vulkan: {tv.device().info['name']}; CUDA: {torch.cuda.get_device_name() if have_cuda else '-'}; "
          f"torch {torch.__version__}, triton {triton.__version__}, triton_vulkan {tv.__version__}", flush=True)
    if legend:
        print(legend, flush=True)
    for case in cases(g, dev, a.small):
        if only and case.name.split(" ")[0] not in only:
            continue
        r = run_case(case, unit, have_cuda, cuda_driver, vk, max(1, a.rounds), alt)
        rows.append(r)
        if len(rows) == 1:
            print_header(unit, width, alt)
        print_row(r, unit, width, note(r, rows) if note else "", alt)
    print_summary([r for i, r in enumerate(rows) if in_summary is None or in_summary(i, r)], alt)
    wrong = [r["kernel"] for r in rows if r.get("checked") == "WRONG"]
    if wrong:
        print("WRONG results:", ", ".join(wrong))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0 if not wrong else 1
