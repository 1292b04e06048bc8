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

.PHONY: env train test bench play build clean

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

test: build
	$(VENV_PYTHON) -m pytest -q

bench: build
	$(VENV_PYTHON) -m pyzero bench

play: build
	$(VENV_PYTHON) -m pyzero play $(CONFIG)

clean:
	rm -rf pyzero/_engine_build
