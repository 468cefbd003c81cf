# Every target sets itself up: a fresh clone needs only python3 (3.11+) and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
STORE  ?= sqlite:///$(CURDIR)/var/together.db
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint format chat bench profile crisis-report natural-report models lambda-zip clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make run: serve the skill on the embedded SQLite store (./var), dev mode, loopback only
run: $(STAMP)
	mkdir -p var
	TOGETHER_STORE=$(STORE) $(BIN)/together serve --dev --host $(HOST) --port $(PORT)

## make chat: talk to the skill in this terminal, on the same store as make run
chat: $(STAMP)
	mkdir -p var
	TOGETHER_STORE=$(STORE) $(BIN)/together chat

## make moto: a local DynamoDB (moto server on 127.0.0.1:5005, table "together") until Ctrl-C;
## it prints the environment to point `together serve` / `make run` at it (loopback only)
.PHONY: moto
moto: $(STAMP)
	$(BIN)/python -m skill.store.dynamodb --serve-moto --host 127.0.0.1 --port 5005 --table together

## make lint: ruff (lint and format check), mypy --strict, and the skill linter
lint: $(STAMP)
	$(BIN)/ruff check skill tests bench
	$(BIN)/ruff format --check skill tests bench
	$(BIN)/mypy
	$(BIN)/together lint

## make format: apply ruff's formatting and safe fixes
format: $(STAMP)
	$(BIN)/ruff check --fix skill tests bench
	$(BIN)/ruff format skill tests bench

## make apl: Amazon's APL validator (npm apl-suggester, pinned by tests/apl/package-lock.json)
## in build/apl, for the Echo Show documents' tests; installs nodejs and npm when missing
APL_CHECKER := build/apl/node_modules/apl-suggester/package.json
.PHONY: apl
apl: $(APL_CHECKER)

$(APL_CHECKER): tests/apl/package.json tests/apl/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "make: installing nodejs and npm (apt-get) for the APL validator"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nodejs npm; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq nodejs npm; fi; }
	mkdir -p build/apl
	cp tests/apl/package.json tests/apl/package-lock.json build/apl/
	cd build/apl && npm ci --silent --no-audit --no-fund
	touch $@

## make chromium: Debian's headless-capable chromium, for the MCP Apps view's tests
## (tests/test_breathe_view.py); installs it with apt-get when missing
.PHONY: chromium
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "make: installing chromium (apt-get) for the MCP Apps view's tests"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }

## make test: lint, then the whole test suite (warnings are errors)
test: lint $(APL_CHECKER) chromium
	$(BIN)/pytest -q

## make bench: the served skill (gunicorn, verification on) against a bare ask-sdk-core skill,
## SQLite and DynamoDB (moto server), store calls per turn, cold import, RSS: one table.
## Load from wrk (Debian's package, installed here when missing; bench only, not tests).
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "make bench: installing wrk (apt-get)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq wrk; fi; }
	$(BIN)/python bench/bench.py

## make crisis-report: the crisis sets (tuned and held out) in four places, every locale
crisis-report: $(STAMP)
	$(BIN)/python bench/crisis_report.py

## make natural-report: natural speech in the state it is said in (tuning and held-out sets)
natural-report: $(STAMP)
	$(BIN)/python bench/natural_report.py

## make models: rewrite the interaction models' parts generated from the crisis pack
models: $(STAMP)
	$(BIN)/together models --write

## make profile: CPU per turn type of the skill and the baseline in process, and a
## pyinstrument profile of the skill's POST /alexa
profile: $(STAMP)
	$(BIN)/python bench/profile.py

## make lambda-zip: the Lambda code for infra/template.yaml (build/resilient-together-<hash>.zip)
lambda-zip: $(STAMP)
	rm -rf build/lambda build/dist && mkdir -p build/lambda build/dist
	$(BIN)/python -m pip wheel --quiet --no-deps -w build/dist .
	$(BIN)/python -m pip install --quiet --no-compile --target build/lambda \
	  --platform manylinux2014_x86_64 --implementation cp --python-version 3.12 \
	  --only-binary=:all: "$$(ls build/dist/resilient_together-*.whl)[lambda]"
	KEY="resilient-together-$$(cd build/lambda && find . -type f | sort | xargs cat | sha256sum | cut -c1-16).zip"; \
	  $(BIN)/python -m zipfile -c "build/$$KEY" build/lambda/* && echo "build/$$KEY"

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
