# latscope: the two commands a new machine needs.
#   make run    the main job (see README)
#   make test   every test, lints included (what CI runs)
# Every set-up step is idempotent: it does nothing when already done.

CARGO ?= cargo
WASM_TARGET := wasm32-unknown-unknown
PROFILER := target/release/profiler
NB201_ALL_CONV3 := |nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|

VENV := .venv
PYTHON := $(VENV)/bin/python

.PHONY: run test setup setup-python lint test-rust test-wasm

## Set-up: the Rust target for the browser module.
setup:
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)

## Set-up: onnx + onnxruntime from PyPI, for the cross-runtime checks of the
## exported ONNX files (tests skip, saying why, when they are missing).
setup-python:
	@$(PYTHON) -c 'import onnx, onnxruntime, numpy' 2>/dev/null || \
	  { python3 -m venv $(VENV) && $(PYTHON) -m pip install --quiet onnx onnxruntime numpy; }

## Main job (at this stage: the shipped datasets and one architecture's costs).
run: setup
	$(CARGO) build --release -p latscope-profiler
	$(PROFILER) data stats static/data/nb201_latency.csv.gz
	$(PROFILER) data stats static/data/fbnet_latency.csv.gz
	$(PROFILER) info --space nb201 '$(NB201_ALL_CONV3)'

lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust: setup setup-python
	LATSCOPE_PYTHON=$(CURDIR)/$(PYTHON) $(CARGO) test --workspace

test-wasm: setup
	$(CARGO) build --target $(WASM_TARGET) -p latscope-shared -p latscope-model -p latscope-web

test: lint test-rust test-wasm
