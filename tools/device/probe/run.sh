#!/usr/bin/env bash
# Probes of the tvk torch device on the device machine (session 8; findings in
# tools/device/results/2026-12-01-h200-torch-device-notes.md):
#   torch_errors.py   each C++ error of the extension raises RuntimeError (it crashed with SIGSEGV
#                     while the extension linked a static libstdc++ copy); with segv_bt.c preloaded
#                     a crash prints its native backtrace
#   autograd_mix.py   CUDA/tvk backward with and without triton_vulkan activated (pytorch#161129)
#   ln05.py           tutorial 05's check on identical data on CUDA and on tvk
#   run(command="bash tools/device/probe/run.sh", carry=[".gl", ".debs", ".cmwhl", ".tutorials"])
set -uo pipefail
cd "$(dirname "$0")/../../.."
source tools/device/prepare.sh torch-build.log
export TVK_VALIDATION=0 TVK_WARN_FALLBACK=0
P=tools/device/probe
gcc -shared -fPIC -o /tmp/segv_bt.so $P/segv_bt.c
echo "== extension errors"; LD_PRELOAD=/tmp/segv_bt.so python3 $P/torch_errors.py
echo "== autograd"
for a in no act; do for d in cuda tvk; do python3 $P/autograd_mix.py $a $d 2>&1 | tail -1; done; done
TVK_TORCH_DEVICE=0 python3 $P/autograd_mix.py act cuda 2>&1 | tail -1
echo "== tutorial 05 check on identical data"
timeout 200 python3 $P/ln05.py tvk 2>&1 | grep trial
TVK_TORCH_DEVICE=0 timeout 200 python3 $P/ln05.py cuda 2>&1 | grep -E "trial|Error"
