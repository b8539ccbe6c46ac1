#!/usr/bin/env bash
# Wider workgroups for big tensor-core dots (analysis/dot_warps.h, session 10) on the device machine:
# builds and installs, runs the dot tests, prints the driver's register counts of the tensor-core
# kernels (dot_stats.py), then tensorcore.py's matmuls with the widening (default) and without
# (TVK_WIDEN_DOTS=0, its own Triton cache).
#   run(command="bash tools/device/run_dot_warps.sh", carry=[".gl", ".debs", ".cmwhl"])
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/device/prepare.sh dot-warps-build.log
export TVK_VALIDATION=0 TVK_WARN_FALLBACK=0
rc=0
echo "== tests ($(date +%T))"
timeout 150 python3 -m pytest -q -p no:cacheprovider -W ignore::UserWarning tests/python/test_dot_direct_operands.py \
  tests/python/test_dot_variants.py tests/python/test_triton_driver_facts.py > "$OUT/dot-tests.log" 2>&1 || rc=1
grep -E "FAILED|passed|failed" "$OUT/dot-tests.log" | tail -8
echo "== register counts ($(date +%T))"
timeout 120 python3 tools/device/dot_stats.py 2>&1 | grep "n_regs" | tee "$OUT/dot-stats.log"
ONLY=matmul_f16_4096,matmul_f16_8192,matmul_f16_4096x4096x1024,matmul_bf16_4096,matmul_f32_4096,matmul_i8_4096,matmul_bias_relu_4096,matmul_blockptr_f16_4096
for widen in 1 0; do
  echo "== tensorcore matmuls, TVK_WIDEN_DOTS=$widen ($(date +%T))"
  TRITON_CACHE_DIR=$(mktemp -d) TVK_WIDEN_DOTS=$widen timeout 150 python3 tools/bench/tensorcore.py --only "$ONLY" \
    2>&1 | grep -v Warn | tee "$OUT/tensorcore-widen$widen.log" | tail -11
done
[[ $rc == 0 ]] && rm -f "$OUT/dot-warps-build.log"
exit $rc
