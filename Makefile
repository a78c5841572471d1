# Conduit three ways: one API in Flask, Django and FastAPI, one contract suite.
# Only python3 (3.11+) and make are needed: the first target that needs Python builds .venv from
# requirements.lock; later runs reuse it until the lock changes.

.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONPATH := $(CURDIR)

FLASK_PORT ?= 8001
DJANGO_PORT ?= 8002
FASTAPI_PORT ?= 8003
DB_DIR := $(CURDIR)/var

.PHONY: help install run-flask run-django run-fastapi serve-flask serve-django serve-fastapi test test-flask test-django test-fastapi \
        test-contract test-unit test-faults soak test-official test-postgres test-browser decision-shots \
        fuzz fuzz-quick compare report \
        bench profile parity faithful migration-flask migration-fastapi lint typecheck format clean

help: ## Show this help
	@echo "Conduit three ways. Targets:"
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'
	@echo "Variables: PORT=, DATABASE_URL= (e.g. sqlite:////abs/path.sqlite3 or postgresql://user@host/db), SEED=0"

$(STAMP): requirements.lock
	@test -x $(VENV)/bin/python || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "installing locked dependencies into $(VENV) (about 30 s the first time)"
	$(VENV)/bin/python -m pip install --disable-pip-version-check --progress-bar on --require-hashes --no-deps -r requirements.lock
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the locked dependencies

# The default SQLite databases live here; the apps never create it (`make clean` removes it).
$(DB_DIR):
	mkdir -p $@

# The HTTP layer of the FastAPI development server and of all three production servers (granian):
# a request head (request line and headers) over 16 KB gets 431, a client that has not sent its
# headers within HEADER_TIMEOUT_MS is disconnected. WebSockets are off: the API has none. Each
# app's granian-logging.json makes granian's own lines (start, worker respawn, stop) JSON records
# in the app's format.
HEADER_TIMEOUT_MS ?= 10000
GRANIAN_HTTP = --http1-buffer-size 16384 --http1-header-read-timeout $(HEADER_TIMEOUT_MS) --no-ws

run-flask: PORT ?= $(FLASK_PORT)
run-flask: DATABASE_URL ?= sqlite:///$(DB_DIR)/flask.sqlite3
run-flask: $(STAMP) | $(DB_DIR) ## Run the Flask app (default port 8001)
	@echo "Flask Conduit: http://127.0.0.1:$(PORT)/ (API at /api, docs at /docs, admin at /admin/; database: $(DATABASE_URL))"
	DATABASE_URL='$(DATABASE_URL)' $(BIN)/flask --app flask_app db upgrade
	DATABASE_URL='$(DATABASE_URL)' $(BIN)/flask --app flask_app seed
	DATABASE_URL='$(DATABASE_URL)' $(BIN)/flask --app flask_app run --host 127.0.0.1 --port $(PORT)

run-django: PORT ?= $(DJANGO_PORT)
run-django: DATABASE_URL ?= sqlite:///$(DB_DIR)/django.sqlite3
run-django: $(STAMP) | $(DB_DIR) ## Run the Django app (default port 8002)
	@echo "Django Conduit: http://127.0.0.1:$(PORT)/ (API at /api, docs at /docs, admin at /admin/; database: $(DATABASE_URL))"
	DATABASE_URL='$(DATABASE_URL)' $(BIN)/python django_app/manage.py migrate --noinput
	DATABASE_URL='$(DATABASE_URL)' $(BIN)/python django_app/manage.py seed
	DATABASE_URL='$(DATABASE_URL)' $(BIN)/python django_app/manage.py runserver 127.0.0.1:$(PORT)

run-fastapi: PORT ?= $(FASTAPI_PORT)
run-fastapi: DATABASE_URL ?= sqlite:///$(DB_DIR)/fastapi.sqlite3
run-fastapi: $(STAMP) | $(DB_DIR) ## Run the FastAPI app (default port 8003)
	@echo "FastAPI Conduit: http://127.0.0.1:$(PORT)/ (API at /api, docs at /docs, admin at /admin/; database: $(DATABASE_URL))"
	DATABASE_URL='$(DATABASE_URL)' $(BIN)/python -m fastapi_app.cli migrate
	DATABASE_URL='$(DATABASE_URL)' $(BIN)/python -m fastapi_app.cli seed
	DATABASE_URL='$(DATABASE_URL)' $(BIN)/granian --interface asgi fastapi_app.main:app \
	  --host 127.0.0.1 --port $(PORT) $(GRANIAN_HTTP) --log-config fastapi_app/granian-logging.json

# Production-style servers: APP_ENV=production (DEBUG off, the default SECRET_KEY refused),
# WEB_CONCURRENCY workers (default: one per core). No server access log (granian's default):
# each app logs one JSON record per request (LOG_LEVEL, LOG_FORMAT).
CORES := $(shell nproc 2>/dev/null || echo 2)
HOST ?= 127.0.0.1

