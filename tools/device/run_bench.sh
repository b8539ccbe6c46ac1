#!/usr/bin/env bash
# Benchmarks of tools/bench/ on the device machine (both backends in one process, results checked):
# builds and installs triton_vulkan (run_h100.sh with TVK_ONLY_BUILD=1), then runs each benchmark
# named in BENCH (default: membound; also tensorcore: tl.dot matmuls, bmm, attention) with
# --json $OUT/<name>.json. Extra arguments go to every benchmark (e.g. --only matmul_f16_4096).
#   run(command="bash tools/device/run_bench.sh", carry=[".gl", ".debs", ".cmwhl"])
#   run(command="BENCH=tensorcore bash tools/device/run_bench.sh", carry=[".gl", ".debs", ".cmwhl"])
# Each benchmark gets BENCH_TIMEOUT seconds (default 420; tensorcore is meant to take a few
# minutes on an H200, compilation included). A device call lasts at most 600 s, build included:
# on a machine still warm from an earlier call, TVK_SKIP_BUILD=1 skips the build.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/device/prepare.sh bench-build.log
rc=0
for b in ${BENCH:-membound}; do
  echo "== tools/bench/$b.py ($(date +%T))"
  # a log under $OUT comes back even when the device call runs out of time
  timeout "${BENCH_TIMEOUT:-420}" python3 "tools/bench/$b.py" --json "$OUT/$b.json" "$@" 2>&1 | tee "$OUT/$b.log"
  [[ ${PIPESTATUS[0]} == 0 ]] || rc=1
done
exit $rc
