# Set-up and everyday commands. Each target creates .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
JOBS ?= 2

.PHONY: demo test bench lint wheel clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	MPLBACKEND=Agg $(BIN)/chaingrad demo

test: $(VENV)/.installed-test
	MPLBACKEND=Agg $(BIN)/python -m pytest -n $(JOBS) -p no:cacheprovider

bench: $(VENV)/.installed-test
	MPLBACKEND=Agg $(BIN)/chaingrad bench

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests examples benchmarks
	$(BIN)/python -m mypy

# Build the wheel and install it into a fresh virtual environment, away from this checkout.
wheel: $(VENV)/.installed-test
	rm -rf dist build/wheel-check
	$(BIN)/python -m build --wheel --outdir dist
	$(PYTHON) -m venv build/wheel-check
	build/wheel-check/bin/python -m pip install --quiet dist/*.whl
	cd build && wheel-check/bin/chaingrad --version && wheel-check/bin/python -c \
	  "import chaingrad, chaingrad.vision, pathlib; assert 'wheel-check' in chaingrad.__file__; \
	  assert (pathlib.Path(chaingrad.__file__).parent / 'py.typed').exists(); print('imports from', chaingrad.__file__)"

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info chaingrad-demo
