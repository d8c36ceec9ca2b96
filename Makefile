# The two commands that matter: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := run

# Django 6 needs Python 3.12; the machine's default python3 may be older.
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3 python3; do \
	  $$p -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && echo $$p && break; \
	done)
# A pyenv shim named uv may exist without working; only a uv that answers is used.
UV := $(shell uv --version >/dev/null 2>&1 && command -v uv || echo .tools/bin/uv)
PORT ?= 8000
MANAGE := .venv/bin/python manage.py
PYTEST := .venv/bin/python -m pytest

.PHONY: run test test-sqlite test-postgres lint worker code bench bench-scale loadtest lighthouse sync messages catalogues clean

$(UV):
	@test -n "$(PYTHON)" || { echo "Python 3.12 is needed (Django 6); none found." >&2; exit 1; }
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	UV_PYTHON=$(PYTHON) $(UV) sync --locked
	touch $@

sync: .venv/.synced

messages: sync
	$(MANAGE) compilemessages --ignore=.venv --ignore=.tools -v 0

# After changing user-facing strings: refresh both catalogues (English is filled from the
# source strings), then translate the new empty entries of the Ukrainian one.
catalogues: sync
	$(MANAGE) makemessages -l uk -l en --no-obsolete --ignore='.venv/*' --ignore='.tools/*' --ignore='var/*' -v 0
	msgen clinic/locale/en/LC_MESSAGES/django.po -o clinic/locale/en/LC_MESSAGES/django.po
	.venv/bin/python scripts/check_catalogues.py || true

# Links in messages (e-mail, SMS) are made absolute from PUBLIC_BASE_URL; here it follows PORT.
PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)

run: sync messages
	@bash scripts/ensure_system_packages.sh || true
	@PORT=$(PORT) PUBLIC_BASE_URL=$(PUBLIC_BASE_URL) bash scripts/serve.sh

# Current one-time code of a demo user: make code EMAIL=physician.kyiv@demo.clinic
code: sync
	@DEBUG=true $(MANAGE) demo_code $(EMAIL)

# The task worker and, beside it, the scheduler of periodic jobs (clinic/core/jobs.py).
worker: sync
	$(MANAGE) run_jobs & JOBS=$$!; trap "kill $$JOBS 2>/dev/null" EXIT; $(MANAGE) db_worker

test: test-sqlite test-postgres

# axe-core for the accessibility test (npm registry). Without npm the test skips, except in CI.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	-npm ci --no-audit --no-fund --loglevel=error

test-sqlite: sync messages node_modules/axe-core/axe.min.js
	bash scripts/ensure_system_packages.sh
	$(PYTEST) -n 2 --dist loadgroup

test-postgres: sync messages node_modules/axe-core/axe.min.js
	DB_CONN_MAX_AGE=0 $(PYTHON) scripts/with_postgres.py -- $(PYTEST) -n 2 --dist loadgroup

lint: sync
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports --no-logo  # the layer order in pyproject.toml [tool.importlinter]
	$(MANAGE) makemigrations --check --dry-run -v 1
	.venv/bin/python scripts/check_catalogues.py

# Lighthouse (npm lighthouse@12 with Debian's Chromium) on public pages in both languages.
lighthouse: sync messages
	bash scripts/lighthouse.sh

# Staff pages over HTTP: gunicorn (2 workers) on PostgreSQL with 20,000 patients (BENCH_PATIENTS;
# 100000 for the large set). The cluster and its data are kept in var/ and reused by later runs.
BENCH_PATIENTS ?= 20000
BENCH_CLUSTER := var/bench-pg-$(BENCH_PATIENTS)
bench: sync messages
	$(PYTHON) scripts/with_postgres.py --keep $(BENCH_CLUSTER) -- \
	  timeout 900 .venv/bin/python bench/over_http.py --patients $(BENCH_PATIENTS)

# The open-loop mix (35 % chart, 20 % search, 20 % day board, 15 % dashboard, 10 % vitals)
# at increasing rates, LOAD_SECONDS each.
LOAD_RATES ?= 5,10,20,40,60
LOAD_SECONDS ?= 30
loadtest: sync messages
	$(PYTHON) scripts/with_postgres.py --keep $(BENCH_CLUSTER) -- \
	  timeout 900 .venv/bin/python bench/over_http.py --patients $(BENCH_PATIENTS) --load \
	  --rates $(LOAD_RATES) --seconds $(LOAD_SECONDS)

# Does the cost of a page or a write grow with the data? In-process, SQLite by default.
bench-scale: sync messages
	.venv/bin/python bench/run.py

print-python:
	@echo $(PYTHON) $(UV)

clean:
	rm -rf var .venv .tools
