# protocolkit: the two commands that matter are `make demo` and `make test`.
# Both create .venv and install what they need; nothing is installed by hand.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PK     := $(VENV)/bin/protocolkit
STAMP  := $(VENV)/.installed-core
EXAMPLE := examples/mash
OUT    := out

.PHONY: demo test lab workshop setup system-deps bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,bench,workbench]'
	touch $(STAMP)

setup: $(STAMP)

# Debian packages the tests use (Graphviz for diagrams). Installed only when running as root.
system-deps:
	@bash scripts/system-deps.sh

## demo: set up, validate the shipped example, print its summary, run its sample cases, export it, and build
## the evidence pack of the guided notebooks (out/evidence: executed notebooks, HTML pages, the agreement)
demo: setup
	$(PK) validate $(EXAMPLE)
	$(PK) summary $(EXAMPLE)
	@mkdir -p $(OUT)
	$(PK) test $(EXAMPLE) --junit $(OUT)/junit.xml --json $(OUT)/results.json
	$(PK) export $(EXAMPLE) --format all --out $(OUT)/export
	$(PK) notebooks $(EXAMPLE) --out $(OUT)/evidence

## test: set up, then run the whole suite (library, doctests, example, command line)
test: setup system-deps
	$(PY) -m pytest -n 2 -q --durations=15
	$(PY) -m pytest -q -n 2 -m large tests --durations=10

## lab: open JupyterLab on the guided notebooks 01 to 05, set up for the example (PROTOCOL=path for another)
PROTOCOL ?= $(EXAMPLE)
lab: setup
	$(PK) lab $(PROTOCOL)

## workshop: serve the workshop page for the example in a browser (Voila, offline, 127.0.0.1 only)
workshop: setup
	$(PK) workshop $(EXAMPLE)

## bench: the benchmarks (decisions per second against Cedar, workshop re-evaluation)
bench: setup
	$(PY) benchmarks/run.py
	$(PY) benchmarks/guarantees.py
	$(PY) benchmarks/exports.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis
