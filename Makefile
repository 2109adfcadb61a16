# Two entry points on a fresh clone: `make verify` and `make test`.
# Each creates or refreshes .venv from pyproject.toml, then runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: verify verify-full test test-all bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

verify: $(STAMP)
	$(BIN)/logitreg verify

verify-full: $(STAMP)
	$(BIN)/logitreg verify --full
	$(BIN)/python -m pytest -m slow

test: $(STAMP)
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
