#!/usr/bin/env bash
# Installs what the build and the tests need, only what is missing:
# Debian packages (apt) and pinned PyPI packages into the project's virtual environment .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(
  build-essential cmake ninja-build pkg-config   # the C++ build
  libvulkan-dev mesa-vulkan-drivers              # Vulkan loader/headers, lavapipe (CPU device)
  vulkan-validationlayers vulkan-tools           # Khronos validation layer (tests), vulkaninfo
  spirv-tools spirv-headers spirv-cross glslang-tools  # validate/disassemble, MSL check, GLSL tests
  libgtest-dev nlohmann-json3-dev pybind11-dev   # unit tests, case.json, Python binding
  python3 python3-dev python3-venv python3-numpy python3-torch python3-pip  # Python package + tests
)
missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python: Debian's python3 with system site packages (numpy, torch 1.13 CPU) + pinned PyPI.
if [[ ! -x .venv/bin/python ]]; then
  /usr/bin/python3 -m venv --system-site-packages .venv
fi
.venv/bin/python - <<'PY' || .venv/bin/pip install -q --no-cache-dir -r requirements.txt
import importlib.metadata as m, sys
def norm(v):  # PEP 440: 1.4.335 == 1.4.335.0
    p = v.split(".")
    while len(p) > 1 and p[-1] == "0": p.pop()
    return p
want = dict(l.split("#")[0].strip().split("==") for l in open("requirements.txt") if "==" in l)
try:
    sys.exit(0 if all(norm(m.version(k)) == norm(v) for k, v in want.items()) else 1)
except m.PackageNotFoundError:
    sys.exit(1)
PY
