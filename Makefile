# Portail Famille — developer commands. Needs only Python >= 3.11 and GNU make.
#
#   make run     set up, migrate, seed the demo town, start the portal and the task worker
#   make test    set up and run the whole test suite (extra pytest arguments: PYTEST_ARGS=...)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-installs only when pyproject.toml changes.
INSTALLED := $(VENV)/.installed
RUN_ADDRESS ?= 127.0.0.1:8000
PYTEST_ARGS ?=

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help
.PHONY: help install run test lint format translations check-translations
.PHONY: bench bench-monthly bench-scenario
.PHONY: audit

help:
	@echo "make run                 start the portal on http://$(RUN_ADDRESS)/ with the task worker (demo data, DEBUG)"
	@echo "make test                run the whole test suite (PYTEST_ARGS='-k outbox' to select)"
	@echo "make lint                ruff check + ruff format --check"
	@echo "make format              ruff format + ruff check --fix"
	@echo "make translations        extract, fill from locale/fr/parts/*.json and compile French"
	@echo "make check-translations  fail if a French translation is missing or not compiled"
	@echo "make audit               bandit, pip-audit and the security/accessibility suites, then the figures table"
	@echo "make bench               pages under load at city scale: gunicorn + wrk (BENCH_ARGS='--scale 0.1')"
	@echo "make bench-scenario      a town's peak hour (REL-04): 200 parents and 20 agents for 10 min, Locust"
	@echo "make bench-monthly       the monthly run: 10,000 invoices, PDFs, e-mails over SMTP, 2 workers, SEPA batch"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
		{ echo "Python >= 3.11 is needed ($(PYTHON) is $$($(PYTHON) --version 2>&1)). Try: make PYTHON=python3.12 ..."; exit 1; }
	$(PYTHON) -m venv --upgrade-deps $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(INSTALLED)

var:
	@mkdir -p var

# Only DEBUG off needs collected static files (runserver serves them itself in DEBUG); they are
# collected again only when a static file or the installed packages change.
var/static/.collected: $(INSTALLED) $(shell find static -type f 2>/dev/null) | var
	DEBUG=1 $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@touch $@

# The worker, and the periodic jobs (portail/jobs/periodic.py: payment reconciliation every 5
# minutes, publications, digests, retention — a service in production too), run in the background and stop when runserver stops (Ctrl+C). SITE_URL
# follows RUN_ADDRESS so that the links in e-mails open this server.
# seed_demo runs last before the processes start, so the demo logins are the last lines before
# the server's own output.
run: $(INSTALLED) var/static/.collected | var
	@export DEBUG=1 SITE_URL="$${SITE_URL:-http://$(RUN_ADDRESS)}"; set -e; \
	$(BIN)/python manage.py migrate --noinput; \
	echo ""; \
	echo "Portal: http://$(RUN_ADDRESS)/   Staff back office: http://$(RUN_ADDRESS)/gestion/"; \
	echo "E-mails are printed below and readable at http://$(RUN_ADDRESS)/dev/outbox/"; \
	echo ""; \
	$(BIN)/python manage.py seed_demo; \
	echo ""; \
	$(BIN)/python manage.py db_worker & worker=$$!; \
	$(BIN)/python manage.py run_periodic_jobs --loop >/dev/null & periodic=$$!; \
	trap 'kill $$worker $$periodic 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	$(BIN)/python manage.py runserver $(RUN_ADDRESS)

test: $(INSTALLED) | var
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

translations: $(INSTALLED)
	$(BIN)/python scripts/translations.py update

check-translations: $(INSTALLED)
	$(BIN)/python scripts/translations.py check

# Pages under load (bench/load.py): generates a city (bench/generate.py) in a throwaway
# database — PostgreSQL when DATABASE_URL is set (the role needs CREATEDB) — serves it with
# gunicorn and drives it with wrk (Debian: apt-get install wrk). Appends to docs/benchmarks.md.
BENCH_ARGS ?=
bench: $(INSTALLED)
	$(BIN)/python bench/load.py $(BENCH_ARGS)

# A town's peak hour (bench/scenario.py, SECURITY.md REL-04): 200 parents walking the
# journey (login, dashboard, invoices, PDF, card payment start against the PayFiP simulator,
# logout) and 20 agents in the back office, 5-15 s between pages, for 10 minutes, driven by
# Locust. Writes var/bench/scenario.json for `make audit`. SCENARIO_ARGS='--duration 120'.
SCENARIO_ARGS ?=
bench-scenario: $(INSTALLED)
	$(BIN)/python bench/scenario.py $(SCENARIO_ARGS)

# The monthly run (bench/monthly_run.py): 10,000 invoices issued, their PDFs and e-mails done
# by 2 real `db_worker` processes, sent over SMTP to a sink on loopback, then the SEPA batch.
# Needs DATABASE_URL naming a PostgreSQL server (the role needs CREATEDB). MONTHLY_ARGS='--households 1000'.
MONTHLY_ARGS ?=
bench-monthly: $(INSTALLED)
	$(BIN)/python bench/monthly_run.py $(MONTHLY_ARGS)

# SECURITY.md's gates and its part 4 figures table (scripts/audit.py), also written to
# var/audit/figures.md and .json. It runs the security, trust, audit, accounts, browser and
# payments suites, on a throwaway PostgreSQL database when one answers on 127.0.0.1:5432 (or
# AUDIT_DATABASE_URL), else on SQLite; then the SQLite profile (20 writers, 60 s).
# AUDIT_ARGS=--skip-tests reprints the table from the last runs; AUDIT_ARGS=--skip-pip-audit
# without network.
AUDIT_ARGS ?=
audit: $(INSTALLED) | var
	$(BIN)/python scripts/audit.py $(AUDIT_ARGS)
