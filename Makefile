# Tasks shared by the README, CI (.ci/run) and people.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test test-postgres lint bench messages

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

# The same suite against PostgreSQL (CI sets this address; any empty database will do).
test-postgres: $(BIN)/referentiel
	REFERENTIEL_TEST_DATABASE_URL=$${REFERENTIEL_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} $(BIN)/pytest

lint: $(BIN)/referentiel
	$(BIN)/ruff check .

bench: $(BIN)/referentiel
	$(BIN)/python bench/run.py

# Extract interface strings from the templates and merge them into the French catalogue.
# pybabel never scans dot folders such as .venv; new strings arrive untranslated (or fuzzy) in messages.po.
messages: $(BIN)/referentiel
	$(BIN)/pybabel extract -F babel.cfg -o locales/messages.pot --no-wrap --project="Référentiel vivant" .
	$(BIN)/pybabel update -i locales/messages.pot -d locales -l fr --no-wrap
