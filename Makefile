# Set-up and everyday commands. Each target creates .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
JOBS ?= 2

.PHONY: demo test bench lint wheel clean browser notebook screenshots

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

# the browser tests drive Debian's headless Chromium; installed here when missing (CI runs as root)
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  echo "installing chromium and chromium-driver for the browser tests"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends chromium chromium-driver; \
	fi

test: $(VENV)/.installed-test browser
	MPLBACKEND=Agg $(BIN)/python -m pytest -n $(JOBS) -p no:cacheprovider

# docs/tutorial.ipynb is made from docs/tutorial.md (the one source)
notebook: $(VENV)/.installed-test
	$(BIN)/jupytext --to ipynb -o docs/tutorial.ipynb docs/tutorial.md

# the README's screenshots of the stepping page (and the pages' sizes and load times)
screenshots: $(VENV)/.installed-test browser
	$(BIN)/python tools/screenshots.py

bench: $(VENV)/.installed-test
	MPLBACKEND=Agg $(BIN)/chaingrad bench

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests examples benchmarks tools docs
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
