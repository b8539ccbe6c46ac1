# Sourced by the tools/device run_* scripts from the repository root: $OUT (default /tmp/out),
# unbuffered Python, the build and install (run_h100.sh with TVK_ONLY_BUILD=1, logged to
# $OUT/$1; TVK_SKIP_BUILD=1 skips it on a machine still warm from an earlier call), the Vulkan
# loader environment, and a fresh Triton cache.
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
if [[ -z "${TVK_SKIP_BUILD:-}" ]]; then
  TVK_ONLY_BUILD=1 bash tools/device/run_h100.sh > "$OUT/$1" 2>&1 || { tail -40 "$OUT/$1"; exit 1; }
fi
source tools/device/device_env.sh
export TRITON_CACHE_DIR=$(mktemp -d)
