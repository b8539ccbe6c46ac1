"""Per conformance case on the default Vulkan device: compile time (in-process, validation
included) and GPU run time (minimum over --repeat launches), as `tvk run` reports them.

    .venv/bin/python tools/bench_cases.py [--repeat 5] [--build build]
"""
import argparse
import pathlib
import re
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--source", action="store_true", help="compile kernel.source.ttir")
    a = ap.parse_args()
    rows, bad = [], 0
    for case in sorted((ROOT / "tests/conformance/cases").iterdir()):
        cmd = [f"{a.build}/tvk", "run", str(case), "--repeat", str(a.repeat)] + (["--source"] if a.source else [])
        p = subprocess.run(cmd, capture_output=True, text=True)
        m = re.search(r"compile_ms=([\d.]+) run_ms=([\d.]+)", p.stdout)
        verdict = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else "ERROR"
        bad += verdict != "PASS"
        rows.append((case.name, float(m.group(1)) if m else float("nan"), float(m.group(2)) if m else float("nan"), verdict))
    print(f"{'case':18} {'compile ms':>10} {'run ms':>9}  result")
    for r in rows:
        print(f"{r[0]:18} {r[1]:10.1f} {r[2]:9.3f}  {r[3]}")
    print(f"median compile {statistics.median(r[1] for r in rows):.1f} ms, "
          f"median run {statistics.median(r[2] for r in rows):.3f} ms")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