# granian for all three apps, chosen for its HTTP layer (see "Production server" in README.md):
# the limits of GRANIAN_HTTP, and clients that are still sending their headers never occupy a
# worker thread. --respawn-failed-workers replaces a worker that died (the OOM killer, a crash);
# SIGTERM drains in-flight requests first. WSGI apps run 4 threads per worker (--blocking-threads).
GRANIAN := $(BIN)/granian --host $(HOST) --workers $${WEB_CONCURRENCY:-$(CORES)} $(GRANIAN_HTTP) \
  --respawn-failed-workers --respawn-interval 1 --workers-kill-timeout 30

serve-flask: PORT ?= $(FLASK_PORT)
serve-flask: DATABASE_URL ?= sqlite:///$(DB_DIR)/flask.sqlite3
serve-flask: $(STAMP) | $(DB_DIR) ## Flask under granian (WSGI), production settings (needs SECRET_KEY)
	DATABASE_URL='$(DATABASE_URL)' APP_ENV=production $(BIN)/flask --app flask_app db upgrade
	DATABASE_URL='$(DATABASE_URL)' APP_ENV=production $(GRANIAN) --port $(PORT) \
	  --interface wsgi --blocking-threads 4 --log-config flask_app/granian-logging.json \
	  --factory flask_app:create_app

serve-django: PORT ?= $(DJANGO_PORT)
serve-django: DATABASE_URL ?= sqlite:///$(DB_DIR)/django.sqlite3
serve-django: $(STAMP) | $(DB_DIR) ## Django under granian (WSGI), production settings (needs SECRET_KEY)
	DATABASE_URL='$(DATABASE_URL)' APP_ENV=production $(BIN)/python django_app/manage.py migrate --noinput
	DATABASE_URL='$(DATABASE_URL)' APP_ENV=production $(GRANIAN) --port $(PORT) \
	  --interface wsgi --blocking-threads 4 --log-config django_app/granian-logging.json \
	  django_app.wsgi:application

serve-fastapi: PORT ?= $(FASTAPI_PORT)
serve-fastapi: DATABASE_URL ?= sqlite:///$(DB_DIR)/fastapi.sqlite3
serve-fastapi: $(STAMP) | $(DB_DIR) ## FastAPI under granian (ASGI), production settings (needs SECRET_KEY)
	DATABASE_URL='$(DATABASE_URL)' APP_ENV=production $(BIN)/python -m fastapi_app.cli migrate
	DATABASE_URL='$(DATABASE_URL)' APP_ENV=production $(GRANIAN) --port $(PORT) \
	  --interface asgi --log-config fastapi_app/granian-logging.json fastapi_app.main:app

test: test-unit test-contract fuzz-quick ## Every test: per-app unit tests, the contract suite on all three, the bounded fuzz budget

test-contract: $(STAMP) ## The contract suite against all three live servers
	$(BIN)/pytest tests $(PYTEST_ARGS)

test-flask: $(STAMP) ## The contract suite against Flask only
	$(BIN)/pytest tests --impl flask $(PYTEST_ARGS)

test-django: $(STAMP) ## The contract suite against Django only
	$(BIN)/pytest tests --impl django $(PYTEST_ARGS)

test-fastapi: $(STAMP) ## The contract suite against FastAPI only
	$(BIN)/pytest tests --impl fastapi $(PYTEST_ARGS)

test-postgres: $(STAMP) ## Migrations checks and the contract suite on PostgreSQL (POSTGRES_ADMIN_URL)
	$(BIN)/pytest flask_app/tests fastapi_app/tests -q -m postgres
	LOG_LEVEL=WARNING $(BIN)/python django_app/manage.py test django_app.conduit --verbosity 1 --tag postgres
	$(BIN)/pytest tests --database postgres $(PYTEST_ARGS)

# Django's test runner does not capture output as pytest does: at LOG_LEVEL=WARNING its report is
# not buried under a request record per test request (test_logs.py raises the level it needs).
test-unit: $(STAMP) ## Each app's framework-native tests
	$(BIN)/pytest flask_app/tests -q -m "not postgres"
	LOG_LEVEL=WARNING $(BIN)/python django_app/manage.py test django_app.conduit --verbosity 1 --exclude-tag postgres
	$(BIN)/pytest fastapi_app/tests -q -m "not postgres"

test-faults: $(STAMP) ## Production servers under SIGTERM, SIGKILL of a worker, a PostgreSQL restart, oversized heads and stalled clients
	$(BIN)/pytest tests/faults -m faults -s -q $(PYTEST_ARGS)

soak: SOAK_ARGS ?= --seconds 300 --connections 64
soak: $(STAMP) ## 5 minutes of mixed reads and writes at 64 connections per app on PostgreSQL (build/soak.json)
	$(BIN)/python -m tests.faults.soak $(SOAK_ARGS)

