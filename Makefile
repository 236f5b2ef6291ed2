# Qiuxue: two commands for a new user — `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 5000
# Test processes (pytest-xdist); each gets its own data folders and, on PostgreSQL, its own database.
TEST_WORKERS ?= auto

.PHONY: run dev test lint install translations messages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when setup.cfg or pyproject.toml changed.
$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile -d app/translations --statistics

run: install
	$(BIN)/qiuxue db upgrade
	$(BIN)/qiuxue demo load --if-empty
	$(BIN)/qiuxue serve --host $(HOST) --port $(PORT)

dev: install
	$(BIN)/qiuxue db upgrade
	$(BIN)/qiuxue demo load --if-empty
	$(BIN)/qiuxue run --debug --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .

# The whole suite on SQLite, then again on PostgreSQL when one answers (tests/postgres_url.py); the browser
# checks of what a page renders (marker render_once) run in the SQLite pass only, to keep CI under 20 minutes.
test: install lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)
	@if url=$$($(BIN)/python -m tests.postgres_url); then \
		echo "== the same tests on PostgreSQL ($$url) =="; \
		QIUXUE_TEST_DATABASE_URL=$$url $(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not render_once" $(PYTEST_ARGS); \
	else echo "== PostgreSQL pass skipped: no server (set QIUXUE_TEST_POSTGRES_URL) =="; fi

# Refresh the English catalog after adding or changing UI text (message ids are the Chinese texts).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		-o app/translations/messages.pot app catalog search media learning programme
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
