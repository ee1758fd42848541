# Povreg: `make run` serves the demo on http://127.0.0.1:8000; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PORT ?= 8000

.PHONY: run serve test install lint messages bench screenshots clean

# Running needs requirements.txt only; tests, lint and benchmarks add requirements-dev.txt.
$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(DEV_STAMP)

install: $(DEV_STAMP)

# Development: DEBUG on, asked for explicitly (settings default to off and refuse a weak SECRET_KEY then).
run: $(STAMP)
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_demo
	# The background-job worker (imports) runs beside the server and stops with it.
	trap 'kill 0' EXIT INT TERM; \
	DEBUG=1 $(PY) manage.py db_worker --no-startup-delay -v0 & \
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

# Production-like (docs/deploy.md): DEBUG off, SECRET_KEY and ALLOWED_HOSTS from the environment; static files
# collected first, so pages never depend on a manual step.
serve: $(STAMP)
	$(PY) manage.py check --deploy
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py migrate --noinput
	trap 'kill 0' EXIT INT TERM; \
	$(PY) manage.py db_worker -v0 & \
	$(VENV)/bin/gunicorn povreg.wsgi --bind $${BIND:-127.0.0.1:$(PORT)} --workers $${WORKERS:-2}

# Two workers by default (TEST_WORKERS=auto: one per core; 0: none), each with its own test database; the browser
# tests run last, as one group on one worker (tests/conftest.py).
TEST_WORKERS ?= 2
test: $(DEV_STAMP)
	DEBUG=1 $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

messages: $(STAMP)
	DEBUG=1 $(PY) manage.py makemessages -l vi -l en --ignore=.venv --ignore=staticfiles
	DEBUG=1 $(PY) manage.py makemessages -d djangojs -l vi -l en --ignore=.venv --ignore=staticfiles --ignore=var
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv

# docs/screenshots/: every persona's main pages in Vietnamese, office and tablet sizes (needs Debian's chromium).
screenshots: $(DEV_STAMP)
	$(PY) docs/screenshots.py

bench: $(DEV_STAMP)
	DEBUG=1 $(PY) bench/run.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
