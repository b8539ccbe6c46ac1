#!/usr/bin/env bash
# Attention's softmax on the score fragments (lower/fragment_rows.h; TVK_FRAGMENT_ROWS=0/1) on the
# device machine: builds and installs, prints whether the device reports VK_NV_cooperative_matrix2's
# row operations, then the PARTS asked for (default "check bench"; one call has 600 s):
#   check  correctness with the switch on: the attention tests (test_attention_causal,
#          test_row_layouts, test_carried_loads, test_dot_direct_operands), against NumPy and CUDA;
#   bench  the attention rows of tools/bench/tensorcore.py under each of MODES (';'-separated
#          environment settings, '-' the defaults; default: TVK_FRAGMENT_ROWS=0, defaults,
#          TVK_FRAGMENT_ROWS=1), ROUNDS rounds (default 2), each checked against CUDA's output,
#          with JSON under $OUT (ONLY: other rows);
#   sass   the driver's machine code of the attention pipelines with the switch on
#          ($OUT/fragment-rows-pipelines.tar.gz; disassemble here with tools/device/pipeline_sass.py);
#   matmul tools/device/probe/matmul_bounds.py (the fp16 matmul with its loads L1/L2-hot);
#   t06    where .tutorials/06-fused-attention.py was carried (tools/tutorials/README.md), tutorial
#          06's forward tests (test_op, fwd) with the switch on: its loops, causal stages included,
#          take the fragment softmax.
#   run(command="PARTS='check bench' bash tools/device/run_fragment_rows.sh", carry=[".gl", ".debs", ".cmwhl"])
#   run(command="TVK_SKIP_BUILD=1 PARTS='sass matmul t06' bash tools/device/run_fragment_rows.sh",
#       carry=[".gl", ".debs", ".cmwhl", ".tutorials"])
# TVK_SKIP_BUILD=1 skips the build on a machine still warm from an earlier call.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/device/prepare.sh fragment-rows-build.log
export TVK_VALIDATION=0 TVK_WARN_FALLBACK=0
rc=0
PARTS=${PARTS:-check bench}
ninja -C build-device-py tvk >/dev/null
build-device-py/tvk devices 2>&1 | grep -i -E "^name|cooperative" | head -6
if [[ $PARTS == *check* ]]; then
  echo "== tests with TVK_FRAGMENT_ROWS=1 ($(date +%T))"
  TVK_FRAGMENT_ROWS=1 timeout 240 python3 -X faulthandler -m pytest -q -p no:cacheprovider -W ignore::UserWarning \
    tests/python/test_attention_causal.py tests/python/test_row_layouts.py tests/python/test_carried_loads.py \
    tests/python/test_dot_direct_operands.py \
    2>&1 | tail -12 | tee "$OUT/fragment-rows-tests.log" || rc=1
fi
if [[ $PARTS == *bench* ]]; then
  ONLY=${ONLY:-attn_d64_s1024,attn_d64_s1024_causal,attn_d64_s4096,attn_d64_s4096_causal,attn_d128_s1024,attn_d128_s1024_causal,attn_d128_s4096,attn_d128_s4096_causal,attn_d64_s16384}
  # MODES: ';'-separated environment settings, each a run ("-" = the defaults)
  IFS=';' read -r -a modes <<< "${MODES:-TVK_FRAGMENT_ROWS=0;-;TVK_FRAGMENT_ROWS=1}"
  for r in $(seq 1 "${ROUNDS:-2}"); do
    for i in "${!modes[@]}"; do
      m=${modes[$i]}; [[ $m == - ]] && m=""
      echo "== tensorcore attention, ${m:-defaults}, round $r ($(date +%T))"
      env $m timeout 200 python3 tools/bench/tensorcore.py --only "$ONLY" \
        --json "$OUT/fragment-rows-m$i-$r.json" 2>&1 | tail -12 | tee "$OUT/fragment-rows-m$i-$r.log" || rc=1
    done
  done
fi
if [[ $PARTS == *sass* ]]; then
  echo "== machine code, TVK_FRAGMENT_ROWS=1 ($(date +%T))"
  D=$(mktemp -d)
  TVK_FRAGMENT_ROWS=1 TVK_PIPELINE_DUMP="$D" timeout 120 python3 tools/bench/tensorcore.py \
    --only attn_d64_s1024,attn_d128_s1024 2>&1 | tail -4
  tar -czf "$OUT/fragment-rows-pipelines.tar.gz" -C "$D" .
fi
if [[ $PARTS == *matmul* ]]; then
  echo "== matmul bounds ($(date +%T))"
  timeout 120 python3 tools/device/probe/matmul_bounds.py 2>&1 | tail -6 | tee "$OUT/matmul-bounds.log" || rc=1
fi
if [[ $PARTS == *t06* && -f .tutorials/06-fused-attention.py ]]; then
  echo "== tutorial 06 forward, TVK_FRAGMENT_ROWS=1 ($(date +%T))"
  T=$(mktemp -d)  # the tutorial with triton_vulkan activated first (it has no __future__ import)
  { echo "import triton_vulkan; triton_vulkan.activate()"; cat .tutorials/06-fused-attention.py; } > "$T/t06.py"
  (cd "$T" && TVK_FRAGMENT_ROWS=1 timeout 300 python3 -m pytest -x -q -p no:cacheprovider t06.py -k "test_op and fwd" \
    2>&1 | tail -6) || rc=1
fi
exit $rc
