# Two commands on a fresh machine (Python 3.11 and make):
#   make run    install into .venv, migrate the embedded SQLite database, load the demo catalogue, serve on :8000
#   make test   install into .venv and run the whole suite (lint, types, layers, tests), the tests in
#               parallel: one pytest-xdist worker per CPU (at most 8). PYTEST_WORKERS=0 runs them in
#               one process, in order (for pdb, prints, -x); PYTEST_ARGS is passed on to pytest.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= auto

.PHONY: install run test lint typecheck layers pytest bench lock clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev]"
	touch $(STAMP)

run: install
	$(BIN)/bookshop db upgrade
	$(BIN)/bookshop seed-demo
	@$(BIN)/bookshop serve --host $(HOST) --port $(PORT) & server=$$!; \
	trap 'kill -TERM $$server 2>/dev/null; wait $$server' INT TERM; \
	if $(BIN)/bookshop wait-ready http://$(HOST):$(PORT)/health; then \
	  echo "Bookshop API is up: http://$(HOST):$(PORT)  (docs: http://$(HOST):$(PORT)/schema; Ctrl-C stops it)"; \
	else kill -TERM $$server; fi; \
	wait $$server

test: install lint typecheck pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

layers: install
	$(BIN)/lint-imports

# worksteal: a worker that runs out of tests takes some from one still busy, so a few slow tests
# (servers started in a subprocess) do not keep one worker running alone at the end.
pytest: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# How fast the shop is against a bare endpoint, one raw asyncpg query and FastAPI + SQLModel:
# PostgreSQL at 127.0.0.1:5432, wrk (see bench/README.md). Installs the `bench` extra (the peer's packages).
bench: $(BENCH_STAMP)
	PYTHONPATH=. $(BIN)/python bench/run.py $(BENCH_ARGS)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev,bench]"
	touch $(BENCH_STAMP)

# Regenerate the pins from pyproject.toml in a scratch environment.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade "pip>=24"
	.lock-venv/bin/python -m pip install --quiet -e ".[dev,bench]"
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e ' > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
