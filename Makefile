# bonescan: `make demo` and `make test` set everything up on a fresh Debian machine, then run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR := demo-output
# Debian packages: Pango and fonts for the PDF report (WeasyPrint); for the tests, dicom3tools
# (dciodvfy validates the DICOM bonescan writes), Chromium (the HTML report in a real browser) and
# poppler-utils (the PDF report's pages rendered to PNG).
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core dicom3tools chromium poppler-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint typecheck unit install system-deps clean

demo: install
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(BIN)/python -m bonescan.demo $(DEMO_DIR)

test: install lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests training benchmarks
	$(BIN)/ruff format --check src tests training benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

install: system-deps $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -c "import ensurepip" 2>/dev/null || \
		($(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

system-deps:
	@missing=""; \
	for package in $(APT_PACKAGES); do \
		dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

clean:
	rm -rf $(VENV) $(DEMO_DIR) .mypy_cache .ruff_cache .pytest_cache
