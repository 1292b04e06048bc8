# The two commands of the README, for a machine with only Python 3.11 and pip:
#   make train CONFIG=configs/tictactoe.yaml   (the main job)
#   make test                                  (the whole test suite, Mojo tests included)
# Each creates or updates the virtual environment in .venv first. pixi users have the
# same tasks in pixi.toml (pixi run train / test / bench / play).

PYTHON ?= python3
VENV ?= .venv
CONFIG ?= configs/tictactoe.yaml
VENV_PYTHON := $(VENV)/bin/python
# The stamp records that .venv matches pyproject.toml; editing it reinstalls.
STAMP := $(VENV)/.pyzero-installed

.PHONY: env train test test-quick test-slow fuzz bench play build clean test-tools

env: $(STAMP)

# PyTorch is pinned here only: pyproject.toml keeps a range so GPU users get their CUDA
# build; 2.13.0 is the CPU build this project's machines install from local disk.
TORCH_LOCAL ?= torch==2.13.0

$(STAMP): pyproject.toml
	@test -x $(VENV_PYTHON) || $(PYTHON) -m venv $(VENV)
	$(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check '$(TORCH_LOCAL)'
	$(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

build: env
	$(VENV_PYTHON) -m pyzero build

train: build
	$(VENV_PYTHON) -m pyzero train $(CONFIG)

test: build test-tools
	$(VENV_PYTHON) -m pytest -q -m "not slow"

# The tiers: quick (a fast test of every file, under two minutes on 2 cores), the whole
# suite (make test, what CI runs) and slow (long checks: the fuzzers at their long setting
# and tests marked slow).
test-quick: build
	$(VENV_PYTHON) -m pytest -q -m quick

test-slow: build
	PYZERO_FUZZ=long $(VENV_PYTHON) -m pytest -q -m "fuzz or slow"

# The fuzzers of outside inputs at their long setting (thousands of inputs each).
fuzz: build
	PYZERO_FUZZ=long $(VENV_PYTHON) -m pytest -q -m fuzz

# Programs the tests drive, from Debian: chromium (the web interface's browser tests,
# tests/test_web_browser.py, through Playwright, which downloads no browser here) and
# stockfish (the chess arena's opponent, tests/test_chess_uci.py). CI runs `make test` as
# root on a fresh Debian machine, so whatever is missing is installed with apt-get.
CHROMIUM ?= /usr/bin/chromium
STOCKFISH ?= /usr/games/stockfish
test-tools:
	@missing=""; test -x $(CHROMIUM) || missing="$$missing chromium"; \
	test -x $(STOCKFISH) || missing="$$missing stockfish"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian's$$missing for the tests (apt-get install) ..."; \
	  { apt-get install -y -q $$missing || { apt-get update -q && apt-get install -y -q $$missing; }; } >/dev/null 2>&1; \
	  test -x $(CHROMIUM) && test -x $(STOCKFISH) || { \
	    echo "error: could not install$$missing with apt-get (needs root and Debian's package lists);" \
	         "install Debian's packages chromium and stockfish, or set CHROMIUM= and PYZERO_CHROMIUM= (and" \
	         "STOCKFISH=) to their paths, then run make test again" >&2; exit 1; }; \
	fi

bench: build
	$(VENV_PYTHON) -m pyzero bench

play: build
	$(VENV_PYTHON) -m pyzero play $(CONFIG)

clean:
	rm -rf pyzero/_native_build
