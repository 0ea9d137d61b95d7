# One Makefile: CI and any pre-commit hook call these same targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall when pyproject changes or a module is added/removed (strict editable installs link
# the files that existed at install time).
SOURCES := $(shell find llmops tracing eval guardrails serving -name '*.py' -o -name '*.md' -o -name '*.yaml' -o -name '*.json' -o -name '*.jsonl' -o -name '*.html' -o -name '*.css' 2>/dev/null | sort | cksum | cut -d' ' -f1)
STAMP := $(VENV)/.installed-$(SOURCES)

.PHONY: setup demo test test-fast lint format typecheck bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements/ner-model.txt requirements/torch-cpu.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --no-deps --require-hashes -r requirements/ner-model.txt
	$(BIN)/python -m pip install -q -r requirements/torch-cpu.txt
	$(BIN)/python -m pip install -q -e ".[dev,registry,serving,guardrails,eval,ui,ray]" --config-settings editable_mode=strict
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

demo: setup
	$(BIN)/llmops quickstart

test: setup
	$(BIN)/pytest -q

test-fast: setup
	$(BIN)/pytest -q tests/unit

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: setup
	$(BIN)/mypy build/__editable__.llmops-*/llmops

bench: setup
	$(BIN)/python -m pip install -q -e ".[dev,registry,serving,guardrails,eval,ui,ray,bench]" --config-settings editable_mode=strict
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build .llmops .pytest_cache .mypy_cache .ruff_cache
