"""Vulkan vs CUDA on one NVIDIA GPU, both through @triton.jit (Triton 3.6).

--phase all:
  1. every kernel of tests/python/kernels_public.py from its conformance case's captured inputs,
     with our driver active on the NVIDIA Vulkan device and with Triton's CUDA backend; both are
     compared with the captured outputs and with each other;
  2. a second launch of each Vulkan kernel must not recompile;
  3. the big workloads of tests/conformance/kernels.py (cases(dev, big=True)) timed with
     triton.testing.do_bench on both backends: kernel, CUDA ms, Vulkan ms, ratio CUDA/Vulkan;
  4. launch overhead per kernel call (tiny kernel, many launches) on both backends.
--phase recompile-check: a new process with the same Triton cache runs every Vulkan kernel that
  worked again and fails if any was compiled instead of loaded from the cache.
"""
import argparse
import json
import os
import pathlib
import sys
import time
import traceback

REPO = pathlib.Path(os.environ.get("TVK_REPO", pathlib.Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(REPO / "tests" / "conformance"))
sys.path.insert(0, str(REPO / "tests" / "python"))  # its kernels_public.py (device-neutral) first

import torch  # noqa: E402
import triton  # noqa: E402
import triton_vulkan as tv  # noqa: E402
from triton.runtime import driver as triton_driver  # noqa: E402

from triton.backends import backends as _backends, Backend as _Backend  # noqa: E402
if "vulkan" not in _backends:  # not pip-installed (PYTHONPATH=python): register by hand, as the entry point would
    from triton_vulkan.backend.compiler import VulkanBackend
    from triton_vulkan.backend.driver import VulkanDriver
    _backends["vulkan"] = _Backend(compiler=VulkanBackend, driver=VulkanDriver)
    print("note: triton_vulkan's entry point is not installed; backend registered by hand")

import case_runner  # noqa: E402
import kernels_public as kp  # noqa: E402

OUT = os.environ.get("OUT")
LOG = []


def log(*a):
    s = " ".join(str(x) for x in a)
    print(s, flush=True)
    LOG.append(s)


def first_line(e):
    return (f"{type(e).__name__}: {e}".strip().splitlines() or [type(e).__name__])[0][:160]


class Backends:
    """The CUDA driver (Triton's default here) and ours, switched with set_active."""

    def __init__(self, no_cuda=False):
        # CudaDriver: Triton's default here (our is_active() is False where CUDA works).
        self.cuda = None if no_cuda else triton_driver.default
        names = [d for d in tv.devices()]
        nv = [d for d in names if "nvidia" in d["name"].lower()]
        idx = (nv or [d for d in names if d["default"]])[0]["index"]
        tv.set_device(idx)
        self.vk = tv.activate()
        info = tv.device().info
        log(f"Vulkan device {idx}: {info['name']} ({info['driver']}, Vulkan {info['api_version']}, "
            f"subgroup {info['subgroup_size']})")
        log(f"CUDA device: {torch.cuda.get_device_name() if self.cuda else '(not used)'}; torch {torch.__version__}; triton {triton.__version__}; "
            f"triton_vulkan {tv.__version__}, compiler {tv.compiler_version()}")

    def use(self, which):
        if which == "cuda" and self.cuda is None:
            raise RuntimeError("CUDA not used")
        triton_driver.set_active(self.cuda if which == "cuda" else self.vk)


class CompileCounter:
    """Counts Triton compilations (cache misses) and cache hits through knobs.compilation.listener."""

    def __init__(self):
        self.misses, self.hits = [], []
        triton.knobs.compilation.listener = self

    def __call__(self, *, src, metadata, metadata_group, times, cache_hit):
        (self.hits if cache_hit else self.misses).append((metadata.get("name"), metadata["target"]))


def run_case(name, backend, bk):
    bk.use(backend)
    if backend == "cuda":
        kp.use_device("cuda")
        launch, storages, case = case_runner.build(name, lambda t: t.cuda())
        launch()
        torch.cuda.synchronize()
    else:
        kp.use_device("cpu")
        launch, storages, case = case_runner.build(name, tv.from_torch)
        launch()
        tv.synchronize()
    outs = {k: v.cpu().numpy().copy() for k, v in storages.items()}
    return launch, outs, case


def versus(case, outs):
    """Case with the given outputs as its expected values (to compare Vulkan with CUDA)."""
    c = dict(case)
    args = []
    for a in case["args"]:
        a = dict(a)
        if a["kind"] == "buffer" and a.get("out") is not None:
            a["out"] = outs[a["python_name"]]
        args.append(a)
    c["args"] = args
    return c


def phase_conformance(bk, counter, results):
    log("\n== conformance kernels (captured inputs → captured outputs), Vulkan and CUDA")
    log(f"{'case':18} {'CUDA vs capture':16} {'Vulkan vs capture':18} {'Vulkan vs CUDA':15} "
        f"{'no recompile':13} note")
    ok_vk = []
    for name in case_runner.case_names():
        row = {"case": name}
        try:
            if bk.cuda is None:
                raise RuntimeError("CUDA not used")
            _, cu, case = run_case(name, "cuda", bk)
            errs = case_runner.compare(case, cu)
            row["cuda"] = "ok" if not errs else "MISMATCH"
            row["cuda_errors"] = errs[:3]
        except Exception as e:  # noqa: BLE001
            cu, row["cuda"], row["cuda_errors"] = None, "ERROR", [first_line(e)]
        try:
            launch, vk, case = run_case(name, "vulkan", bk)
            errs = case_runner.compare(case, vk)
            row["vulkan"] = "ok" if not errs else "MISMATCH"
            row["vulkan_errors"] = errs[:3]
            if cu is not None:
                e2 = case_runner.compare(versus(case, cu), vk)
                row["vs_cuda"] = "ok" if not e2 else "differ"
                row["vs_cuda_errors"] = e2[:3]
            n0 = len(counter.misses)
            launch()
            tv.synchronize()
            row["recompiled"] = len(counter.misses) > n0
            if row["vulkan"] == "ok":
                ok_vk.append(name)
        except Exception as e:  # noqa: BLE001
            row["vulkan"], row["vulkan_errors"] = "ERROR", [first_line(e)]
        note = (row.get("vulkan_errors") or row.get("cuda_errors") or [""])[0]
        rec = {True: "RECOMPILED", False: "ok"}.get(row.get("recompiled"), "-")
        log(f"{name:18} {row['cuda']:16} {row['vulkan']:18} {row.get('vs_cuda', '-'):15} {rec:13} {note}")
        results["conformance"].append(row)
    log(f"Vulkan: {len(ok_vk)}/{len(case_runner.case_names())} cases reproduce the captured outputs")
    return ok_vk


def vulkanize(fns, done):
    """Replaces the CPU tensors captured by the workload's closures with Vulkan copies (shared cells,
    so run and check see the same tensors)."""
    for fn in fns:
        for cell in fn.__closure__ or ():
            try:
                v = cell.cell_contents
            except ValueError:
                continue
            if isinstance(v, torch.Tensor) and v.device.type == "cpu" and not tv.is_vulkan_tensor(v):
                key = id(v)
                if key not in done:
                    done[key] = (v, tv.from_torch(v))  # holding v keeps its id from being reused
                cell.cell_contents = done[key][1]


def bench(fn, sync):
    from triton.testing import do_bench
    fn()
    sync()
    return do_bench(fn, warmup=25, rep=200, return_mode="median")


def phase_timing(bk, results, check_vulkan, big=True, only=None):
    import kernels
    sel = lambda cs: (c for c in cs if not only or c[0] in only)  # noqa: E731
    log("\n== big workloads (tests/conformance/kernels.py cases(big=True)), do_bench median ms")
    times = {}
    if bk.cuda:
        bk.use("cuda")
    for name, run, check, nbytes, flops in (sel(kernels.cases("cuda", big=big)) if bk.cuda else ()):
        try:
            run()
            torch.cuda.synchronize()
            ok = bool(check())
            times[name] = {"cuda_ms": bench(run, torch.cuda.synchronize), "cuda_ok": ok,
                           "bytes": nbytes, "flops": flops}
        except Exception as e:  # noqa: BLE001
            times[name] = {"cuda_error": first_line(e), "bytes": nbytes, "flops": flops}
    if bk.cuda:
        torch.cuda.empty_cache()
    bk.use("vulkan")
    done = {}
    for name, run, check, nbytes, flops in sel(kernels.cases("cpu", big=big)):
        t = times.setdefault(name, {"bytes": nbytes, "flops": flops})
        try:
            vulkanize([run, check], done)
            run()
            tv.synchronize()
            if check_vulkan:
                t0 = time.perf_counter()
                t["vulkan_ok"] = bool(check())
                t["vulkan_check_s"] = time.perf_counter() - t0
            t["vulkan_ms"] = bench(run, tv.synchronize)
        except Exception as e:  # noqa: BLE001
            t["vulkan_error"] = first_line(e)
    done.clear()
    log(f"{'kernel':16} {'CUDA ms':>10} {'Vulkan ms':>10} {'CUDA/Vulkan':>12}  {'CUDA GB/s':>9} {'Vk GB/s':>9}  note")
    for name, t in times.items():
        c, v = t.get("cuda_ms"), t.get("vulkan_ms")
        ratio = f"{c / v:.3f}" if c and v else "-"
        gbs = lambda ms: f"{t['bytes'] / ms / 1e6:.0f}" if ms else "-"  # noqa: E731
        note = t.get("vulkan_error") or t.get("cuda_error") or ""
        if t.get("vulkan_ok") is False:
            note = "Vulkan result WRONG " + note
        elif t.get("vulkan_ok"):
            note = f"Vulkan result checked ({t['vulkan_check_s']:.1f} s) " + note
        if t.get("cuda_ok") is False:
            note = "CUDA check failed " + note
        fmt = lambda x: f"{x:.4f}" if x else "-"  # noqa: E731
        log(f"{name:16} {fmt(c):>10} {fmt(v):>10} {ratio:>12}  {gbs(c):>9} {gbs(v):>9}  {note}")
    results["timing"] = times


def phase_overhead(bk, results, n_launch=2000):
    import kernels
    log("\n== launch overhead: add_kernel on 16 elements, one program, many launches (wall clock)")
    out = {}
    for which in ("cuda", "vulkan") if bk.cuda else ("vulkan",):
        bk.use(which)
        try:
            if which == "cuda":
                x = torch.ones(16, device="cuda")
                sync = torch.cuda.synchronize
            else:
                x = tv.from_torch(torch.ones(16))
                sync = tv.synchronize
            y = torch.empty_like(x) if which == "cuda" else tv.empty(16)
            k = kernels.add_kernel
            for _ in range(20):
                k[(1,)](x, x, y, 16, BLOCK=16)
            sync()
            t0 = time.perf_counter()
            for _ in range(n_launch):
                k[(1,)](x, x, y, 16, BLOCK=16)
            t1 = time.perf_counter()
            sync()
            t2 = time.perf_counter()
            ok = bool((y.cpu() == 2).all())
            out[which] = {"us_per_launch": (t1 - t0) / n_launch * 1e6, "us_with_sync": (t2 - t0) / n_launch * 1e6,
                          "ok": ok}
            log(f"{which:7} {out[which]['us_per_launch']:8.2f} us per launch (host), "
                f"{out[which]['us_with_sync']:8.2f} us including the final synchronize; result {'ok' if ok else 'WRONG'}")
        except Exception as e:  # noqa: BLE001
            out[which] = {"error": first_line(e)}
            log(f"{which:7} error: {first_line(e)}")
    results["launch_overhead"] = out


def phase_recompile_check(bk, counter, results):
    prev = json.loads((pathlib.Path(os.environ["TRITON_CACHE_DIR"]) / "tvk_ok_cases.json").read_text())
    log(f"\n== recompile check: {len(prev)} Vulkan cases again in a new process (Triton cache "
        f"{os.environ['TRITON_CACHE_DIR']})")
    bad = []
    for name in prev:
        n0 = len(counter.misses)
        try:
            run_case(name, "vulkan", bk)
        except Exception as e:  # noqa: BLE001
            bad.append(f"{name}: {first_line(e)}")
            continue
        if len(counter.misses) > n0:
            bad.append(f"{name}: recompiled")
    log(f"cache hits {len(counter.hits)}, compilations {len(counter.misses)}")
    log("no recompilation" if not bad else "PROBLEMS:\n  " + "\n  ".join(bad))
    results["recompile_check"] = {"hits": len(counter.hits), "misses": len(counter.misses), "problems": bad}
    return not bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--phase", choices=["all", "conformance", "timing", "overhead", "recompile-check"], default="all")
    ap.add_argument("--check-big-vulkan", action="store_true",
                    help="also run kernels.py's checks on the Vulkan big workloads (reads device memory from the host)")
    ap.add_argument("--no-cuda", action="store_true", help="Vulkan only (a smoke test without an NVIDIA GPU)")
    ap.add_argument("--small", action="store_true", help="small workloads instead of cases(big=True)")
    ap.add_argument("--only", default="", help="comma-separated big-workload names to time (default: all)")
    args = ap.parse_args()
    results = {"conformance": []}
    counter = CompileCounter()
    bk = Backends(no_cuda=args.no_cuda)
    ok = True
    try:
        if args.phase == "recompile-check":
            ok = phase_recompile_check(bk, counter, results)
        if args.phase in ("all", "conformance"):
            good = phase_conformance(bk, counter, results)
            cache = os.environ.get("TRITON_CACHE_DIR")
            if cache:
                (pathlib.Path(cache) / "tvk_ok_cases.json").write_text(json.dumps(good))
        if args.phase in ("all", "timing"):
            phase_timing(bk, results, args.check_big_vulkan or args.small, big=not args.small,
                         only=set(filter(None, args.only.split(","))))
        if args.phase in ("all", "overhead"):
            phase_overhead(bk, results)
    except Exception:  # noqa: BLE001
        log(traceback.format_exc())
        ok = False
    if OUT:
        tag = args.phase.replace("-", "_")
        pathlib.Path(OUT, f"h100_{tag}.json").write_text(json.dumps(results, indent=1, default=str))
        pathlib.Path(OUT, f"h100_{tag}_log.txt").write_text("\n".join(LOG) + "\n")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
