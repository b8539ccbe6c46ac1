#!/usr/bin/env bash
# Vector loads and stores on the device machine (issue 7, session 9): builds and installs, then
#   1. correctness: the conformance cases against CUDA (run_h100.py --phase conformance) and the
#      vector-access, f16-rounding and torch-op tests;
#   2. tools/bench/membound.py with the default 16-byte vector accesses, then (PARTS novec) the
#      kernels that vectors change with TVK_VECTOR_BYTES=0 (one access per element: the "before");
#   3. (PARTS compile) tools/bench/torch_compile.py: the four models eager and compiled.
#   run(command="bash tools/device/run_vectors.sh", carry=[".gl", ".debs", ".cmwhl"])
# TVK_SKIP_BUILD=1 skips the build on a warm machine; PARTS picks steps (default "check bench novec").
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/device/prepare.sh vectors-build.log
export TVK_VALIDATION=0 TVK_WARN_FALLBACK=0
rc=0
PARTS=${PARTS:-check bench novec}
if [[ $PARTS == *check* ]]; then
  echo "== conformance against CUDA ($(date +%T))"
  timeout 200 python3 -X faulthandler tools/device/run_h100.py --phase conformance 2>&1 | tail -8 | tee "$OUT/conformance.log"
  echo "== tests ($(date +%T))"
  timeout 200 python3 -X faulthandler -m pytest -q -p no:cacheprovider -W ignore::UserWarning \
    tests/python/test_vector_access.py tests/python/test_f16_rounding.py tests/python/test_torch_ops.py \
    > "$OUT/vector-tests.log" 2>&1 || rc=1
  grep -E "FAILED|passed|failed" "$OUT/vector-tests.log" | tail -15
fi
if [[ $PARTS == *bench* ]]; then
  echo "== membound, 16-byte vectors ($(date +%T))"
  timeout 300 python3 tools/bench/membound.py --json "$OUT/membound.json" 2>&1 | tee "$OUT/membound.log" | tail -40
fi
if [[ $PARTS == *novec* ]]; then
  NARROW=add_f16,gelu_f16,swiglu_f16,mathmix_f16,add_bf16,gelu_bf16,swiglu_bf16,mathmix_bf16,softmax_f16,layernorm_f16,rmsnorm_f16,argmax_4096,gelu_f32,add_f32
  echo "== membound, TVK_VECTOR_BYTES=0 ($(date +%T))"
  TVK_VECTOR_BYTES=0 timeout 200 python3 tools/bench/membound.py --only "$NARROW" --json "$OUT/membound-novec.json" 2>&1 \
    | tee "$OUT/membound-novec.log" | tail -20
fi
if [[ $PARTS == *compile* ]]; then
  echo "== tools/bench/torch_compile.py ($(date +%T))"
  timeout 240 python3 tools/bench/torch_compile.py --reps 20 --json "$OUT/torch_compile.json" 2>&1 \
    | grep -v pow_by_natural | tail -12 | tee "$OUT/torch_compile.log"
fi
exit $rc
