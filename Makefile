# The two commands of the README: `make run` and `make test`.
UV := ./scripts/uv.sh
RUN := $(UV) run --frozen --all-packages

.PHONY: help sync node web-node openapi run test web-test lint infra-check bench loadtest chaos reset

help:
	@echo "make run    start the local stack (embedded PostgreSQL and Valkey unless URLs are set)"
	@echo "make test   run every test against real PostgreSQL and Redis/Valkey, then the web app's"
	@echo "make lint   ruff and mypy"
	@echo "make infra-check  type-check infra/*.bicep against Azure's type definitions, checkov, bicep build if installed"
	@echo "make openapi  re-export the services' OpenAPI documents and the web types made from them"
	@echo "make bench  benchmarks (TENANTS=1000 by default)"
	@echo "make loadtest  scale-rule check: each service at its infra/scale.json target (~4 min)"
	@echo "make chaos  faults under load, 2 replicas each: report in .stelly/chaos/ (~5 min)"
	@echo "make reset  delete the local stack's data under .stelly/"

sync:
	@$(UV) sync --frozen --all-packages --quiet

# Azurite (the Blob Storage emulator) comes from npm, pinned in package-lock.json.
node: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# The web app's node modules: Vite, Vitest, and openapi-typescript (which the
# drift test of the OpenAPI documents runs in `make test`).
web-node: web/node_modules/.package-lock.json
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	npm --prefix web ci --no-audit --no-fund --loglevel=error

# The services' OpenAPI documents (web/public/openapi/, rendered at /api/docs) and the
# web app's types generated from them (web/src/lib/api/); tests/test_openapi_docs.py
# fails in `make test` until this is re-run after an API change.
openapi: sync web-node
	$(RUN) python scripts/openapi.py

# The web app's build, served by the gateway at /*; rebuilt only when its sources change.
WEB_SOURCES := $(shell find web/src web/public web/index.html web/package.json web/package-lock.json web/vite.config.ts -type f 2>/dev/null)
web/dist/index.html: $(WEB_SOURCES)
	npm --prefix web ci --no-audit --no-fund --loglevel=error
	npm --prefix web run build

run: sync node web/dist/index.html
	$(RUN) stelly dev

test: sync node web-node
	$(RUN) pytest $(PYTEST_ARGS)
	$(MAKE) web-test

# The web app: npm ci, build, Vitest, and the Chromium end-to-end tests against
# the make-run stack (Chromium from apt; skipped, and said so, where it cannot install).
web-test: sync node
	./web/scripts/test.sh

lint: sync
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

# infra/*.bicep held against ../shared/azure-types (Azure's own resource type
# definitions), then checkov, then `bicep build` where a bicep CLI is on PATH;
# non-zero on any finding. tests/test_infra_check.py runs the type check in `make test`.
infra-check: sync
	$(RUN) python -m infra_check infra

TENANTS ?= 1000
bench: sync node
	$(RUN) python -m bench --tenants $(TENANTS)

loadtest: sync node
	$(UV) run --frozen --all-packages --group loadtest python -m loadtests

# Rolling restarts, kills, Redis and PostgreSQL faults under load; non-zero on a broken invariant.
chaos: sync node
	$(RUN) python -m chaos

reset:
	@if [ -f .stelly/run/stack.json ]; then echo "stop 'make run' first"; exit 1; fi
	rm -rf .stelly
