# Articula: `make run` serves the demo edition on SQLite, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test test-postgres lint format bench bench-smoke clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -c 'import solver.breaks.local as l; l.compile_kernels()'  # numba, once: 5-7 s
	touch $@

run: install
	$(BIN)/articula db upgrade
	$(BIN)/articula demo
	$(BIN)/articula serve

test: install
	$(BIN)/pytest -q

# The database-backed tests again, against PostgreSQL (set ARTICULA_TEST_POSTGRES_URL).
test-postgres: install
	ARTICULA_TEST_DATABASE_URL=$${ARTICULA_TEST_POSTGRES_URL:?set ARTICULA_TEST_POSTGRES_URL} \
		$(BIN)/pytest -q -m "not nodb"

lint: install
	$(BIN)/ruff check app solver bench tests migrations
	$(BIN)/ruff format --check app solver bench tests migrations
	$(BIN)/lint-imports  # the layers and forbidden imports declared in pyproject.toml

format: install
	$(BIN)/ruff format app solver bench tests migrations
	$(BIN)/ruff check --fix app solver bench tests migrations

# The public B2B files are not in the repository: ARTICULA_B2B_DIR names their folder, by default
# the copy of shared/ beside the clone.
B2B_DIR ?= $(or $(ARTICULA_B2B_DIR),../shared/benchmarks/b2b)

bench: install
	ARTICULA_B2B_DIR=$(B2B_DIR) $(BIN)/python -m bench all

bench-smoke: install
	ARTICULA_B2B_DIR=$(B2B_DIR) $(BIN)/python -m bench smoke

clean:
	rm -rf $(VENV) articula.db outbox .pytest_cache
