set -uo pipefail
cd "$(dirname "$0")/../../.."
source tools/device/prepare.sh torch-build.log
export TVK_VALIDATION=0 TVK_WARN_FALLBACK=0
SO=$(ls python/triton_vulkan/_torch_device*.so); nm -D --defined-only $SO | grep -cE "cxa_throw|_ZNSo9_M_insert"
python3 tools/device/probe/torch_errors.py
for a in no act; do for d in cuda tvk; do python3 tools/device/probe/autograd_mix.py $a $d 2>&1 | tail -1; done; done
timeout 200 python3 tools/device/probe/ln05.py tvk 2>&1 | grep -v Warn
timeout 100 python3 tools/device/probe/ln05.py cuda 2>&1 | grep -v Warn
