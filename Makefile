# Two commands for a fresh machine (Python 3.11+):
#   make run   - set up .venv and build the Auto City outputs into out/
#   make test  - set up .venv and run lint, type checks and the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: run test venv geodata bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

venv: $(BIN)/.installed

run: venv
	@# Exit status 1 means "built, but the area check failed" -- the honest result on the
	@# embedded data (see README); bad input or a refused --out (2), an internal error (3)
	@# and an interrupt (130) fail this target.
	$(BIN)/autocity-gis build --out out || [ $$? -eq 1 ]

test: venv
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

geodata: venv
	$(BIN)/python scripts/make_geodata.py

bench: venv
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) out
