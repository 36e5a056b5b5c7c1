# KI-Werkstatt Assistent — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
KIW_DATA_DIR ?= ./.kiw-data
export KIW_DATA_DIR

.PHONY: install run test lint typecheck pytest sample playground bench clean

install: $(STAMP) $(NODE_STAMP)

# Re-installs only when pyproject.toml changed; a second `make install` is a no-op.
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Node tools: the Microsoft 365 Agents Playground (make playground) and the card schema for tests.
$(NODE_STAMP): package.json
	@if command -v npm >/dev/null; then npm install --no-audit --no-fund --loglevel=error && touch $@; \
	 else echo "npm not found: 'make playground' will not work"; fi

# Indexes the project's own sample corpus (idempotent: unchanged files are skipped).
sample: install
	$(BIN)/kiw index samples

run: install sample
	$(BIN)/kiw serve --host 127.0.0.1 --port 3978

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

# Talk to the running bot (`make run` in another terminal) as Teams would.
# Opens on http://localhost:56150; telemetry off (nothing leaves the machine).
playground: install
	npx --no-install agentsplayground start -e http://127.0.0.1:3978/api/messages -c msteams --disable-telemetry

bench: install
	$(BIN)/python bench/turns.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/index.py
	$(BIN)/python bench/directory.py

clean:
	rm -rf $(VENV) node_modules .kiw-data .pytest_cache .mypy_cache .ruff_cache
