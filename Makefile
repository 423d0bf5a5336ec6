# Two commands for a new machine with Python 3.11 and make:
#   make demo   set up .venv and run the weekly digest on the embedded defaults
#   make test   set up .venv and run the whole test suite

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := . plugins/email plugins/mastodon plugins/x plugins/bluesky
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench clean

$(STAMP): pyproject.toml plugins/*/pyproject.toml
	@echo "Setting up $(VENV): Publisher, its email, Mastodon, X and Bluesky plugins, and test tools..."
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -qq --upgrade pip
	@$(BIN)/python -m pip install -qq $(foreach p,$(PACKAGES),-e $(p)) -e '.[test]'
	@touch $(STAMP)
	@echo "Set up: $(VENV)/bin/publisher"

demo: $(STAMP)
	@bash scripts/demo.sh

test: $(STAMP)
	@bash scripts/test-services.sh
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# make bench QUICK=1: smaller lists and archives, for development.
bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/render.py
	$(BIN)/python bench/digest.py $(if $(QUICK),--quick)
	$(BIN)/python bench/fanout.py $(if $(QUICK),--quick)

clean:
	rm -rf $(VENV) demo preview .pytest_cache .mypy_cache .import_linter_cache .grimp_cache
