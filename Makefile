# Two commands for a fresh machine (Python 3.11+):
#   make run   - set up .venv and build the Auto City outputs into out/
#   make test  - set up .venv and run lint, type checks and the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: run test venv browser-driver geodata bench docs clean

# -qq: errors only. The editable install of this layout (geodata/ mapped into the package) goes
# through setuptools' import finder, which prints a ten-line notice on every install; packaging
# warnings that matter are caught by tests/test_packaging.py, which builds a wheel verbosely.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[test]'
	touch $@

venv: $(BIN)/.installed

run: venv
	@# Exit status 1 means "built, but the area check failed" -- the honest result on the
	@# embedded data (see README); bad input or a refused --out (2), an internal error (3)
	@# and an interrupt (130) fail this target.
	$(BIN)/autocity-gis build --out out || [ $$? -eq 1 ]

# The real-browser tests drive Debian's Chromium through playwright-core (tests/browser, no
# browser download). Fetched when npm is there, again only when the lock file changes (the
# stamp is the one .ci/setup-browser.sh writes); without npm, or offline, those tests skip
# and say how to enable them.
NPM          ?= npm
BROWSER_LOCK  = tests/browser/package-lock.json
BROWSER_STAMP = tests/browser/node_modules/.installed-lock

browser-driver:
	@if command -v $(NPM) >/dev/null 2>&1 && ! cmp -s $(BROWSER_LOCK) $(BROWSER_STAMP); then \
		echo "Installing the browser tests' driver (npm ci in tests/browser)"; \
		(cd tests/browser && $(NPM) ci --no-audit --no-fund --loglevel=error >/dev/null) \
			&& cp $(BROWSER_LOCK) $(BROWSER_STAMP) \
			|| echo "npm ci failed in tests/browser: the browser tests will skip"; \
	fi

test: venv browser-driver
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

geodata: venv
	$(BIN)/python scripts/make_geodata.py

docs: venv browser-driver
	$(BIN)/python scripts/screenshots.py

bench: venv
	$(BIN)/python benchmarks/run.py
	@# The overlay engine (issue 14) on 10^4 - 10^6 SYNTHETIC parcels vs geopandas and QGIS.
	$(BIN)/python benchmarks/overlays.py --sizes 10000,100000,1000000

clean:
	rm -rf $(VENV) out
