# OrderGate: the two commands a newcomer needs are `make run` and `make test`.
# Both create .venv (Python 3.11) and install the pinned dependencies when missing.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit install clean tenant

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Start the local stack: AWS emulator, API on 127.0.0.1:8000, stream worker, demo tenant.
run: $(STAMP)
	$(PY) -m chalicelib.local

## Lint, type-check and run every test layer.
test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check .

typecheck: $(STAMP)
	$(PY) -m mypy

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

## Operator command: make tenant SLUG=acme NAME="Acme Ltd" ADMIN=alice EMAIL=alice@acme.example
## (asks for the password, or reads ORDERGATE_ADMIN_PASSWORD; the table comes from the environment)
tenant: $(STAMP)
	$(PY) -m chalicelib.cli create-tenant --slug "$(SLUG)" --name "$(NAME)" --admin "$(ADMIN)" --email "$(EMAIL)"

clean:
	rm -rf $(VENV) .local .pytest_cache .mypy_cache .ruff_cache build
