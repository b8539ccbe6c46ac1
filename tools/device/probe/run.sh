#!/usr/bin/env bash
# Diagnosis on the device machine (session 8): the extension's C++ exceptions, tutorial 05's db check.
set -uo pipefail
cd "$(dirname "$0")/../../.."
source tools/device/prepare.sh torch-build.log
export TVK_VALIDATION=0 TVK_WARN_FALLBACK=0
P=tools/device/probe
gcc -shared -fPIC -o /tmp/segv_bt.so $P/segv_bt.c
which gdb || true
SO=$(ls python/triton_vulkan/_torch_device*.so)
echo "== ldd"; ldd $SO | head -30
echo "== who exports __cxa_throw / _Unwind_RaiseException"
TL=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')/lib
for f in $TL/*.so* $(python3 -c 'import site;print(site.getsitepackages()[0])')/nvidia/*/lib/*.so*; do
  nm -D --defined-only $f 2>/dev/null | grep -qE " (__cxa_throw|_Unwind_RaiseException)$" && echo "  $f"; done
echo "== cases"; python3 $P/torch_errors.py
echo "== with backtrace handler"; LD_PRELOAD=/tmp/segv_bt.so python3 $P/torch_errors.py index 2>&1 | tail -50
echo "== bindings"; LD_DEBUG=bindings python3 $P/torch_errors.py index 2>&1 | grep -E "_torch_device" | grep -E "cxa_throw|Unwind|personality|cxa_begin|cxa_allocate|typeinfo" | head -20
if command -v gdb >/dev/null; then gdb -batch -ex run -ex bt --args python3 $P/torch_errors.py index 2>&1 | tail -40; fi
echo "== tutorial 05"; timeout 300 python3 $P/ln05.py
