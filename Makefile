# The commands a person and CI run alike; each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/push-emulator serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy emulator tests bench

# Two workers, each file on one of them (its module fixtures started once).
test: lint
	$(BIN)/pytest -n 2 --dist loadfile

BENCH_STAMP := $(VENV)/.bench-stamp

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python bench/run.py
	$(BIN)/python bench/webhooks.py
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/inspection.py
	$(BIN)/python bench/users.py
	$(BIN)/python bench/rowcost.py
	$(BIN)/python bench/reliability.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
