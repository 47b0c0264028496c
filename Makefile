# Two commands on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
LLM_STAMP := $(VENV)/.installed-llm

.PHONY: install llm run ui chat test index lint bench chroma clean train

install: $(STAMP)

# llm answer mode's extra, on its own: compiling llama.cpp takes minutes that the default
# (extractive) chat page does not need. `make test` installs it, so llm mode is tested in CI.
llm: $(LLM_STAMP)

# torch first: the CPU build is on this machine's disk; a bare `torch` requirement would pull CUDA.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "torch==2.13.0"
	$(PIP) install -q -e ".[test]"
	$(PY) -m index.onnx_embed >/dev/null  # export MiniLM to ONNX once: the query path never loads torch
	$(PY) -m rag.answer.export >/dev/null  # the answer model: shipped adapter + installed base -> ONNX, and its int8 copy for re-ranking
	touch $(STAMP)

# llama-cpp-python compiles llama.cpp: GGML_NATIVE=OFF builds for AVX2, as a native build's AMX
# kernels crash (SIGSEGV at ldtilecfg) on VMs whose CPUs advertise AMX without enabling it.
# LLAVA_BUILD=OFF skips the multimodal library llm mode never loads: 491 s instead of 781 s here.
$(LLM_STAMP): $(STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" $(PIP) install -q -e ".[llm]"
	touch $(LLM_STAMP)

index: install
	$(VENV)/bin/rag index

# The chat page on http://127.0.0.1:$(PORT) (RAG_UI_AUTH=user:password to require a login).
PORT ?= 7860
run: index
	$(VENV)/bin/rag ui --port $(PORT)

ui: index
	$(VENV)/bin/rag ui --port $(PORT)

chat: index
	$(VENV)/bin/rag chat

test: install llm
	$(PY) -m pytest tests

lint: install
	$(VENV)/bin/ruff format --check rag index ui evals tests
	$(VENV)/bin/ruff check rag index ui evals tests
	$(VENV)/bin/mypy rag index

bench: install
	$(PY) -m evals.bench_core

# A Chroma server for server mode: RAG_CHROMA_URL=http://127.0.0.1:$(CHROMA_PORT) rag index / rag ask ...
CHROMA_PORT ?= 8000
CHROMA_PATH ?= .rag/chroma-server
chroma: install
	$(VENV)/bin/chroma run --path $(CHROMA_PATH) --host 127.0.0.1 --port $(CHROMA_PORT)

clean:
	rm -rf .rag .bench

# Rebuild the answer model (rag/answer/model/: adapter, metrics, model card) from SQuAD 2.0 in ../shared,
# seeded; about 55 min on 2 cores (idle). `make install` exports the result to ONNX.
train: install
	$(PY) -m train
	$(PY) -m rag.answer.export >/dev/null