# Schemathesis against the three live apps, without a token and with one (tests/fuzz/; settings
# in tests/fuzz/schemathesis.toml). fuzz-quick is the bounded budget, part of `make test`: its six
# runs (three apps, two identities) share FUZZ_WORKERS pytest-xdist workers. fuzz raises the
# budget and prints Schemathesis's output as it goes. FUZZ_ARGS goes to every `schemathesis run`,
# e.g. FUZZ_ARGS="--seed 7 -n 300". Results: build/fuzz.json, and build/fuzz/<app>-<identity>/
# (output with a curl command per failure, reports).
FUZZ_WORKERS ?= 3
fuzz-quick: $(STAMP) ## Fuzz the three apps with Schemathesis, the bounded budget (build/fuzz.json)
	$(BIN)/pytest tests/fuzz -m fuzz -q -n $(FUZZ_WORKERS) $(PYTEST_ARGS)

fuzz: FUZZ_ARGS ?= --max-examples 100
fuzz: $(STAMP) ## Fuzz the three apps longer; FUZZ_ARGS="--max-examples 300 --seed 7"
	FUZZ_ARGS='$(FUZZ_ARGS)' $(BIN)/pytest tests/fuzz -m fuzz -s -q $(PYTEST_ARGS)

test-official: $(STAMP) ## The upstream RealWorld suite (../shared/realworld) against each app, twice
	$(BIN)/python -m tools.official

test-browser: $(STAMP) ## Headless Chromium drives each app: CORS, /docs Try it out, /redoc, the admin (build/browser/)
	$(BIN)/python -m tools.browser_check

decision-shots: $(STAMP) ## Headless Chromium screenshots of the decision page, desktop and phone (build/decision-*.png)
	$(BIN)/python -m tools.decision_shots

compare: $(STAMP) ## Side by side: OP=<operationId> prints one operation; alone, writes build/compare/
	$(BIN)/python -m tools.compare $(if $(OP),--op $(OP))

bench: $(STAMP) ## wrk against the apps and a raw-SQL reference (~35 min); BENCH_ARGS=--quick (under 4 min)
	$(BIN)/python -m tools.bench $(BENCH_ARGS)

profile: $(STAMP) ## Where each app spends a GetArticles request (ORM, serializer, framework): build/profile.md
	$(BIN)/python -m tools.bench.profile $(PROFILE_ARGS)

report: $(STAMP) ## Regenerate README's results and comparison tables from build/*.json and the code
	$(BIN)/python -m tools.report

faithful: $(STAMP) ## How each app's generated OpenAPI document differs from the spec, by kind
	$(BIN)/python -m tools.faithful

parity: $(STAMP) ## How alike the Flask and FastAPI services.py/models.py are, plumbing set aside
	$(BIN)/python -m tools.parity

# A new migration is autogenerated from the models against a scratch SQLite database that the
# existing migrations bring to head; it is numbered after the last one (0003_<message>.py).
MIGRATION_DB := $(DB_DIR)/migration-scratch.sqlite3
next_revision = $$(printf '%04d' $$(( $$(ls $(1)/migrations/versions/[0-9]*_*.py | wc -l) + 1 )))

migration-flask: $(STAMP) ## New Flask migration from the models: MESSAGE="what changes"
	@test -n "$(MESSAGE)" || { echo 'usage: make migration-flask MESSAGE="what changes"'; exit 2; }
	rm -f $(MIGRATION_DB)*
	DATABASE_URL='sqlite:///$(MIGRATION_DB)' $(BIN)/flask --app flask_app db upgrade
	DATABASE_URL='sqlite:///$(MIGRATION_DB)' $(BIN)/flask --app flask_app db migrate \
	  -m "$(MESSAGE)" --rev-id $(call next_revision,flask_app)
	rm -f $(MIGRATION_DB)*

migration-fastapi: $(STAMP) ## New FastAPI migration from the models: MESSAGE="what changes"
	@test -n "$(MESSAGE)" || { echo 'usage: make migration-fastapi MESSAGE="what changes"'; exit 2; }
	rm -f $(MIGRATION_DB)*
	DATABASE_URL='sqlite:///$(MIGRATION_DB)' $(BIN)/alembic -c fastapi_app/alembic.ini upgrade head
	DATABASE_URL='sqlite:///$(MIGRATION_DB)' $(BIN)/alembic -c fastapi_app/alembic.ini revision \
	  --autogenerate -m "$(MESSAGE)" --rev-id $(call next_revision,fastapi_app)
	rm -f $(MIGRATION_DB)*

lint: $(STAMP) typecheck ## ruff check + format check, and mypy (make typecheck)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy (strict, with the Django and DRF stubs) over the three apps and tools/
	$(BIN)/mypy flask_app django_app fastapi_app tools

format: $(STAMP) ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: ## Remove databases and caches (keeps .venv)
	rm -rf var build .pytest_cache .ruff_cache
