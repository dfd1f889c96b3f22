# The two commands: `make run` and `make test`. Each sets itself up (venv, install, migrate, seed).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench rush venv migrate seed worker clean messages compilemessages

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed (apt-get install python3.11 python3.11-venv)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(PY) manage.py ensure_database
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py load_reference_data
	$(PY) manage.py seed_demo

# Beat keeps its schedules in the database (django-celery-beat): no schedule file to lose.
CELERY_WORKER := $(VENV)/bin/celery -A portal worker --loglevel=INFO --concurrency=2
CELERY_BEAT := $(VENV)/bin/celery -A portal beat --loglevel=INFO

# The portal on http://$(HOST):$(PORT). With CELERY_BROKER_URL set, a Celery worker and beat run
# beside it and stop with it. Links in emails use the address it serves (PORTAL_SITE_URL).
run: seed
	@export PORTAL_SITE_URL="$${PORTAL_SITE_URL:-http://$(HOST):$(PORT)}"; \
	if [ -n "$$CELERY_BROKER_URL" ]; then \
	  echo "Starting a Celery worker and beat on $$CELERY_BROKER_URL"; \
	  $(CELERY_WORKER) & WORKER=$$!; \
	  $(CELERY_BEAT) & BEAT=$$!; \
	  trap "kill $$WORKER $$BEAT 2>/dev/null" EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST):$(PORT); \
	else \
	  echo "No CELERY_BROKER_URL: Celery tasks run in-process (eager), and no beat runs."; \
	  $(PY) manage.py runserver $(HOST):$(PORT); \
	fi

# A Celery worker and beat, as `make run` starts them (for a web server started elsewhere).
worker: migrate
	@$(CELERY_WORKER) & WORKER=$$!; \
	$(CELERY_BEAT) & BEAT=$$!; \
	trap "kill $$WORKER $$BEAT 2>/dev/null" EXIT INT TERM; \
	wait

test: venv
	@if [ -n "$$DATABASE_URL" ]; then $(PY) manage.py ensure_database >/dev/null; fi
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Page bench, then routing bench; both always run (unless interrupted). Exit status: the page
# bench's when it failed (1 could not run, 2 below target), else the routing bench's.
bench: venv
	@$(PY) bench/run.py; pages=$$?; \
	if [ $$pages -ge 128 ]; then exit $$pages; fi; \
	$(PY) bench/routing.py; routing=$$?; \
	if [ $$pages -ne 0 ]; then exit $$pages; fi; exit $$routing

# The cut-off rush: locust against gunicorn and a Celery worker (bench/README.md).
rush: venv
	$(PY) bench/rush.py

# The translation catalogues (locale/<lang>/LC_MESSAGES/django.po), one per language of
# settings.LANGUAGES but English (the msgids). `messages` extracts the marked strings from the
# Python and the templates (file names without line numbers, and no obsolete entries: small
# diffs); `compilemessages` builds the .mo files Django reads, which are committed
# (tests/portal/test_translations.py fails when one is older than or differs from its .po).
LOCALES := es it fi sv de fr el
I18N_IGNORE := --ignore=.venv --ignore=tests --ignore=bench --ignore=var --ignore=node_modules \
	--ignore=static --ignore=docker
messages: venv
	$(PY) manage.py makemessages $(addprefix --locale=,$(LOCALES)) $(I18N_IGNORE) \
	  --no-obsolete --add-location=file --no-wrap
	$(MAKE) compilemessages

compilemessages: venv
	@command -v msgfmt >/dev/null || { echo "msgfmt is needed (apt-get install gettext)"; exit 1; }
	$(PY) manage.py compilemessages $(addprefix --locale=,$(LOCALES)) $(I18N_IGNORE)

clean:
	rm -rf var/portal.sqlite3 var/staticfiles var/mail
