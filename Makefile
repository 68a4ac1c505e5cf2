# Two commands: `make run` (set up and serve with demo data), `make test` (set up and test).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
export FLASK_APP = web

.PHONY: run test setup setup-dev bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt

setup-dev: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt

run: setup
	$(BIN)/flask --app web db upgrade
	$(BIN)/flask --app web demo load
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/run-dev.sh

test: setup-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup-dev
	$(BIN)/python bench/lifecycle.py

clean:
	rm -rf $(VENV) instance .pytest_cache
