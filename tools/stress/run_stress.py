#!/usr/bin/env python3
"""Runs the multi-threaded runtime stress test (tests/python/test_stress_threads.py) N times in a
row, each in a fresh process (so crashes at start-up and exit count too), stops at the first
failure, and reports the time of every run and of all of them.

    .venv/bin/python tools/stress/run_stress.py -n 100 [--threads 6] [--rounds 24]

--threads/--rounds are passed to the test through TVK_STRESS_THREADS / TVK_STRESS_ROUNDS."""
import argparse
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEST = "tests/python/test_stress_threads.py"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--runs", type=int, default=100)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=None)
    args = ap.parse_args()
    env = dict(os.environ)
    if args.threads:
        env["TVK_STRESS_THREADS"] = str(args.threads)
    if args.rounds:
        env["TVK_STRESS_ROUNDS"] = str(args.rounds)
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", TEST]
    start = time.monotonic()
    for i in range(1, args.runs + 1):
        t = time.monotonic()
        p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        took = time.monotonic() - t
        if p.returncode != 0:
            print(p.stdout[-6000:] + p.stderr[-4000:])
            print(f"run {i} FAILED (exit {p.returncode}) after {took:.1f} s; "
                  f"{i - 1} runs passed in {time.monotonic() - start:.1f} s")
            return 1
        print(f"run {i}/{args.runs}: passed in {took:.1f} s", flush=True)
    total = time.monotonic() - start
    print(f"{args.runs} runs passed in a row in {total:.1f} s ({total / args.runs:.1f} s per run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
