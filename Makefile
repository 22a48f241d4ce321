# newsrag: `make serve` and `make test` are all a user needs; both install first when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install check serve test test-fast clean

install: $(STAMP)

# torch first, from the CPU build: otherwise sentence-transformers pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install torch==2.13.0
	$(BIN)/python -m pip install -e '.[test]'
	$(BIN)/newsrag prepare
	touch $(STAMP)

# Debian's Chromium for the browser tests (never a downloaded browser build).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends chromium

serve: install
	$(BIN)/newsrag ingest corpus/
	$(BIN)/newsrag serve

# Lint, format and types first (settings in pyproject.toml): seconds, and they catch what tests miss.
check: install
	$(BIN)/ruff check index rag ui tests
	$(BIN)/ruff format --check index rag ui tests
	$(BIN)/mypy

test: install $(CHROMIUM) check
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow and not e2e"

clean:
	rm -rf $(VENV) .newsrag .pytest_cache .mypy_cache .ruff_cache test-artifacts
