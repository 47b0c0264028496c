# Two commands on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: install run test index lint bench clean

install: $(STAMP)

# torch first: the CPU build is on this machine's disk; a bare `torch` requirement would pull CUDA.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "torch==2.13.0"
	$(PIP) install -q -e ".[test]"
	touch $(STAMP)

index: install
	$(VENV)/bin/rag index

run: index
	$(VENV)/bin/rag chat

test: install
	$(PY) -m pytest tests

lint: install
	$(VENV)/bin/ruff format --check rag index ui evals tests
	$(VENV)/bin/ruff check rag index ui evals tests
	$(VENV)/bin/mypy rag index

bench: install
	$(PY) -m evals.bench_core

clean:
	rm -rf .rag .bench
