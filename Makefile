# Kaohe: two commands do everything on a fresh machine.
#   make demo   environment + assets + SQLite under var/ + demo district, served on http://127.0.0.1:8000
#   make test   the same environment plus test tools, then lint, types, Django's checks and the whole suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: demo test bench mutants lint types checks lock env env-dev assets clean system-deps

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Runtime environment (what `make demo` needs).
$(VENV)/.installed-main: $(UV) requirements/main.lock pyproject.toml
	$(UV) pip install --quiet --python $(BIN)/python -r requirements/main.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	rm -f $(VENV)/.installed-dev
	touch $@

# Runtime plus test tools (what `make test` needs).
$(VENV)/.installed-dev: $(UV) requirements/dev.lock pyproject.toml
	$(UV) pip install --quiet --python $(BIN)/python -r requirements/dev.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	rm -f $(VENV)/.installed-main
	touch $@

node_modules/.installed: package.json package-lock.json scripts/vendor_assets.py
	npm ci --no-audit --no-fund --loglevel=error
	$(PYTHON) scripts/vendor_assets.py
	touch $@

env: $(VENV)/.installed-main node_modules/.installed
env-dev: $(VENV)/.installed-dev node_modules/.installed

assets:
	$(BIN)/kaohe collectstatic --noinput --verbosity 0

demo: env assets
	$(BIN)/kaohe migrate --verbosity 0
	$(BIN)/kaohe demo
	$(BIN)/kaohe serve --host 127.0.0.1 --port 8000

lint: env-dev
	$(BIN)/ruff check kaohe benchmarks
	$(BIN)/ruff format --check kaohe benchmarks

types: env-dev
	$(BIN)/mypy kaohe benchmarks

system-deps:
	scripts/system_deps.sh

# Django's own checks: models and migrations agree, and the system check framework finds nothing.
checks: env-dev
	$(BIN)/kaohe makemigrations --check --dry-run --verbosity 1
	$(BIN)/kaohe check --fail-level WARNING

# Two workers (pytest-xdist), a test file each at a time: each has its own test database and demo load.
TEST_WORKERS ?= 2

test: env-dev system-deps lint types checks
	scripts/postgres_up.sh
	KAOHE_TEST_DB=sqlite $(BIN)/pytest -m smoke -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile

bench: env-dev
	$(BIN)/python benchmarks/run.py $(BENCH)

# A bounded mutation survey of the scoring engine (not part of `make test`); writes its figures to docs/benchmarks.md.
mutants: env-dev
	$(BIN)/python benchmarks/mutants.py $(MUTANTS)

# Regenerate the lock files after editing pyproject.toml.
lock: $(UV)
	$(UV) pip compile --quiet pyproject.toml -o requirements/main.lock --python-version 3.11
	$(UV) pip compile --quiet pyproject.toml --extra dev -o requirements/dev.lock --python-version 3.11

clean:
	rm -rf $(VENV) node_modules var/static
