#!/usr/bin/env bash
# `make demo`: show the default Vulkan device, then compile and run kernels on it and print
# what they computed.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== Vulkan devices =="
build/tvk devices
echo
if [[ -f examples/demo.py ]] && PYTHONPATH=python .venv/bin/python -c "import triton_vulkan" 2>/dev/null; then
  echo "== @triton.jit kernels on the default Vulkan device =="
  PYTHONPATH=python .venv/bin/python examples/demo.py
  echo
fi
echo "== conformance case 'softmax' (TTIR captured from Triton 3.6 on CUDA) =="
build/tvk run tests/conformance/cases/softmax --show 6
