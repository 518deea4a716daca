# Everything a newcomer needs: `make demo` and `make test`. Each target sets up .venv itself.
# While editing: `make check` (lint and the fast tests, well under a minute); CI runs `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
PYTEST_WORKERS ?= auto

.PHONY: demo test test-full check bench lint docs setup clean

setup: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(VENV)/bin/pipedrive-sync demo

test: $(INSTALLED)
	$(PY) -m pytest -n $(PYTEST_WORKERS) -q

test-full: $(INSTALLED)
	PIPEDRIVE_SYNC_FULL_TESTS=1 $(PY) -m pytest -n $(PYTEST_WORKERS) -q

# Rewrites BENCHMARKS.md, then appends Postgres next to DuckDB (needs a PostgreSQL server:
# scripts/install_postgres.sh installs one on Debian).
bench: $(INSTALLED)
	$(PY) -m bench
	bash scripts/install_postgres.sh
	printf '\n## Postgres next to DuckDB (`python -m bench.postgres`)\n\n' >> BENCHMARKS.md
	$(PY) -m bench.postgres --deals 20000 >> BENCHMARKS.md

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The fast loop for every edit: lint, then every test not marked slow (see tests/conftest.py).
# One process: on a busy machine two xdist workers cost more (each collects everything) than they save.
check: lint
	$(PY) -m pytest -q -p no:xdist -m "not slow"

# docs/cli.md is generated from the click commands (tests/project/test_cli_docs.py checks it).
docs: $(INSTALLED)
	$(PY) -m pipelines.cli_reference

clean:
	rm -rf $(VENV) .pytest_cache *.duckdb
