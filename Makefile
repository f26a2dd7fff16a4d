# Harken — developer commands.  `make demo` to try it, `make test` before you push.
# Needs GNU make and Python >= 3.11.  Browser tests use Debian's Chromium (/usr/bin/chromium), never
# `playwright install`; `.ci/run` installs Chromium and starts PostgreSQL so that nothing is skipped.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Where `make demo` keeps its SQLite database and secret key (tests always use a throwaway directory).
HARKEN_DATA_DIR ?= $(CURDIR)/var
export HARKEN_DATA_DIR

# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k overview -x"`.
PYTEST_ARGS ?=

# Run a command with HARKEN_DATA_DIR in a fresh temporary directory, removed afterwards.
WITH_TEMP_DATA_DIR = tmp=$$(mktemp -d -t harken-test.XXXXXX) && trap 'rm -rf "$$tmp"' EXIT && HARKEN_DATA_DIR="$$tmp"

.PHONY: install demo test test-sqlite test-postgres lint clean distclean help

help:
	@echo "make install   create $(VENV) and install Harken with its dev tools"
	@echo "make demo      load the demo company into $(HARKEN_DATA_DIR) and serve it on http://127.0.0.1:8000"
	@echo "make test      ruff, mypy, then pytest on SQLite and (with HARKEN_TEST_DATABASE_URL) PostgreSQL"
	@echo "make lint      ruff and mypy only"
	@echo "make clean     remove caches and test artifacts (keeps $(VENV) and var/)"

# --- Installing ------------------------------------------------------------------------------------------

install: $(STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "Harken needs Python >= 3.11; '$(PYTHON)' is $$($(PYTHON) --version 2>&1 || echo missing)." >&2; \
	  echo "Run e.g. 'make PYTHON=python3.11 ...'." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# The `embeddings` extra (theme discovery by sentence embeddings) needs PyTorch, CPU build only: when its wheel
# is on this machine it is installed first, so pip never fetches the CUDA build, then the extra (CI tests it).
TORCH_WHEEL ?= $(firstword $(wildcard /opt/wheels/torch-*+cpu-*.whl))

# Reinstalled whenever pyproject.toml changes; otherwise `make install` does nothing.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@if [ -n "$(TORCH_WHEEL)" ]; then \
	  echo "Installing the embeddings extra (CPU PyTorch from $(TORCH_WHEEL))"; \
	  $(BIN)/python -m pip install --quiet "$(TORCH_WHEEL)" && $(BIN)/python -m pip install --quiet -e '.[dev,embeddings]'; \
	fi
	@touch $@

# --- Trying it -------------------------------------------------------------------------------------------

# Loads the demo data only into an empty database, so `make demo` can be run again and again.
demo: install
	$(BIN)/harken migrate
	@has_data=$$($(BIN)/harken shell -v 0 -c 'from harken.org.models import Unit; print(Unit.objects.exists())'); \
	if [ "$$has_data" = "True" ]; then \
	  echo "The database in $(HARKEN_DATA_DIR) already has data: not loading the demo again (delete that directory to start over)."; \
	  echo "Open http://127.0.0.1:8000 and log in as admin, analyst, manager or frontline with the password harken-demo."; \
	else \
	  $(BIN)/harken demo; \
	fi
	$(BIN)/harken serve --host 127.0.0.1 --port 8000

# --- Checking --------------------------------------------------------------------------------------------

test: lint test-sqlite test-postgres

# mypy loads the Django settings, so it gets a throwaway data dir too.
lint: install
	$(BIN)/ruff check .
	@$(WITH_TEMP_DATA_DIR) $(BIN)/mypy harken

test-sqlite: install
	@echo "=== pytest on SQLite ==="
	@$(WITH_TEMP_DATA_DIR) env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

# The whole suite again on PostgreSQL, when .ci/run (or you) provide a server to create test databases on.
test-postgres: install
	@if [ -n "$$HARKEN_TEST_DATABASE_URL" ]; then \
	  echo "=== pytest on PostgreSQL ==="; \
	  $(WITH_TEMP_DATA_DIR) DATABASE_URL="$$HARKEN_TEST_DATABASE_URL" $(BIN)/pytest $(PYTEST_ARGS); \
	elif [ "$$HARKEN_REQUIRE_ALL" = 1 ]; then \
	  echo "*** PostgreSQL run FAILED: HARKEN_REQUIRE_ALL=1 but HARKEN_TEST_DATABASE_URL is not set (see .ci/run) ***"; \
	  exit 1; \
	else \
	  echo "*** PostgreSQL run SKIPPED: HARKEN_TEST_DATABASE_URL is not set (see .ci/run) ***"; \
	fi

# --- Tidying ---------------------------------------------------------------------------------------------

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis test-artifacts build dist *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
