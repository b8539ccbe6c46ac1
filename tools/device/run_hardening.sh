#!/usr/bin/env bash
# Hardening checks on the device machine (many CPU cores + an NVIDIA GPU), in one call:
#   1. builds and installs triton_vulkan (run_h100.sh with TVK_ONLY_BUILD=1);
#   2. builds tvk_fuzz with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan-device) and
#      starts a fuzz campaign: FUZZ_PROCS processes (default: cores - 2), FUZZ_SECONDS each,
#      different seeds, crash inputs under $OUT/fuzz-crashes;
#   3. meanwhile, on the NVIDIA Vulkan device: the int64 index tests, the loop and hardening
#      tests that run there, and test_core.py's test_trans_4d when the fetched file is carried
#      in .upstream/language/test_core.py (see tools/upstream/README.md);
#   4. waits for the campaign and sums the executions, failures, hangs and invalid SPIR-V.
# Run from the repository root, carrying .gl, .debs, .cmwhl (and .upstream):
#   run(command="bash tools/device/run_hardening.sh", carry=[".gl", ".debs", ".cmwhl", ".upstream"])
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
FUZZ_SECONDS=${FUZZ_SECONDS:-300}
FUZZ_PROCS=${FUZZ_PROCS:-$(( $(nproc) - 2 ))}

echo "== build + install ($(date +%T))"
TVK_ONLY_BUILD=1 bash tools/device/run_h100.sh || exit 1
source tools/device/device_env.sh

echo "== sanitizer build of tvk_fuzz ($(date +%T))"
cmake -S . -B build-asan-device -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
  -DTVK_SANITIZE=ON -DTVK_PYTHON=OFF -DTVK_SPIRV_PREFIX="$DEPS/cmeel/cmeel.prefix" \
  -DVulkan_INCLUDE_DIR="$DEPS/usr/include" -DVulkan_LIBRARY="$DEPS/usr/lib/x86_64-linux-gnu/libvulkan.so" >/dev/null
ninja -C build-asan-device -j "$(nproc)" tvk_fuzz >/dev/null || { echo "tvk_fuzz build failed"; exit 1; }

echo "== fuzz campaign: $FUZZ_PROCS processes x ${FUZZ_SECONDS}s ($(date +%T))"
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p "$OUT/fuzz-crashes"
pids=()
for i in $(seq 1 "$FUZZ_PROCS"); do
  build-asan-device/tvk_fuzz --seed $((1000 + i)) --seconds "$FUZZ_SECONDS" \
    --crash-dir "$OUT/fuzz-crashes" --quiet > "/tmp/fuzz_$i.log" 2>&1 &
  pids+=($!)
done

echo "== NVIDIA Vulkan: int64 indices, loops, hardening ($(date +%T))"
PYTEST="python3 -m pytest -q -p no:cacheprovider"
TVK_VALIDATION=0 TRITON_CACHE_DIR=$(mktemp -d) $PYTEST tests/python/test_int64_index.py \
  tests/python/test_loop_limit.py $(ls tests/python/test_hardening*.py tests/python/test_threads*.py 2>/dev/null) 2>&1 | tail -25
if [[ -f .upstream/language/test_core.py ]]; then
  echo "== test_core.py::test_trans_4d on NVIDIA Vulkan ($(date +%T))"
  (cd .upstream && PYTHONPATH="$ROOT/tools/upstream" TRITON_CACHE_DIR=$(mktemp -d) $PYTEST -p tvk_upstream_plugin \
     --rootdir . -o addopts= language/test_core.py -k "test_trans_4d or test_bin_op" 2>&1 | tail -5)
fi

echo "== waiting for the fuzz campaign ($(date +%T))"
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
cat /tmp/fuzz_*.log > "$OUT/fuzz_log.txt"
grep -h "^fuzz:" /tmp/fuzz_*.log
python3 - <<'EOF'
import glob, re
tot = {}
for f in glob.glob("/tmp/fuzz_*.log"):
    for line in open(f):
        if line.startswith("fuzz:"):
            for k, v in re.findall(r"(\w+)=([\d.]+)", line):
                if k == "seed": continue
                tot[k] = tot.get(k, 0) + float(v)
print("campaign total:", " ".join(f"{k}={v:g}" for k, v in tot.items()))
EOF
ls "$OUT/fuzz-crashes" | head
echo "fuzz processes exit status: $rc"
