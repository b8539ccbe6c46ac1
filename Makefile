# triton-vulkan: `make demo` and `make test` are the two set-up commands (README.md).
BUILD ?= build
PY := .venv/bin/python
JOBS ?= 2

.PHONY: all deps build demo test unit-test py-test check-sanitizers clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=/usr/bin/python3 -DTVK_TORCH_PYTHON=$(CURDIR)/.venv/bin/python >/dev/null
	@ninja -C $(BUILD) -j $(JOBS)

demo: build
	@bash scripts/demo.sh

unit-test: build
	@cd $(BUILD) && ctest --output-on-failure

py-test: build
	@$(PY) -m pytest -q -rxXs tests

test: unit-test py-test

# ASan+UBSan build (build-asan) of the CLI, fuzzer and unit tests; runs them, the fuzz
# regressions and a short fuzz pass (scripts/check-sanitizers.sh).
check-sanitizers: deps
	@bash scripts/check-sanitizers.sh

clean:
	rm -rf $(BUILD) build-asan
