# Hearth: `make demo` and `make test` are the two commands; both start with `make install`.
# `make install` includes the `second-stage` extra (docs/analysis.md): the product runs without it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HEARTH_DATA_DIR ?= $(CURDIR)/var

.PHONY: install demo test test-fast serve models lint lock clean

MO := $(patsubst %.po,%.mo,$(wildcard src/hearth/locale/*/LC_MESSAGES/django.po))

install: $(STAMP) node_modules/.installed $(MO)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,second-stage]'
	@touch $@

# The compiled catalogues are built, never committed (a .po merges; a .mo does not).
src/hearth/locale/%/LC_MESSAGES/django.mo: src/hearth/locale/%/LC_MESSAGES/django.po $(STAMP)
	$(BIN)/pybabel -q compile -i $< -o $@ -l $* -D django

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Loads the demo community into ./var, then serves the app and its worker on http://127.0.0.1:8000.
demo: install
	$(BIN)/hearth migrate --verbosity 0
	$(BIN)/hearth demo --serve

# The suite runs on JOBS parallel workers (pytest-xdist, one test file per worker at a time), each
# with its own data dir, so no two workers share a broker folder, a media file or a database.
JOBS ?= 2
ifeq ($(JOBS),1)
XDIST :=
else
XDIST := --dist loadfile $(foreach n,$(shell seq 1 $(JOBS)),--tx popen//env:HEARTH_DATA_DIR=$(HEARTH_DATA_DIR)/test-worker-$(n))
endif

# The whole suite runs in two sessions: the browser tests keep a Playwright loop and live servers
# alive for their worker's whole session, which must not leak into the other tests' workers.
test: install
ifeq ($(strip $(PYTEST_ARGS)),)
	$(BIN)/python -m pytest -q $(XDIST) -m "not browser"
	$(BIN)/python -m pytest -q $(XDIST) -m browser
else
	$(BIN)/python -m pytest -q $(XDIST) $(PYTEST_ARGS)
endif

test-fast: install
	$(BIN)/python -m pytest -q -m "not browser" -x $(PYTEST_ARGS)

# Rebuilds the shipped analysis weights from ../shared/data (license-compatible files only): the
# fast stage's, then the second stage's heads (skipped, with a note, without the extra; its
# embeddings are kept in var/ between runs).
models: install
	$(BIN)/python -m hearth.analysis.train --data ../shared/data --out src/hearth/analysis/weights
	$(BIN)/python -m hearth.analysis.train_second --data ../shared/data --out src/hearth/analysis/weights --cache $(HEARTH_DATA_DIR)/second-stage-embeddings.npz

# Style (ruff), formatting (ruff format), the import contract (.importlinter) and types (mypy).
lint: install
	$(BIN)/ruff check src tests conftest.py
	$(BIN)/ruff format --check src tests conftest.py
	$(BIN)/lint-imports
	$(BIN)/mypy

# Re-pins every dependency after a change to pyproject.toml, from a fresh venv so that nothing
# installed by hand in .venv leaks into the lock.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -e '.[dev,second-stage]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^hearth' > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) node_modules var
