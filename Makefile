# Every target sets itself up: a fresh machine needs only python3 (>= 3.10), gcc and the Python headers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: all install demo test bench sanitize lint clean

all: test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The package is installed in editable mode: pip's build isolation fetches setuptools>=77 and
# cffi>=2 and compiles csrc/ into src/verifiable/_native*.so. Any change under csrc/ reinstalls.
$(STAMP): $(BIN)/python pyproject.toml setup.py $(wildcard csrc/*)
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	# merkletools 1.0.3 declares pysha3, which does not build on Python >= 3.10; merkletools
	# imports and works without it (it only warns), so it is installed without its dependencies.
	$(BIN)/python -m pip install -q --no-deps merkletools==1.0.3
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m verifiable.demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-only \
		--benchmark-columns=min,median,mean,rounds --benchmark-sort=name \
		--benchmark-json=benchmarks/results.json $(PYTEST_ARGS)
	$(BIN)/python benchmarks/report.py benchmarks/results.json

# The whole suite against a kernel built with AddressSanitizer and UBSan, then a normal rebuild.
sanitize: $(STAMP)
	$(BIN)/python -m pip install -q 'setuptools>=77' 'cffi>=2'
	VERIFIABLE_SANITIZE=1 VERIFIABLE_DEBUG=1 $(BIN)/python setup.py -q build_ext --inplace --force
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 LD_PRELOAD="$$(gcc -print-file-name=libasan.so) $$(gcc -print-file-name=libubsan.so)" \
		$(BIN)/python -m pytest -x -q -p no:cacheprovider $(PYTEST_ARGS); \
		status=$$?; $(BIN)/python setup.py -q build_ext --inplace --force; exit $$status

lint: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[lint]'
	$(BIN)/python -m ruff check src tests benchmarks
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) build src/*.egg-info src/verifiable/_native* .pytest_cache .hypothesis
