set -uo pipefail
cd "$(dirname "$0")/../../.."
env | grep -iE "flags|^CC|^CXX" ; grep -E "LINKER_FLAGS|CXX_FLAGS" build-device-py/CMakeCache.txt | grep -v "^//" | head
ninja -C build-device-py -t commands tvk_torch_device | tail -1
SO=$(ls python/triton_vulkan/_torch_device*.so); nm -D --defined-only $SO | grep -cE "cxa_throw|_ZNSo9_M_insert"
nm -D --defined-only $SO | grep -E "cxa_throw|_ZNSo9_M_insert" | head
export TVK_SKIP_BUILD=1
source tools/device/prepare.sh x
export TVK_VALIDATION=0 TVK_WARN_FALLBACK=0
timeout 300 python3 tools/device/probe/ln05.py
