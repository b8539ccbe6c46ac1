#!/usr/bin/env python3
"""Compile-time benchmark of `tvk compile` over the conformance cases.

For every case in tests/conformance/cases it times the wall clock of the whole process
`tvk compile <case>/kernel.ttir --target <profile> -o <tmp>.spv` N times (default 11),
prints min/median/max in ms per case plus the median over cases, and validates each
output with `spirv-val --target-env vulkan1.3`. Exits non-zero when a compile fails or a
module does not validate.

    .venv/bin/python tools/bench_compile.py [--runs N] [--target lavapipe] [--cases a,b]
"""
import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "conformance" / "cases"


def time_compile(tvk, ttir, target, out, runs):
    """Runs the compile `runs` times; returns (list of ms, error text or None)."""
    cmd = [tvk, "compile", str(ttir), "--target", target, "-o", str(out)]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        times.append((time.perf_counter() - t0) * 1000.0)
        if r.returncode != 0:
            return times, (r.stderr or r.stdout).strip() or f"exit {r.returncode}"
    return times, None


def validate(spirv_val, spv):
    """spirv-val's verdict on one module: None when valid, else its message."""
    r = subprocess.run([spirv_val, "--target-env", "vulkan1.3", str(spv)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return None if r.returncode == 0 else (r.stdout.strip() or f"exit {r.returncode}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tvk", default=os.environ.get("TVK", str(ROOT / "build" / "tvk")))
    ap.add_argument("--target", default="lavapipe")
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if not pathlib.Path(args.tvk).exists():
        sys.exit(f"error: {args.tvk} is missing: build it first (make)")
    # The pinned cmeel SPIR-V tools (the ones the compiler links) know cooperative matrices and
    # bf16; Debian's spirv-val (2023.1) on PATH rejects such modules.
    cmeel = sorted(ROOT.glob(".venv/lib/python3*/site-packages/cmeel.prefix/bin/spirv-val"))
    spirv_val = str(cmeel[0]) if cmeel else shutil.which("spirv-val")
    if spirv_val is None:
        sys.exit("error: spirv-val is not on PATH (nor in .venv's cmeel prefix)")
    names = sorted(p.name for p in CASES.iterdir() if (p / "kernel.ttir").exists())
    if args.cases:
        wanted = args.cases.split(",")
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            sys.exit(f"error: unknown case(s): {', '.join(unknown)}")
        names = [n for n in names if n in wanted]

    print(f"tvk compile --target {args.target}, {args.runs} runs per case, whole-process wall clock")
    print(f"{'case':<18} {'min ms':>8} {'median':>8} {'max ms':>8}  {'spv bytes':>9}  spirv-val")
    medians, problems = [], []
    with tempfile.TemporaryDirectory(prefix="tvk-bench-") as tmp:
        for name in names:
            out = pathlib.Path(tmp) / f"{name}.spv"
            times, err = time_compile(args.tvk, CASES / name / "kernel.ttir", args.target, out,
                                      args.runs)
            if err is not None:
                print(f"{name:<18} {'compile failed':>26}  {err.splitlines()[0]}")
                problems.append(f"{name}: compile failed: {err}")
                continue
            verdict = validate(spirv_val, out)
            med = statistics.median(times)
            medians.append(med)
            print(f"{name:<18} {min(times):8.1f} {med:8.1f} {max(times):8.1f}  "
                  f"{out.stat().st_size:9d}  {'ok' if verdict is None else 'INVALID'}")
            if verdict is not None:
                problems.append(f"{name}: spirv-val: {verdict}")
    if medians:
        print(f"{'median over cases':<18} {'':8} {statistics.median(medians):8.1f}"
              f"   ({len(medians)} cases)")
    for p in problems:
        print("problem:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
