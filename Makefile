# eolink — two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_DIR ?= demo-data
PORT ?= 8000
VENDOR := eolink/app/static/vendor
PYTEST_ARGS ?=

# Debian packages the tests need (PostGIS for the SQL sources and the store benchmark, Chromium for browser tests).
APT_PACKAGES ?= postgresql postgis chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all install web sysdeps demo demo-build test serve clean

all: install web

# Installs the Debian packages that are missing (needs root or sudo; skipped with a warning elsewhere).
sysdeps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null && { [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null; }; then \
	    echo "==> installing Debian packages:$$missing"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "==> warning: cannot install$$missing (no apt-get/root); tests that need them are skipped"; fi; \
	fi

# The virtualenv, rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@echo "==> creating $(VENV) with $(PYTHON) and installing eolink (editable) with its dependencies"
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@echo "==> torch 2.13.0 (CPU wheel) first, so nothing pulls a CUDA build"
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[dev,search]"
	touch $@

install: $(VENV)/.installed

# Front-end libraries from the npm registry, served by eolink itself (no CDN).
$(VENDOR)/.installed: web/package.json web/package-lock.json web/build.mjs web/src/editor.js web/src/geo.js
	@echo "==> installing the map's npm packages and building them into $(VENDOR)"
	npm ci --prefix web --no-audit --no-fund --loglevel=error
	npm run --prefix web --silent build
	touch $@

web: $(VENDOR)/.installed

demo-build: install web
	@echo "==> building the demo world into $(DEMO_DIR) (samples, ingest, links)"
	$(VENV)/bin/eolink demo --no-serve --data-dir $(DEMO_DIR)

demo: install web
	@echo "==> building the demo world into $(DEMO_DIR) and serving it on http://127.0.0.1:$(PORT)"
	$(VENV)/bin/eolink demo --data-dir $(DEMO_DIR) --port $(PORT)

serve: install web
	$(VENV)/bin/eolink serve --data-dir $(DEMO_DIR) --port $(PORT)

test: install web sysdeps
	@echo "==> running the test suite"
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(VENDOR) web/node_modules $(DEMO_DIR) .pytest_cache
