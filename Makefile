# triton-vulkan: `make demo` and `make test` are the two set-up commands (README.md).
BUILD ?= build
PY := .venv/bin/python
JOBS ?= 2

.PHONY: all deps build demo test unit-test py-test clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
	@ninja -C $(BUILD) -j $(JOBS)

demo: build
	@bash scripts/demo.sh

unit-test: build
	@cd $(BUILD) && ctest --output-on-failure

py-test: build
	@$(PY) -m pytest -q -rxXs tests

test: unit-test py-test

clean:
	rm -rf $(BUILD)
