# Two entry points on a fresh clone: `make verify` and `make test`.
# Each creates or refreshes .venv from pyproject.toml, then runs.
# `make notebooks` (optional extra `notebooks`) executes notebooks/*.py into
# notebooks/_build/NAME.ipynb with outputs and NAME.html.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NB_STAMP := $(VENV)/.installed-notebooks
NOTEBOOKS := $(sort $(wildcard notebooks/*.py))
NB_BUILD := notebooks/_build

.PHONY: verify verify-full test test-all bench notebooks docs clean

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
	$(BIN)/lint-imports
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

# The notebook tools are an extra on top of `.[test]`: `make test` never needs them.
$(NB_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,notebooks]'
	touch $(NB_STAMP)

notebooks: $(NB_STAMP)
	mkdir -p $(NB_BUILD)
	@set -e; for nb in $(NOTEBOOKS); do \
		name=$$(basename $$nb .py); \
		echo "== $$nb -> $(NB_BUILD)/$$name.ipynb, $$name.html"; \
		$(BIN)/jupytext --to ipynb --execute --output $(NB_BUILD)/$$name.ipynb $$nb; \
		$(BIN)/jupyter nbconvert --to html --log-level WARN $(NB_BUILD)/$$name.ipynb; \
	done

# `make docs` (extra `docs`): the site in docs/_build/html, Sphinx with warnings as errors
# and every cross-reference checked (-n). It first writes the latest `logitreg verify
# --json` (~80 s on one core) and every figure at default size (~40 s); the tutorials show
# outputs when `make notebooks` wrote notebooks/_build/*.ipynb (`make notebooks docs`).
DOCS_BUILD := docs/_build
DOCS_STAMP := $(VENV)/.installed-docs

$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	mkdir -p $(DOCS_BUILD)
	rm -rf $(DOCS_BUILD)/verify.json $(DOCS_BUILD)/figures
	$(BIN)/logitreg verify --json $(DOCS_BUILD)/verify.json \
		|| echo "make docs: some checks failed or crashed; the claims page shows what was recorded"
	$(BIN)/logitreg figure all -o $(DOCS_BUILD)/figures --no-progress \
		|| echo "make docs: some figures failed; the pages list them without an image"
	$(BIN)/sphinx-build -W --keep-going -n -b html -d $(DOCS_BUILD)/doctrees docs $(DOCS_BUILD)/html
	@echo "make docs: open $(DOCS_BUILD)/html/index.html"

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis $(NB_BUILD) $(DOCS_BUILD) docs/_generated
