#!/usr/bin/env bash
# The driver's machine code of benchmark kernels on the device machine: builds and installs
# triton_vulkan (prepare.sh), runs tools/bench/$SASS_BENCH.py (default membound) with
# TVK_PIPELINE_DUMP, so that each Vulkan pipeline's cache data is written, and brings the data
# back as $OUT/pipelines.tar.gz with the CUDA backend's cubins (Triton's cache) beside it.
# The device machine has no zstd, so the disassembly happens here:
#   run(command="SASS_ONLY=gelu_bf16,transpose_i8 bash tools/device/run_sass.sh", carry=[".gl", ".debs", ".cmwhl"])
#   tar xzf <files_at>/pipelines.tar.gz -C /tmp/sass
#   .venv/bin/python tools/device/pipeline_sass.py /tmp/sass/vulkan --cuda /tmp/sass/cuda
# Extra arguments go to the benchmark.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/device/prepare.sh sass-build.log
D=$(mktemp -d)
mkdir -p "$D/vulkan"
only=()
[[ -n ${SASS_ONLY:-} ]] && only=(--only "$SASS_ONLY")
TVK_PIPELINE_DUMP="$D/vulkan" timeout "${SASS_TIMEOUT:-300}" python3 "tools/bench/${SASS_BENCH:-membound}.py" \
  "${only[@]}" "$@" 2>&1 | tee "$OUT/bench.log"
mkdir -p "$D/cuda"
(cd "$TRITON_CACHE_DIR" && find . -name '*.cubin' -exec cp --parents {} "$D/cuda/" \;)  # one folder per hash
tar -czf "$OUT/pipelines.tar.gz" -C "$D" vulkan cuda
ls "$D/vulkan" | wc -l
