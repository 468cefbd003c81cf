# Every target sets itself up: a fresh clone needs only python3 (3.11+) and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
STORE  ?= sqlite:///$(CURDIR)/var/together.db
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint format chat bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
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

## make lint: ruff (lint and format check) and mypy --strict
lint: $(STAMP)
	$(BIN)/ruff check skill tests bench
	$(BIN)/ruff format --check skill tests bench
	$(BIN)/mypy

## make format: apply ruff's formatting and safe fixes
format: $(STAMP)
	$(BIN)/ruff check --fix skill tests bench
	$(BIN)/ruff format skill tests bench

## make test: lint, then the whole test suite (warnings are errors)
test: lint
	$(BIN)/pytest -q

## make bench: turn latency, HTTP latency, verification cost and peak memory, against targets
bench: $(STAMP)
	$(BIN)/python bench/bench.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
