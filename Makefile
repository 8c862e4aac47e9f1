# Amparo — a newcomer's targets: `make demo`, `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
PG_BIN ?= /usr/lib/postgresql/15/bin

.PHONY: install console-libraries chromium demo up test test-fast soak lint format postgres postgis clean bench bench-quick

install: $(STAMP) console-libraries

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

## console-libraries: the map library the console serves itself (Leaflet, from the npm registry)
console-libraries: services/console/node_modules/.package-lock.json

services/console/node_modules/.package-lock.json: services/console/package.json services/console/package-lock.json
	@command -v npm >/dev/null || { \
	  echo "installing npm (Debian package npm)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm ci --prefix services/console --no-audit --no-fund --loglevel=error

## demo: start the embedded stack and load a country on it (in var/demo/, made anew each time)
DEMO_DIR := var/demo
demo: install
	rm -rf $(DEMO_DIR)
	$(BIN)/amparo up --demo --data-dir $(DEMO_DIR)

## up: start the embedded stack without demo data
up: install
	$(BIN)/amparo up

## postgres: make sure the PostgreSQL 15 server binaries the tests start are present
postgres:
	@test -x $(PG_BIN)/initdb || { \
	  echo "installing PostgreSQL 15 server (Debian package postgresql-15)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null; }

## chromium: Debian's Chromium, which the browser tests drive (Playwright never downloads one)
chromium:
	@test -x /usr/bin/chromium || { \
	  echo "installing Chromium (Debian package chromium)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## test: the whole suite (unit, storage on SQLite and PostgreSQL, broker and process fault tests)
test: install postgres chromium
	$(BIN)/python -m pytest

## soak: the reliability and security suite at its longer size (more households, kills, fuzz cases)
soak: install postgres chromium
	$(BIN)/python -m pytest tests/reliability --soak

## test-fast: unit tests only
test-fast: install
	$(BIN)/python -m pytest tests/unit

lint: install
	$(BIN)/ruff check shared services tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format shared services tests bench

clean:
	rm -rf $(VENV) var .pytest_cache test-artifacts services/console/node_modules

## postgis: PostGIS for the matching benchmark's baseline (Debian package postgresql-15-postgis-3)
postgis: postgres
	@test -f /usr/share/postgresql/15/extension/postgis.control || { \
	  echo "installing PostGIS (Debian package postgresql-15-postgis-3)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-postgis-3 >/dev/null; }

## bench: every benchmark at full size (national scale: tens of minutes, several GB of RAM)
bench: install postgis
	$(BIN)/python -m bench

## bench-quick: every benchmark at small sizes (checks they run; the goals are for `make bench`)
bench-quick: install postgis
	$(BIN)/python -m bench --quick
