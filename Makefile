# Set-up and everyday commands. Each target creates .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
JOBS ?= 2

.PHONY: demo test bench lint clean

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

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info chaingrad-demo
