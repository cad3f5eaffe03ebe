# Baton: `make run` to try it, `make test` to check it. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-reliability test-sqlite system-packages lint format install install-dev bench-search bench-ingest bench-extraction bench-suggest bench-messaging bench-events bench-replicas bench-throughput bench-web semantic-model clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# `make run PORT=8001` when 8000 is taken (a busy port is reported before anything starts).
PORT ?= 8000
run: install
	$(BIN)/baton serve --demo --port $(PORT)

# System packages the tests use (Debian's chromium for the report page): installed when
# missing, a quick check otherwise.
system-packages:
	./.ci/system-packages

# The generated-client tests (tests/clients): openapi-python-client in a venv of its own
# (it pins typer<0.28, Baton's CLI uses 0.29), openapi-typescript and tsc through npm.
CLIENTS := tests/clients
$(VENV)/clients/.installed: $(BIN)/python $(CLIENTS)/requirements.txt
	$(PYTHON) -m venv $(VENV)/clients
	$(VENV)/clients/bin/python -m pip install --quiet -r $(CLIENTS)/requirements.txt
	touch $@

$(CLIENTS)/node_modules/.installed: $(CLIENTS)/package.json $(CLIENTS)/package-lock.json
	npm ci --prefix $(CLIENTS) --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: clients
clients: $(VENV)/clients/.installed $(CLIENTS)/node_modules/.installed

# The local OpenID provider of the sign-in tests (tests/accounts/oidc_provider): the
# certified oidc-provider from npm, run with the machine's Node.js.
OIDC_PROVIDER := tests/accounts/oidc_provider
$(OIDC_PROVIDER)/node_modules/.installed: $(OIDC_PROVIDER)/package.json $(OIDC_PROVIDER)/package-lock.json
	npm ci --prefix $(OIDC_PROVIDER) --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: oidc-provider
oidc-provider: $(OIDC_PROVIDER)/node_modules/.installed

# axe-core from npm: the accessibility checker the web app's browser tests (tests/web) run
# on every page.
AXE := tests/web/axe
$(AXE)/node_modules/.installed: $(AXE)/package.json $(AXE)/package-lock.json
	npm ci --prefix $(AXE) --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: axe-core
axe-core: $(AXE)/node_modules/.installed

# The browser extension (extension/): its npm tools from the committed package-lock.json,
# the unpacked build in extension/build/ (the browser tests load it), the vitest unit tests,
# and `make extension` for dist/baton-extension-<manifest version>.zip.
EXTENSION := extension
EXTENSION_VERSION = $(shell $(PYTHON) -c "import json; print(json.load(open('$(EXTENSION)/static/manifest.json'))['version'])")
$(EXTENSION)/node_modules/.installed: $(EXTENSION)/package.json $(EXTENSION)/package-lock.json
	npm ci --prefix $(EXTENSION) --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: extension extension-build extension-unit
extension-build: $(EXTENSION)/node_modules/.installed
	cd $(EXTENSION) && node build.mjs

extension-unit: $(EXTENSION)/node_modules/.installed
	cd $(EXTENSION) && npx vitest run

extension: extension-build
	mkdir -p dist
	rm -f dist/baton-extension-$(EXTENSION_VERSION).zip
	cd $(EXTENSION)/build && $(PYTHON) -m zipfile -c ../../dist/baton-extension-$(EXTENSION_VERSION).zip *
	@echo "dist/baton-extension-$(EXTENSION_VERSION).zip"

test: install-dev system-packages clients extension-unit extension-build oidc-provider axe-core
	$(BIN)/python -m pytest -n 2 -m "not reliability" $(PYTEST_ARGS)

# The reliability suite (tests/reliability, the `reliability` marker): races of every pair
# of lifecycle actions, load, kill -9 of the server and of `baton ingest`, storage
# failures, schemathesis' stateful mode; each against real servers. It prints its figures
# at the end (BATON_TEST_RELIABILITY_JSON=FILE also writes them as JSON).
test-reliability: install-dev system-packages
	$(BIN)/python -m pytest -n 2 -m reliability tests/reliability $(PYTEST_ARGS)

lint: install-dev $(EXTENSION)/node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	cd $(EXTENSION) && npx tsc --noEmit && npx eslint .

# Benchmarks: not tests. Each prints its figures and writes bench/results/<name>.json.
BENCH_ARGS ?=
bench-search: install-dev
	$(BIN)/python -m bench.search $(BENCH_ARGS)

bench-ingest: install-dev
	$(BIN)/python -m bench.ingest $(BENCH_ARGS)

bench-extraction: install-dev
	$(BIN)/python -m bench.extraction_lanes $(BENCH_ARGS)

bench-suggest: install-dev
	$(BIN)/python -m bench.suggest $(BENCH_ARGS)

bench-messaging: install-dev
	$(BIN)/python -m bench.messaging $(BENCH_ARGS)

bench-events: install-dev
	$(BIN)/python -m bench.events $(BENCH_ARGS)

# Propagation between API replicas on one PostgreSQL catalogue (needs the PostgreSQL of
# BATON_TEST_POSTGRES_URL, default postgres@127.0.0.1:5432/test): bench/replicas.py.
bench-replicas: install-dev
	$(BIN)/python -m bench.replicas $(BENCH_ARGS)

# A suggestion refresh in the extension's side panel, from the page's change to the
# rendered cards (p50/p95 over 50 runs, in headless Chromium): bench/extension_refresh.py.
.PHONY: bench-extension
bench-extension: install-dev system-packages extension-build
	$(BIN)/python -m bench.extension_refresh $(BENCH_ARGS)

# The web app's server time per page (p50/p95/p99) against a real `baton serve` on 100,000
# assets, signed in through /signin: bench/web.py, bench/results/web.json. A quick run:
# make bench-web BENCH_ARGS="--n 2000".
.PHONY: bench-web
bench-web: install-dev
	$(BIN)/python -m bench.web $(BENCH_ARGS)

bench-throughput: install-dev
	./.ci/system-packages wrk
	$(BIN)/python -m bench.throughput $(BENCH_ARGS)

# Search quality, not speed: the judged queries of bench/eval/ through GET /v1/search, with
# hit@1, hit@3, MRR@10 and nDCG@10 per category, keyword-only and hybrid (BENCH_ARGS="--mode
# hybrid" runs one); writes bench/results/eval-search.json.
.PHONY: eval-search
eval-search: install-dev
	$(BIN)/python -m bench.eval_search $(BENCH_ARGS)

# Rebuilds the semantic search model (search/models/minilm-l6-int8/model.onnx) in a
# throwaway venv with torch==2.13.0 pinned and checks it is byte-identical to the committed
# file. About 1 GB of downloads and a few minutes: by hand only, never in CI.
.PHONY: semantic-model
semantic-model:
	scripts/build_semantic_model.sh

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache $(EXTENSION)/build $(EXTENSION)/node_modules
