# latscope: the two commands a new machine needs.
#   make run    the main job (see README)
#   make test   every test, lints included (what CI runs)
# Every set-up step is idempotent: it does nothing when already done.

CARGO ?= cargo
WASM_TARGET := wasm32-unknown-unknown

VENV := .venv
PYTHON := $(VENV)/bin/python

WEB_TOOLS := $(CURDIR)/web/node_modules/.bin
TRUNK_VERSION := 0.21
WASM_BINDGEN_VERSION := 0.2.130
PORT ?= 8080
# apt needs root; use sudo when we are not.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup setup-python setup-web setup-browser web package lint test-rust test-wasm test-browser gpu-bundle add-device-run

## Set-up: the Rust target for the browser module.
setup:
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)

## Set-up: onnx + onnxruntime from PyPI, for the cross-runtime checks of the
## exported ONNX files, and NVIDIA's NVRTC wheel, so the CUDA backend's
## kernels are compiled by a test on machines without a GPU. A test whose
## dependency is missing skips, saying why, under plain cargo test; under
## make test (LATSCOPE_REQUIRE_DEPS=1) it fails naming what is missing.
NVRTC_VERSION := 13.0.88
NVRTC_LIB = $$(ls -d $(CURDIR)/$(VENV)/lib/python3*/site-packages/nvidia/cu13/lib 2>/dev/null)
setup-python:
	@$(PYTHON) -c 'import onnx, onnxruntime, numpy' 2>/dev/null || \
	  { python3 -m venv $(VENV) && $(PYTHON) -m pip install --quiet onnx onnxruntime numpy; }
	@ls $(VENV)/lib/python3*/site-packages/nvidia/cu13/lib/libnvrtc.so.13 >/dev/null 2>&1 || \
	  $(PYTHON) -m pip install --quiet nvidia-cuda-nvrtc==$(NVRTC_VERSION)

## Set-up: the tools that build the explorer page. trunk is pinned to 0.21
## (0.22 needs a newer rustc than 1.95); wasm-bindgen-cli must equal the
## wasm-bindgen crate (its lock file pins a yanked crate, hence no --locked);
## wasm-opt comes from npm's binaryen and the page's bundler, esbuild, from
## npm too (web/package.json). cargo fetch lets trunk build with --offline.
setup-web: setup
	@trunk --version 2>/dev/null | grep -q '^trunk $(TRUNK_VERSION)\.' || \
	  $(CARGO) install trunk --version '~$(TRUNK_VERSION)' --locked
	@wasm-bindgen --version 2>/dev/null | grep -qx 'wasm-bindgen $(WASM_BINDGEN_VERSION)' || \
	  $(CARGO) install wasm-bindgen-cli --version '$(WASM_BINDGEN_VERSION)'
	@test -x $(WEB_TOOLS)/wasm-opt -a -x $(WEB_TOOLS)/esbuild || (cd web && npm ci --no-audit --no-fund)
	@$(CARGO) fetch --quiet

## Set-up: Debian's Chromium and playwright-core (which drives it; no
## browser download) for the end-to-end test of the page.
setup-browser:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }
	@test -d tests/browser/node_modules/playwright-core || (cd tests/browser && npm ci --no-audit --no-fund)

## The explorer page: dist/ (a static site) from index.html, web/ and static/.
## Rebuilt only when something trunk reads changed (the stamp dist/.built is
## older than one of them): wasm-opt alone re-optimises an unchanged module
## for minutes, so a second `make run` with no change serves at once.
WEB_INPUTS := $(shell git ls-files --cached --others --exclude-standard -- \
  index.html Trunk.toml Cargo.toml Cargo.lock .cargo web/src web/js web/Cargo.toml web/lite \
  web/package.json web/package-lock.json shared/src shared/Cargo.toml model/src model/Cargo.toml \
  static/css static/predictors static/data 2>/dev/null)
# Outside a git checkout the inputs cannot be listed: always rebuild then.
WEB_INPUTS := $(or $(WEB_INPUTS),always-rebuild)
.PHONY: always-rebuild
web: setup-web dist/.built

dist/.built: $(WEB_INPUTS) | setup-web
	PATH="$(WEB_TOOLS):$$PATH" trunk build --release --offline
	@touch $@

## Main job: build the explorer with the shipped predictors and serve it on
## http://127.0.0.1:$(PORT)/ (dist/ is a static site: any web server will do).
run: web
	@echo "latscope explorer: http://127.0.0.1:$(PORT)/  (Ctrl-C stops)"
	python3 -m http.server $(PORT) --bind 127.0.0.1 --directory dist

lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	# The code the page's main-thread module builds: model and web without tract.
	$(CARGO) clippy -p latscope-model -p latscope-web --no-default-features --lib -- -D warnings

test-rust: setup setup-python
	LATSCOPE_PYTHON=$(CURDIR)/$(PYTHON) LATSCOPE_CUDA_LIB_DIRS=$(NVRTC_LIB) LATSCOPE_REQUIRE_DEPS=1 \
	  $(CARGO) test --workspace

## shared and model must keep building for wasm32 on their own too, and
## the page's main-thread module (web/lite) without tract.
test-wasm: setup
	$(CARGO) build --target $(WASM_TARGET) -p latscope-shared -p latscope-model
	$(CARGO) build --target $(WASM_TARGET) -p latscope-web-lite

## The npm package of the wasm module (both builds, types, shipped
## predictors): target/npm/latscope-web-<version>.tgz.
package: web
	node web/npm/pack.mjs

## The page in headless Chromium against the native profiler; it also
## installs the npm package. The release profiler: it times this machine's
## CPU as the device the test adds, and a debug build's timings are not a
## device.
test-browser: web package setup-browser
	$(CARGO) build --release -p latscope-profiler
	cd tests/browser && PROFILER=$(CURDIR)/target/release/profiler \
	  NPM_PACKAGE=$$(ls -t $(CURDIR)/target/npm/latscope-web-*.tgz | head -1) node e2e.mjs

test: lint test-rust test-wasm test-browser

## The README's add-a-device flow on this machine's CPU with the release
## profiler (suggest 10, measure them, adapt, check on 120 other cells):
## static/results/add_device_this_cpu.txt.
add-device-run:
	$(CARGO) build --release -p latscope-profiler
	bash tests/add_device/flow.sh

## For a GPU machine without Rust: the release profiler and the measurement
## library's release test binary, stripped and packed into
## target/gpu-bundle.tar.gz, which tests/gpu/device_checks.sh unpacks there.
gpu-bundle:
	$(CARGO) build --release -p latscope-profiler
	$(CARGO) test --release -p latscope-profiler --lib --no-run --message-format=json \
	  | python3 -c 'import sys, json; exes = [m["executable"] for m in map(json.loads, sys.stdin) if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]]; print(exes[-1])' \
	  | xargs -I{} cp {} target/release/profiler-tests
	rm -rf target/gpu-bundle && mkdir -p target/gpu-bundle/release
	strip -o target/gpu-bundle/release/profiler target/release/profiler
	strip -o target/gpu-bundle/release/profiler-tests target/release/profiler-tests
	tar czf target/gpu-bundle.tar.gz -C target/gpu-bundle release
	@ls -la target/gpu-bundle/release target/gpu-bundle.tar.gz
