# Set-up is two commands: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_WORKSPACE ?= build/mimika-demo.gpkg
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes (pytest-xdist). Two by default: the reference machine has 2 cores, and each
# worker builds its own real-extract workspaces (~2 GB), so "auto" could exhaust memory.
TEST_WORKERS ?= 2

.PHONY: demo test test-full lint system-deps assets notebooks wheel-smoke clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps re-run the install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml node_modules/.installed | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml node_modules/.installed | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

# Map front-end files (Leaflet and plugins) from the npm registry, pinned by
# package-lock.json, into node_modules/ (git-ignored; maps/npm links to it). The API serves
# them itself (no CDN); a built wheel carries copies, so npm is needed to build, not to run.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { \
		echo "installing npm (apt-get)"; SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq npm >/dev/null; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

assets: node_modules/.installed

demo: $(VENV)/.installed
	$(BIN)/siapwisata demo --workspace $(DEMO_WORKSPACE)
	$(BIN)/siapwisata score --workspace $(DEMO_WORKSPACE)
	$(BIN)/siapwisata priorities --workspace $(DEMO_WORKSPACE)
	$(BIN)/siapwisata serve --workspace $(DEMO_WORKSPACE) --host $(HOST) --port $(PORT)

# WeasyPrint's system libraries (the PDF reports: Pango, its FreeType backend and
# HarfBuzz's subsetter, per WeasyPrint's installation notes for Debian) and a font with
# the glyphs of Bahasa Indonesia; installed only when dpkg does not list one of them.
PDF_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core

# Debian packages the test suite needs (a real Chromium for the browser test; WeasyPrint's
# libraries for the PDF reports, which `siapwisata report` needs at run time too).
system-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		echo "installing chromium and chromium-driver (apt-get)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium chromium-driver >/dev/null; \
	fi
	@missing=""; for p in $(PDF_DEBS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing for WeasyPrint (apt-get)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq $$missing >/dev/null; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check geo api maps tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# --durations: CI's log names the slowest tests, so the suite's time stays known.
test: $(VENV)/.installed-dev system-deps lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal --durations=20
	$(MAKE) wheel-smoke

# Before a release: the slowest agreement and stress tests exhaustively (tests/_depth.py),
# about ten more minutes.
test-full:
	SIAPWISATA_TEST_DEPTH=full $(MAKE) test

# The wheel alone: built, installed into a fresh venv, run from an empty folder, browser-tested.
wheel-smoke: $(VENV)/.installed-dev system-deps
	PYTHON=$(BIN)/python BASE_PYTHON=$(PYTHON) bash tests/wheel_smoke.sh

# Analyst notebooks (README "Notebook analis"): works from a fresh clone.
$(VENV)/.installed-notebooks: pyproject.toml node_modules/.installed | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[notebooks]'
	touch $(VENV)/.installed $@

notebooks: $(VENV)/.installed-notebooks
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
