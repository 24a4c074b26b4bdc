# Tasks shared by the README, CI (.ci/run) and people.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The suite runs in a process per processor (pytest-xdist), each with its own database and a test
# file at a time; `make test PYTEST_PROCESSES=0` runs it in this one.
PYTEST_PROCESSES ?= auto
PYTEST := $(BIN)/pytest -n $(PYTEST_PROCESSES) --dist loadfile

.PHONY: serve test test-postgres lint bench messages audit

$(BIN)/referentiel: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

serve: $(BIN)/referentiel
	$(BIN)/referentiel serve

test: $(BIN)/referentiel
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(PYTEST)

# The same suite against PostgreSQL (CI sets this address; any empty database will do, and each
# process makes a database beside it: test_gw0, test_gw1…).
test-postgres: $(BIN)/referentiel
	REFERENTIEL_TEST_DATABASE_URL=$${REFERENTIEL_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} $(PYTEST)

lint: $(BIN)/referentiel
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Security checks: bandit on our code (each accepted finding carries a `# nosec` with its reason, on
# the line above), and pip-audit on every package installed in the virtualenv (it asks PyPI for known
# vulnerabilities, so it needs the network; this project itself is not on PyPI: --skip-editable).
# A package PyPI does not know is listed as skipped, not failed (add --strict once CI shows none).
# An accepted vulnerability would be added here as --ignore-vuln ID with its reason; there is none.
# The virtualenv's setuptools is upgraded when it is made: Python 3.11 bundles 65.5.0 (PYSEC-2022-43012).
audit: $(BIN)/referentiel
	$(BIN)/bandit -r server web places indicators proposals programmes -q -x '*/piccolo_migrations/*'
	@# Generated migrations list each column's params, "secret": False among them, which B105 takes
	@# for a hard-coded password; every other check still runs on them (hand-written data steps too).
	$(BIN)/bandit -q -s B105 \
		$$(find server web places indicators proposals programmes -path '*/piccolo_migrations/*.py')
	$(BIN)/pip-audit --skip-editable --progress-spinner off

bench: $(BIN)/referentiel
	$(BIN)/python bench/run.py

# Extract interface strings from the templates and merge them into the French catalogue.
# pybabel never scans dot folders such as .venv; new strings arrive untranslated (or fuzzy) in messages.po.
# Python code has no _(): the messages of domain errors are the first argument of these classes.
MESSAGE_KEYWORDS := NotFound InvalidInput Conflict Forbidden NotSignedIn TooManyAttempts Message Term
messages: $(BIN)/referentiel
	$(BIN)/pybabel extract -F babel.cfg $(addprefix -k ,$(MESSAGE_KEYWORDS)) -o locales/messages.pot \
		--no-wrap --project="Référentiel vivant" .
	$(BIN)/pybabel update -i locales/messages.pot -d locales -l fr --no-wrap

# What the browser journeys (tests/e2e) need, and skip without: Debian's Chromium (driven by the
# playwright package of the test extra; never `playwright install`, it cannot download browsers here)
# and axe-core, pinned in package-lock.json; and nginx (with iproute2's `ip`) for the several-hosts
# test (tests/server/test_several_hosts.py). apt-get runs only when something is missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
.PHONY: e2e-deps
e2e-deps: $(BIN)/referentiel
	@# Only what is missing: Debian's npm conflicts with a nodejs that brings its own npm (NodeSource).
	@packages=""; \
	[ -x /usr/bin/chromium ] || packages="chromium"; \
	command -v npm >/dev/null || packages="$$packages npm"; \
	[ -x /usr/sbin/nginx ] || packages="$$packages nginx"; \
	[ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || packages="$$packages iproute2"; \
	if [ -n "$$packages" ]; then \
		$(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y $$packages; \
	fi
	npm ci --no-audit --no-fund
