#!/usr/bin/env bash
# The device check after a change to the cooperative-matrix paths, in one call (about 5 minutes
# on a fresh machine): builds and installs, then
#   1. the conformance cases against their captured CUDA outputs (run_h100.py --phase conformance;
#      the pytest module's fixtures are lavapipe's);
#   2. the Python tests of the tensor-core paths (attention in chained loops, row layouts, carried
#      loads, direct operands, dot variants, scaled dots, vector accesses, dot epilogues), against
#      NumPy and CUDA;
#   3. the whole tensorcore table, then (unless TABLES=tensorcore) the membound one, with JSON and
#      logs under $OUT.
#   run(command="bash tools/device/run_check.sh", carry=[".gl", ".debs", ".cmwhl"])
# TVK_SKIP_BUILD=1 skips the build on a machine still warm from an earlier call.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/device/prepare.sh check-build.log
export TVK_VALIDATION=0 TVK_WARN_FALLBACK=0
rc=0
echo "== conformance ($(date +%T))"
timeout 150 python3 -X faulthandler tools/device/run_h100.py --phase conformance 2>&1 | tail -2 || rc=1
echo "== tensor-core tests ($(date +%T))"
timeout 200 python3 -X faulthandler -m pytest -q -p no:cacheprovider -W ignore::UserWarning \
  tests/python/test_attention_causal.py tests/python/test_row_layouts.py tests/python/test_carried_loads.py \
  tests/python/test_dot_direct_operands.py tests/python/test_dot_variants.py tests/python/test_scaled_dot.py \
  tests/python/test_vector_access.py tests/python/test_dot_epilogues.py 2>&1 | tail -2 || rc=1
for b in ${TABLES:-tensorcore membound}; do
  echo "== tools/bench/$b.py ($(date +%T))"
  timeout "${TABLE_TIMEOUT:-300}" python3 "tools/bench/$b.py" --json "$OUT/$b.json" > "$OUT/$b.log" 2>&1 || rc=1
  tail -3 "$OUT/$b.log"
done
exit $rc
