# Two commands on a fresh machine with Python 3.11+ and make: `make run`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint examples fuzz unit bench bench-smoke soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,fast]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/sora-mock $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check sora_mock tests examples bench
	$(BIN)/ruff format --check sora_mock tests examples bench
	$(BIN)/mypy
	$(BIN)/hadolint --failure-threshold info Dockerfile

# the downstream example is a project of its own (its own pytest.ini): run before the main suite,
# whose summary stays the last line
examples: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider examples/downstream
	$(BIN)/python -m pytest -q -p no:cacheprovider examples/downstream --sora-mock-variants=random

# schemathesis against a live server on loopback, from its own /openapi.json; then again with
# every answer in a drawn documented form (variants = random), which the document describes too
fuzz: $(STAMP)
	bash .ci/schemathesis.sh
	VARIANTS=random EXAMPLES=20 bash .ci/schemathesis.sh

unit: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

test: lint examples unit

# throughput, latency, start-up, fixture cost and memory against bare aiohttp; writes bench/RESULTS.md
bench: $(STAMP)
	$(BIN)/python bench/run.py

# every step of the bench, briefly and side by side: proves it works, measures nothing
bench-smoke: $(STAMP)
	$(BIN)/python bench/run.py --smoke
	$(BIN)/python bench/soak.py --minutes 0.1 --every 3 --max-tasks 2000 --ledger-size 200

# the memory of a warmed-up server (task store and ledgers full) and a cold one under MINUTES (10)
# of the same mixed traffic, side by side (not in CI)
soak: $(STAMP)
	$(BIN)/python bench/soak.py --minutes $(or $(MINUTES),10) $(SOAK_ARGS)

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache
