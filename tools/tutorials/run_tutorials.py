"""Runs Triton's official tutorials (fetched from release/3.6.x, never committed) on the Vulkan
backend, as a new user would: the tutorial file unchanged except for a first line that imports
triton_vulkan (and activates it when the package is not pip-installed) and, with --small, smaller
problem sizes (the SMALL table: each edit must match exactly once, so upstream drift is noticed).

    python tools/tutorials/run_tutorials.py --tutorials DIR [--small] [--only 01,02] [--out DIR]

DIR holds the tutorial files (README.md says how to fetch them). Each runs in its own process
(with the tutorial's folder as working directory for its saved plots) under a timeout; the
outcome is `pass` (exit 0: the tutorial's own checks held), `fail` (with the last lines of its
output) or `timeout`. Tutorial 06 keeps its correctness check in a pytest test (test_op), which is
run with pytest (-k picks sizes with --small), then its benchmark (--bench-only: the benchmark
alone; --bench-args HEAD_DIM=64: only the tables with those args). Each tutorial's whole output is kept in OUT/<number>.log. The benchmarks need pandas and
matplotlib.
"""
import argparse
import os
import pathlib
import re
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]

FILES = {
    "01": "01-vector-add.py",
    "02": "02-fused-softmax.py",
    "03": "03-matrix-multiplication.py",
    "05": "05-layer-norm.py",
    "06": "06-fused-attention.py",
    "08": "08-grouped-gemm.py",
}

# --small (lavapipe on 2 CPU cores): (exact text, replacement[, times it occurs: default 1]) per
# tutorial; sizes only.
SMALL = {
    "01": [("x_vals=[2**i for i in range(12, 28, 1)]", "x_vals=[2**i for i in range(12, 15, 1)]")],
    "02": [("x = torch.randn(1823, 781, device=DEVICE)", "x = torch.randn(183, 781, device=DEVICE)"),
           ("x_vals=[128 * i for i in range(2, 100)]", "x_vals=[128 * i for i in range(2, 4)]"),
           ("args={'M': 4096}", "args={'M': 256}")],
    "03": [("x_vals=[128 * i for i in range(2, 33)]", "x_vals=[128 * i for i in range(2, 3)]"),
           ("a = torch.rand((512, 512), device=DEVICE, dtype=torch.float16) - 0.5",
            "a = torch.rand((128, 128), device=DEVICE, dtype=torch.float16) - 0.5"),
           ("b = torch.rand((512, 512), device=DEVICE, dtype=torch.float16) - 0.5",
            "b = torch.rand((128, 128), device=DEVICE, dtype=torch.float16) - 0.5")],
    "05": [("test_layer_norm(1151, 8192, torch.float16)", "test_layer_norm(151, 1024, torch.float16)"),
           ("x_vals=[512 * i for i in range(2, 32)]", "x_vals=[512 * i for i in range(2, 3)]"),
           ("args={'M': 4096, 'dtype': torch.float16, 'mode': 'backward'}",
            "args={'M': 256, 'dtype': torch.float16, 'mode': 'backward'}")],
    "06": [("BATCH, N_HEADS = 4, 32", "BATCH, N_HEADS = 1, 2"),
           ("x_vals=[2**i for i in range(10, 15)]", "x_vals=[2**i for i in range(7, 8)]")],
    # The kernel's loads are unmasked: every size must stay a multiple of the largest block (128).
    "08": [("group_m = [1024, 512, 256, 128]", "group_m = [256, 128, 128, 128]"),
           ("group_n = [1024, 512, 256, 128]", "group_n = [256, 128, 128, 128]"),
           ("group_k = [1024, 512, 256, 128]", "group_k = [256, 128, 128, 128]"),
           ("x_vals=[2**i for i in range(7, 11)]", "x_vals=[2**i for i in range(7, 8)]", 2),
           ("    N = 8192\n    K = 8192\n", "    N = 256\n    K = 256\n")],
}
# Tutorial 06's correctness test (pytest); -k with --small: the smallest shapes.
PYTEST_06 = {"small": "test_op and 128 and 64 and -2-1]", "full": "test_op"}


def bench_driver(tutorial, spec):
    """A script beside the prepared tutorial 06 that imports it (its module code runs as is, not
    its __main__) and runs the benchmark tables of its perf_report whose args match `spec`
    ("K=V,K=V"; values compared as text). Each measured point is also printed as it is done (with
    its seconds, autotuning included), so that a run cut by the timeout still shows its rows."""
    want = dict(kv.split("=", 1) for kv in spec.split(","))
    driver = tutorial.with_name("run_bench_part.py")
    driver.write_text(
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('tutorial', {tutorial.name!r})\n"
        "mod = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(mod)\n"
        "mark = mod.bench_flash_attention\n"
        f"want = {want!r}\n"
        "mark.benchmarks = [b for b in mark.benchmarks\n"
        "                   if all(str(b.args.get(k)) == v for k, v in want.items())]\n"
        "print(f'{len(mark.benchmarks)} benchmark tables match {want}', flush=True)\n"
        "import time\n"
        "fn = mark.fn\n"
        "def traced(*a, **kw):\n"
        "    t0 = time.time()\n"
        "    r = fn(*a, **kw)\n"
        "    print(f'point {kw} -> {r} ({time.time() - t0:.1f} s)', flush=True)\n"
        "    return r\n"
        "mark.fn = traced\n"
        "assert mark.benchmarks, 'no benchmark table matches'\n"
        "mark.run(save_path='.', print_data=True)\n")
    return driver


