# Sourced by the tools/device scripts after run_h100.sh has unpacked the carried packages into
# /opt/tvkdeps: the Vulkan loader's library path and NVIDIA's headless (EGL) ICD manifest.
DEPS=/opt/tvkdeps
export LD_LIBRARY_PATH="$DEPS/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export VK_ICD_FILENAMES="$DEPS/nvidia_egl_icd.json" VK_DRIVER_FILES="$DEPS/nvidia_egl_icd.json"
