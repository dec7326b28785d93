# Set-up is two commands: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_WORKSPACE ?= build/mimika-demo.gpkg
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps re-run the install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/siapwisata demo --workspace $(DEMO_WORKSPACE)
	$(BIN)/siapwisata score --workspace $(DEMO_WORKSPACE)
	$(BIN)/siapwisata priorities --workspace $(DEMO_WORKSPACE)
	$(BIN)/siapwisata serve --workspace $(DEMO_WORKSPACE) --host $(HOST) --port $(PORT)

# Debian packages the test suite needs (a real Chromium for the browser test).
system-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		echo "installing chromium and chromium-driver (apt-get)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check geo api maps tests bench
	$(BIN)/mypy

test: $(VENV)/.installed-dev system-deps lint
	$(BIN)/python -m pytest

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
