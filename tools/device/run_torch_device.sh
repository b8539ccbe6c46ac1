#!/usr/bin/env bash
# The tvk PyTorch device on the device machine: builds and installs (run_h100.sh with
# TVK_ONLY_BUILD=1; the extension is built against the machine's PyTorch), then by PHASE:
#   tests      tests/python/test_torch_device.py, test_torch_compile.py, test_libdevice.py,
#              test_triton_plugin.py, and tools/bench/torch_compile.py (eager vs compiled)
#   tutorials  Triton's tutorials at full size (carried in .tutorials: tools/tutorials/README.md),
#              with triton_vulkan activated (CUDA is present there); TUTORIALS=01,02 picks some
# Default: both. TUT_EACH / TUT_TIMEOUT: seconds per tutorial / for all; PYTEST_K: tutorial 06's
# pytest -k; BENCH_ONLY=1: tutorial 06's benchmark alone (a second call when both do not fit one);
# BENCH_ARGS=HEAD_DIM=64 with it: only those tables of the benchmark.
#   run(command="bash tools/device/run_torch_device.sh", carry=[".gl", ".debs", ".cmwhl", ".tutorials"])
# TVK_SKIP_BUILD=1 skips the build on a warm machine.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/device/prepare.sh torch-build.log
grep -c "_torch_device" "$OUT/torch-build.log"
export TVK_VALIDATION=0 TVK_WARN_FALLBACK=0  # no Khronos validation layer on the device machine
rc=0
PHASE=${PHASE:-tests tutorials}
if [[ $PHASE == *tests* ]]; then
  echo "== torch device tests ($(date +%T))"
  timeout "${TEST_TIMEOUT:-300}" python3 -X faulthandler -m pytest -v -p no:cacheprovider -W ignore::UserWarning \
    tests/python/test_torch_device.py tests/python/test_torch_ops.py tests/python/test_torch_matmul.py \
    tests/python/test_torch_compile.py tests/python/test_libdevice.py \
    tests/python/test_triton_plugin.py > "$OUT/torch-tests.log" 2>&1
  [[ $? == 0 ]] || rc=1
  grep -E "PASSED|FAILED|ERROR|passed|failed|Fatal|Segmentation" "$OUT/torch-tests.log" | tail -40
  echo "== tools/bench/torch_compile.py ($(date +%T))"
  timeout "${BENCH_TIMEOUT:-240}" python3 tools/bench/torch_compile.py --json "$OUT/torch_compile.json" 2>&1 \
    | grep -v pow_by_natural | tail -20 | tee "$OUT/torch_compile.log"
  [[ ${PIPESTATUS[0]} == 0 ]] || rc=1
fi
if [[ $PHASE == *tutorials* && -d .tutorials ]]; then
  echo "== tutorials ($(date +%T))"
  timeout "${TUT_TIMEOUT:-400}" python3 tools/tutorials/run_tutorials.py --tutorials .tutorials --activate \
    --only "${TUTORIALS:-01,02,03,05,08,06}" --timeout "${TUT_EACH:-200}" --out /tmp/tvk_tutorials \
    ${PYTEST_K:+--pytest-k "$PYTEST_K"} ${BENCH_ONLY:+--bench-only} ${BENCH_ARGS:+--bench-args "$BENCH_ARGS"} 2>&1 | tee "$OUT/tutorials.log"
  [[ ${PIPESTATUS[0]} == 0 ]] || rc=1
  cp /tmp/tvk_tutorials/*.log "$OUT/" 2>/dev/null
fi
exit $rc
