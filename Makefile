# Qiuxue: two commands for a new user — `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUM    := $(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)
STAMP  := $(VENV)/.installed-run-$(SUM)
DEV_STAMP := $(VENV)/.installed-dev-$(SUM)
HOST   ?= 127.0.0.1
PORT   ?= 5000
# Test processes (pytest-xdist); each gets its own data folders and, on PostgreSQL, its own database.
TEST_WORKERS ?= auto
# One line per set-up step, so a first `make run` says what it is doing while pip works.
STEP   := @printf '==> %s\n'
# pip: errors only (-qq). Its warnings about the machine's own index settings and the build backend's notes would
# otherwise bury the steps; a failing install still prints why.
PIP    := $(BIN)/python -m pip -qq --disable-pip-version-check

.PHONY: run dev database test lint audit lock wheel install install-dev translations messages bench bench-check clean

$(BIN)/python:
	$(STEP) "creating the virtual environment in $(VENV)"
	@$(PYTHON) -m venv $(VENV)

# `make run` needs only what the site runs on; test tools (Playwright, hypothesis, ruff...) come with `make test`.
# Reinstall only when setup.cfg or pyproject.toml changed.
$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(STEP) "installing Qiuxue and its dependencies (pip; the first time takes a minute)"
	@$(PIP) install -e .
	@rm -f $(VENV)/.installed-run-* && touch $@

$(DEV_STAMP): $(STAMP)
	$(STEP) "installing the test and lint tools"
	@$(PIP) install -e '.[dev]'
	@rm -f $(VENV)/.installed-dev-* && touch $@

install: $(STAMP) translations

install-dev: $(DEV_STAMP) translations

translations: $(STAMP)
	$(STEP) "compiling translations"
	@$(BIN)/pybabel -q compile -d app/translations

# what `run` and `dev` do before serving
database: install
	$(STEP) "migrating the database"
	@$(BIN)/qiuxue db upgrade
	$(STEP) "loading the demo data (only into an empty database)"
	@$(BIN)/qiuxue demo load --if-empty

run: database
	$(STEP) "starting at http://$(HOST):$(PORT)/"
	@$(BIN)/qiuxue serve --host $(HOST) --port $(PORT)

dev: database
	$(STEP) "starting the reloading debug server at http://$(HOST):$(PORT)/"
	@$(BIN)/qiuxue run --debug --host $(HOST) --port $(PORT)

# ruff; the package layers and no import cycles (import-linter, contracts in pyproject.toml); strict types on the
# services, models and pure rules listed there (mypy, cached in .mypy_cache).
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/mypy

# What runs where: the whole suite on SQLite; then, when a PostgreSQL server answers (tests/postgres_url.py), every
# test that reaches the database again on it: each service, view and API test runs on both. The PostgreSQL pass
# leaves out what would only repeat: the browser checks of what a page renders (marker render_once), the browser
# journeys (browser), and the tests that reach no database at all (no_db, set when collected: pure rules,
# Hypothesis properties, layout and docs checks; tests/conftest.py says how it is decided). Tests marked demo start
# from one load of the demo per test process on either database. Keeps CI under 20 minutes. Bytecode is written
# even where the machine sets PYTHONDONTWRITEBYTECODE: pytest then keeps its rewritten test modules for the later
# processes and the second pass instead of rewriting every test file's asserts in each of them.
test: install-dev lint audit
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)
	@if url=$$($(BIN)/python -m tests.postgres_url); then \
		echo "== the same tests on PostgreSQL ($$url) =="; \
		PYTHONDONTWRITEBYTECODE= QIUXUE_TEST_DATABASE_URL=$$url $(BIN)/python -m pytest -n $(TEST_WORKERS) \
			-m "not render_once and not browser and not no_db" $(PYTEST_ARGS); \
	else echo "== PostgreSQL pass skipped: no server (set QIUXUE_TEST_POSTGRES_URL) =="; fi

# Known vulnerabilities in the locked deployment set (pip-audit; deploy/audit.py says what happens offline).
audit: $(DEV_STAMP)
	@$(BIN)/python deploy/audit.py

# The deployed dependency set pinned with hashes, from PyPI: requirements/deploy.txt, installed with
# `pip install --require-hashes` (docs/deploy.md, deploy/Containerfile). Keeps the current pins that still fit
# setup.cfg; `make lock LOCK_ARGS=--upgrade` moves every package to its newest allowed release.
DEPLOY_EXTRAS ?= postgres s3 redis
LOCK_ARGS ?=
lock: $(DEV_STAMP)
	$(BIN)/uv pip compile setup.cfg $(foreach e,$(DEPLOY_EXTRAS),--extra $(e)) --universal --python-version 3.11 \
		--generate-hashes --custom-compile-command "make lock" --quiet $(LOCK_ARGS) -o requirements/deploy.txt

# The wheel that runs the site on its own (static files, migrations, compiled translations inside): dist/*.whl
wheel: $(DEV_STAMP)
	$(BIN)/python -m build --wheel --outdir dist .

# Refresh the English catalog after adding or changing UI text (message ids are the Chinese texts).
messages: $(DEV_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		-o app/translations/messages.pot app catalog search media learning credits programme
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

bench: install-dev
	$(BIN)/python bench/run_all.py

# the quick variants of the benchmarks; fails when a ratio falls more than 30% below bench/baseline.json
bench-check: install-dev
	$(BIN)/python bench/check.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache test-artifacts build dist
