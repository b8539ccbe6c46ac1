#!/usr/bin/env bash
# Software-pipelined tl.dot loops on the device machine (issue 8, session 10): builds and installs, then
#   1. correctness: the conformance cases against CUDA, the dot lowering cases (tvk run
#      src/lower/testdata/dot_*), the direct-operand/prefetch and batched matmul tests
#      (test_dot_direct_operands.py, test_dot_variants.py) and the vector-access tests;
#   2. tools/bench/tensorcore.py and tools/bench/membound.py (both backends, results checked);
#   3. (PARTS before) the kernels BEFORE_ONLY (default: the matmuls) of tensorcore.py with
#      BEFORE_ENV (default TVK_DOT_PREFETCH=0: num_stages 1 on Vulkan only), the "before" of an
#      optimization behind a measurement switch (TVK_SPLIT_ROWS=0, TVK_DOT_HOLD=0, ...).
#   run(command="bash tools/device/run_prefetch.sh", carry=[".gl", ".debs", ".cmwhl"])
# TVK_SKIP_BUILD=1 skips the build on a warm machine; PARTS picks steps (default "check bench before"),
# BENCHES the benchmarks of step 2 (default "tensorcore membound").
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/device/prepare.sh prefetch-build.log
export TVK_VALIDATION=0 TVK_WARN_FALLBACK=0
rc=0
PARTS=${PARTS:-check bench before}
if [[ $PARTS == *check* ]]; then
  echo "== conformance against CUDA ($(date +%T))"
  timeout 200 python3 -X faulthandler tools/device/run_h100.py --phase conformance 2>&1 | tail -4 | tee "$OUT/conformance.log"
  echo "== tvk run: the dot lowering cases ($(date +%T))"
  ninja -C build-device-py tvk >/dev/null
  for c in src/lower/testdata/dot_*; do
    echo "-- $c: $(build-device-py/tvk run "$c" 2>&1 | tail -1)"
  done
  echo "== tests ($(date +%T))"
  timeout 200 python3 -X faulthandler -m pytest -q -p no:cacheprovider -W ignore::UserWarning \
    tests/python/test_dot_direct_operands.py tests/python/test_vector_access.py tests/python/test_dot_variants.py \
    tests/python/test_row_layouts.py tests/python/test_transposed_store.py tests/python/test_barrier_elision.py \
    tests/python/test_run_constants.py tests/python/test_packed_lanes.py tests/python/test_bf16_rounding.py \
    > "$OUT/prefetch-tests.log" 2>&1 || rc=1
  grep -E "FAILED|Error|passed|failed" "$OUT/prefetch-tests.log" | tail -15
fi
if [[ $PARTS == *bench* ]]; then
  for b in ${BENCHES:-tensorcore membound}; do
    echo "== tools/bench/$b.py ($(date +%T))"
    timeout 240 python3 tools/bench/$b.py --json "$OUT/$b.json" 2>&1 | grep -v Warning | tee "$OUT/$b.log" | tail -40
  done
fi
if [[ $PARTS == *before* ]]; then
  BEFORE_ENV=${BEFORE_ENV:-TVK_DOT_PREFETCH=0}
  echo "== tensorcore, $BEFORE_ENV ($(date +%T))"
  env $BEFORE_ENV timeout 200 python3 tools/bench/tensorcore.py \
    --only ${BEFORE_ONLY:-matmul_f16_4096,matmul_bf16_4096,matmul_i8_4096,matmul_f32_4096,matmul_blockptr_f16_4096} \
    --json "$OUT/tensorcore-before.json" 2>&1 | grep -v Warning | tee "$OUT/tensorcore-before.log" | tail -14
fi
# Fewer files come back than the steps write: drop the build log and run_h100.py's copies.
[[ $rc == 0 ]] && rm -f "$OUT"/prefetch-build.log "$OUT"/h100_conformance*
exit $rc
