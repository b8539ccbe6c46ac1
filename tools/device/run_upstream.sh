#!/usr/bin/env bash
# Triton 3.6's test_core.py, whole, on the device machine: once with our Vulkan backend and once
# with Triton's CUDA backend (the baseline), same machine, same file; then the per-function and
# per-failure-class summaries of both (tools/upstream/run_sample.py) under $OUT: summary-<backend>.md,
# and upstream-details.tar.gz (summary.json, expected_failures.txt, run log, results per backend).
# Run from the repository root, carrying .gl, .debs, .cmwhl and .upstream (the fetched
# release/3.6.x test_core.py in .upstream/language/, see tools/upstream/README.md):
#   run(command="bash tools/device/run_upstream.sh", carry=[".gl", ".debs", ".cmwhl", ".upstream"])
# Env: UP_JOBS (parallel pytest processes, default cores - 1), UP_TIMEOUT (per test, default 120 s),
# UP_BUDGET (seconds per backend, default 240), UP_CALL_LIMIT (seconds the whole script may take,
# default 480: each backend's budget is cut so that it ends before, since a device call killed
# at its limit brings no summary back), UP_BACKENDS (default "vulkan cuda"),
# UP_EVERY (sampling rule of `select`, default 1 = every id), UP_FILTER (an extended regex: only the
# selected ids that match it run, e.g. 'test_dot\[|test_reduce2d').
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
[[ -f .upstream/language/test_core.py ]] || { echo "carry .upstream (test_core.py)"; exit 2; }
sha1sum .upstream/language/test_core.py

echo "== build + install ($(date +%T))"
TVK_ONLY_BUILD=1 bash tools/device/run_h100.sh > "$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
tail -2 "$OUT/build.log"
source tools/device/device_env.sh

UP=/tmp/upstream
rm -rf "$UP"; mkdir -p "$UP"; cp -r .upstream/language "$UP/"
for backend in ${UP_BACKENDS:-vulkan cuda}; do
  R="$UP/results-$backend"
  echo "== test_core.py with the $backend backend ($(date +%T))"
  export TVK_UPSTREAM_BACKEND=$backend
  dev=cpu; [[ $backend == cuda ]] && dev=cuda
  export TVK_UPSTREAM_DEVICE=$dev
  A=(--upstream "$UP" --results "$R" --python python3 --tvk-python "$ROOT/python")
  python3 tools/upstream/run_sample.py collect "${A[@]}" > /dev/null
  python3 tools/upstream/run_sample.py select "${A[@]}" --every "${UP_EVERY:-1}" > /dev/null
  if [[ -n ${UP_FILTER:-} ]]; then
    grep -E "$UP_FILTER" "$R/sample_ids.txt" > "$R/filtered_ids.txt"; mv "$R/filtered_ids.txt" "$R/sample_ids.txt"
    echo "$(wc -l < "$R/sample_ids.txt") ids match UP_FILTER"
  fi
  budget=${UP_BUDGET:-240}
  left=$(( ${UP_CALL_LIMIT:-480} - SECONDS - 30 ))  # 30 s for the summary and the archive
  (( left < budget )) && budget=$(( left > 30 ? left : 30 ))
  echo "run budget ${budget} s"
  python3 tools/upstream/run_sample.py run "${A[@]}" --jobs "${UP_JOBS:-$(( $(nproc) - 1 ))}" \
    --timeout "${UP_TIMEOUT:-120}" --budget "$budget" > "$OUT/run-$backend.log" 2>&1
  python3 tools/upstream/run_sample.py summarize "${A[@]}" > /dev/null
  cp "$R/summary.md" "$OUT/summary-$backend.md"
  mkdir -p "$UP/keep/$backend"; cp "$R/summary.json" "$R/expected_failures.txt" "$OUT/run-$backend.log" "$UP/keep/$backend/" 2>/dev/null
  cat "$R"/shard*.jsonl 2>/dev/null | gzip > "$UP/keep/$backend/results.jsonl.gz"; rm -f "$OUT/run-$backend.log"
  head -3 "$R/summary.md"
done
tar -czf "$OUT/upstream-details.tar.gz" -C "$UP/keep" .  # few files come back: one archive
echo "== done ($(date +%T))"
