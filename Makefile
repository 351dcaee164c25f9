# CEPAT — `make run` for a demo on SQLite, `make test` for the whole suite on PostgreSQL.
# Both do all their own set-up on a fresh machine (Debian, root or sudo-less apt).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
DB_NAME ?= cepat
DB_USER ?= cepat
export DATABASE_URL_TEST := postgres://$(DB_USER)@$(PG_HOST):$(PG_PORT)/$(DB_NAME)
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core gettext postgresql-client \
	redis-server redis-tools chromium

.PHONY: help setup system-packages venv messages postgres redis run test bench lint fmt

help:  ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

system-packages:  ## Debian packages WeasyPrint, i18n and the PostgreSQL client need (installed only when missing)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing system packages: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

venv: $(BIN)/python  ## Virtualenv with the project and its development tools
	@$(BIN)/pip install -q --upgrade pip
	@$(BIN)/pip install -q -e '.[dev]'

setup: system-packages venv messages  ## Everything both run and test need

messages:  ## Compile the translations
	@$(BIN)/python manage.py compilemessages -v 0 --ignore=.venv

postgres:  ## Start PostgreSQL if it is not running and create the role the tests use
	@pg_isready -q -h $(PG_HOST) -p $(PG_PORT) || { \
		echo "Starting PostgreSQL"; \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -n1) main start; \
		for i in $$(seq 1 30); do pg_isready -q -h $(PG_HOST) -p $(PG_PORT) && break; sleep 1; done; }
	@psql -h $(PG_HOST) -p $(PG_PORT) -U postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='$(DB_USER)'" | grep -q 1 || \
		psql -q -h $(PG_HOST) -p $(PG_PORT) -U postgres -c "CREATE ROLE $(DB_USER) LOGIN CREATEDB"
	@psql -h $(PG_HOST) -p $(PG_PORT) -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$(DB_NAME)'" | grep -q 1 || \
		psql -q -h $(PG_HOST) -p $(PG_PORT) -U postgres -c "CREATE DATABASE $(DB_NAME) OWNER $(DB_USER)"

redis:  ## Start a local Redis (the Celery broker) if none answers on 127.0.0.1:6379
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { \
		echo "Starting Redis"; \
		mkdir -p /var/lib/redis /var/log/redis; \
		redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
			--dir /var/lib/redis --logfile /var/log/redis/cepat.log; \
		for i in $$(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done; }

run: setup  ## Migrate, load the SOP library and demo data, serve on 127.0.0.1:8000 with the timer dispatcher
	DJANGO_SETTINGS_MODULE=config.settings.dev $(BIN)/python manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=config.settings.dev $(BIN)/python manage.py sop load
	DJANGO_SETTINGS_MODULE=config.settings.dev $(BIN)/python manage.py calendar sync
	DJANGO_SETTINGS_MODULE=config.settings.dev $(BIN)/python manage.py demo_data
	DJANGO_SETTINGS_MODULE=config.settings.dev $(BIN)/python manage.py dispatch_timers --interval 30 & \
		dispatcher=$$!; trap "kill $$dispatcher" EXIT INT TERM; \
		DJANGO_SETTINGS_MODULE=config.settings.dev $(BIN)/python manage.py runserver 127.0.0.1:8000

test: setup postgres redis  ## The whole suite on PostgreSQL
	DATABASE_URL=$(DATABASE_URL_TEST) $(BIN)/python -m pytest $(PYTEST_ARGS)

BENCH_SMALL ?= cepat_bench_small
BENCH_LARGE ?= cepat_bench_large
BENCH_SMALL_CASES ?= 10000
BENCH_LARGE_CASES ?= 1000000
BENCH_RUNS ?= 20
BENCH_ONLY ?= step,pages,sweep,pdf,sopdoc,http
BENCH_ENV = DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=postgres://$(DB_USER)@$(PG_HOST):$(PG_PORT)/$$db

bench: setup postgres  ## Benchmarks on PostgreSQL: loads the small and large databases when short of cases (seed_load), prints figures and ratios, appends them to bench/RESULTS.md
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	@for spec in $(BENCH_SMALL):$(BENCH_SMALL_CASES) $(BENCH_LARGE):$(BENCH_LARGE_CASES); do \
		db=$${spec%%:*}; want=$${spec##*:}; \
		psql -h $(PG_HOST) -p $(PG_PORT) -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$$db'" | grep -q 1 || \
			psql -q -h $(PG_HOST) -p $(PG_PORT) -U postgres -c "CREATE DATABASE $$db OWNER $(DB_USER)"; \
		$(BENCH_ENV) $(BIN)/python manage.py migrate -v0 --noinput || exit 1; \
		have=$$(psql -h $(PG_HOST) -p $(PG_PORT) -U $(DB_USER) $$db -tAc "SELECT count(*) FROM cases_case"); \
		if [ "$$have" -lt "$$want" ]; then \
			echo "Loading $$((want - have)) cases into $$db"; \
			$(BENCH_ENV) $(BIN)/python manage.py seed_load --cases $$((want - have)) --jobs 2 || exit 1; \
		fi; \
	done
	$(BIN)/python -m bench.run --small $(BENCH_SMALL) --large $(BENCH_LARGE) --runs $(BENCH_RUNS) --only $(BENCH_ONLY)

lint:  ## ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt:  ## Format and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
