# Tasks shared by the README, CI (.ci/run) and people.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test lint bench

$(BIN)/referentiel: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

serve: $(BIN)/referentiel
	$(BIN)/referentiel serve

test: $(BIN)/referentiel
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(BIN)/referentiel
	$(BIN)/ruff check .

bench: $(BIN)/referentiel
	$(BIN)/python bench/run.py