def prepare(src, out_dir, key, small, installed):
    text = src.read_text()
    if small:
        for old, new, *times in SMALL.get(key, []):
            n, want = text.count(old), (times or [1])[0]
            if n != want:
                raise SystemExit(f"{src.name}: expected '{old}' {want} time(s), found it {n} (upstream changed?)")
            text = text.replace(old, new)
    head = "import triton_vulkan\n" if installed else "import triton_vulkan; triton_vulkan.activate()\n"
    # After a module docstring and `from __future__` lines, which must stay first.
    lines = text.splitlines(keepends=True)
    at = 0
    m = re.match(r'\s*("""|\'\'\')', text)
    if m:
        end = text.find(m.group(1), m.end())
        at = text[:end + 3].count("\n") + 1
    while at < len(lines) and lines[at].startswith("from __future__"):
        at += 1
    out = out_dir / src.name
    out.write_text("".join(lines[:at]) + head + "".join(lines[at:]))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tutorials", required=True, type=pathlib.Path)
    p.add_argument("--out", type=pathlib.Path, default=pathlib.Path("/tmp/tvk_tutorials"))
    p.add_argument("--only", default=",".join(FILES))
    p.add_argument("--small", action="store_true", help="smaller problem sizes (lavapipe)")
    p.add_argument("--timeout", type=int, default=1800)
    p.add_argument("--pytest-k", help="tutorial 06: pytest -k expression (default: all of test_op, or the "
                                      "smallest shapes with --small)")
    p.add_argument("--bench-only", action="store_true",
                   help="tutorial 06: only its benchmark (the file's __main__), not test_op")
    p.add_argument("--bench-args", metavar="K=V,K=V",
                   help="tutorial 06 with --bench-only: run only the benchmark tables whose args match (e.g. "
                        "HEAD_DIM=64 or HEAD_DIM=128,mode=fwd), by a driver that imports the unchanged tutorial and "
                        "filters its perf_report's benchmarks (when the whole benchmark does not fit one call)")
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--activate", action="store_true",
                   help="add triton_vulkan.activate() even where the package is installed (needed where CUDA "
                        "is present: Triton then finds CUDA's driver active)")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TVK_WARN_FALLBACK=os.environ.get("TVK_WARN_FALLBACK", "0"), MPLBACKEND="Agg")
    probe = subprocess.run([args.python, "-c", "import importlib.metadata as m; m.version('triton-vulkan')"],
                           capture_output=True)
    installed = probe.returncode == 0 and not args.activate
    if not installed:
        env["PYTHONPATH"] = str(ROOT / "python") + os.pathsep + env.get("PYTHONPATH", "")
    results = []
    for key in args.only.split(","):
        src = args.tutorials / FILES[key]
        f = prepare(src, args.out, key, args.small, installed)
        cmd = [args.python, f.name]
        if key == "06" and args.bench_only and args.bench_args:
            cmd = [args.python, bench_driver(f, args.bench_args).name]
        if key == "06" and not args.bench_only:
            cmd = [args.python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", f.name,
                   "-k", args.pytest_k or PYTEST_06["small" if args.small else "full"]]
        t0 = time.time()
        try:
            r = subprocess.run(cmd, cwd=args.out, env=env, capture_output=True, text=True, timeout=args.timeout)
            outcome = "pass" if r.returncode == 0 else "fail"
            tail = (r.stdout + r.stderr).strip().splitlines()[-25:]
            (args.out / f"{key}.log").write_text(r.stdout + r.stderr)
        except subprocess.TimeoutExpired as e:
            text = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            outcome, tail = "timeout", text.splitlines()[-10:]
            (args.out / f"{key}.log").write_text(text)
        dt = time.time() - t0
        results.append((key, FILES[key], outcome, dt))
        print(f"=== {FILES[key]}: {outcome} in {dt:.0f} s", flush=True)
        print("\n".join("    " + line for line in tail), flush=True)
        if key == "06" and outcome == "pass" and not args.bench_only:  # and its benchmark, the file's __main__
            try:
                r = subprocess.run([args.python, f.name], cwd=args.out, env=env, capture_output=True, text=True,
                                   timeout=args.timeout)
                status, text = f"exit {r.returncode}", r.stdout + r.stderr
            except subprocess.TimeoutExpired as e:  # the test_op outcome stands; the next tutorials still run
                status = f"timeout after {args.timeout} s"
                text = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            print(f"    06 benchmark: {status}\n" +
                  "\n".join("    " + line for line in text.strip().splitlines()[-15:]), flush=True)
    print("\n| tutorial | outcome | seconds |\n| --- | --- | --- |")
    for key, name, outcome, dt in results:
        print(f"| {name} | {outcome} | {dt:.0f} |")
    return 0 if all(r[2] == "pass" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
