# Two commands on a fresh machine with Python 3.11+ and make: `make run`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make run` installs what the server needs; `make test` adds the test tools: each once
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
DIST_STAMP := $(VENV)/.installed-dist
DOCS_STAMP := $(VENV)/.installed-docs
# The editable install leaves sora_mock as source, and PYTHONDONTWRITEBYTECODE (set here and in
# the container) stops Python from caching what it compiles: every start would compile the whole
# package again (a third of its start-up). Compile it as pip compiles an installed wheel; a file
# edited later is newer than its .pyc, so Python compiles that one file again until the next make.
COMPILE := $(BIN)/python -m compileall -q sora_mock

.PHONY: run test lint docs docs-build docs-tables examples fuzz unit dist wheel-check bench bench-smoke soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[fast]'
	$(COMPILE)
	touch $(RUN_STAMP)

# `make docs` needs the package (the site's tables are made from it) and mkdocs-material only
$(DOCS_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	$(COMPILE)
	touch $(DOCS_STAMP) $(RUN_STAMP)

$(DIST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dist]'
	$(COMPILE)
	touch $(DIST_STAMP) $(RUN_STAMP)

# the test extra includes the runtime and the build tools, so it stands for their stamps too
$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,fast]'
	$(COMPILE)
	touch $(TEST_STAMP) $(DIST_STAMP) $(DOCS_STAMP) $(RUN_STAMP)

run: $(RUN_STAMP)
	@$(COMPILE)
	$(BIN)/sora-mock $(ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check sora_mock tests examples bench docs
	$(BIN)/ruff format --check sora_mock tests examples bench docs/hooks.py
	$(BIN)/mypy
	$(BIN)/hadolint --failure-threshold info Dockerfile

# the documentation site (mkdocs.yml), served with live reload on http://127.0.0.1:8001
docs: $(DOCS_STAMP)
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8001

# rewrite the reference tables committed in docs/*.md from the code (docs/hooks.py); the build
# and tests/unit/test_docs_tables.py fail while a committed table differs from the code's
docs-tables: $(DOCS_STAMP)
	$(BIN)/python docs/hooks.py --write

# the site built with --strict (a broken link, a page not in the nav, a table the hook cannot
# make fails), into a temporary folder, not the tree; tests/docs runs its examples
docs-build: $(TEST_STAMP)
	@site=$$(mktemp -d) && trap 'rm -rf "$$site"' EXIT && \
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir "$$site" && \
	echo "docs: mkdocs build --strict passed"

# the downstream example is a project of its own (its own pytest.ini): run before the main suite,
# whose summary stays the last line
examples: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider examples/downstream
	$(BIN)/python -m pytest -q -p no:cacheprovider examples/downstream --sora-mock-variants=random

# schemathesis against a live server on loopback, from its own /openapi.json; then again with
# every answer in a drawn documented form (variants = random), which the document describes too
fuzz: $(TEST_STAMP)
	bash .ci/schemathesis.sh
	VARIANTS=random EXAMPLES=20 bash .ci/schemathesis.sh

unit: $(TEST_STAMP)
	@$(COMPILE)
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

test: lint docs-build examples unit

# the wheel and the sdist in dist/: `pip install dist/sora_mock-*.whl` anywhere
dist: $(DIST_STAMP)
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist .

# build the wheel, install it in a fresh venv outside the tree, run a test that uses the fixture
wheel-check: dist
	bash .ci/wheel-check.sh

# throughput, latency, start-up, fixture cost and memory against bare aiohttp; writes bench/RESULTS.md
bench: $(TEST_STAMP)
	$(BIN)/python bench/run.py

# every step of the bench, briefly and side by side: proves it works, measures nothing
bench-smoke: $(TEST_STAMP)
	$(BIN)/python bench/run.py --smoke
	$(BIN)/python bench/soak.py --minutes 0.1 --every 3 --max-tasks 2000 --ledger-size 200

# the memory of a warmed-up server (task store and ledgers full) and a cold one under MINUTES (10)
# of the same mixed traffic, side by side (not in CI)
soak: $(TEST_STAMP)
	$(BIN)/python bench/soak.py --minutes $(or $(MINUTES),10) $(SOAK_ARGS)

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache
