#!/usr/bin/env bash
# `make check-sanitizers`: builds the CLI, the fuzzer and the unit tests with AddressSanitizer +
# UndefinedBehaviorSanitizer (no recovery: the first report fails) into build-asan, then runs
# the unit tests and a short deterministic fuzz pass (ctest: tvk_fuzz_pass, seed 1), and the
# fuzz regression inputs and the CLI's error paths through its `tvk` (pytest tests/fuzz
# tests/cli). Leak checks are off: Mesa's
# lavapipe (the runtime tests' Vulkan device) leaks.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${ASAN_BUILD:-build-asan}
JOBS=${JOBS:-2}
FUZZ_ITERATIONS=${FUZZ_ITERATIONS:-3000}
start=$(date +%s)

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
  -DTVK_SANITIZE=ON -DTVK_PYTHON=OFF -DTVK_FUZZ_ITERATIONS="$FUZZ_ITERATIONS" >/dev/null
ninja -C "$BUILD" -j "$JOBS"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "== unit tests and fuzz pass (ASan+UBSan)"
(cd "$BUILD" && ctest --output-on-failure)

echo "== fuzz regressions and CLI errors through $BUILD/tvk (ASan+UBSan)"
TVK_BUILD="$BUILD" .venv/bin/python -m pytest -q tests/fuzz tests/cli

echo "check-sanitizers: passed in $(( $(date +%s) - start )) s"
