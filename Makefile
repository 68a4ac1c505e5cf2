# Two commands: `make run` (set up and serve with demo data), `make test` (set up and test).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
export FLASK_APP = web

.PHONY: run test setup setup-dev bench clean translations docs docs-serve setup-docs

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt

setup-dev: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	bash scripts/install-browser.sh
	bash scripts/install-axe.sh
	bash scripts/install-fonts.sh
	bash scripts/install-bench-tools.sh

run: setup
	$(BIN)/flask --app web db upgrade
	$(BIN)/flask --app web demo load
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/run-dev.sh

test: setup-dev
	$(DOCS_BUILD)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# the documentation site (docs/, mkdocs.yml): strict, so a broken link or anchor fails;
# docs/hooks.py writes the REST API's OpenAPI document from the app before each build
DOCS_BUILD = NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
setup-docs: setup
	$(BIN)/pip install --quiet -r requirements-docs.txt

docs: setup-docs
	$(DOCS_BUILD)

docs-serve: setup-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --strict

# every benchmark beside its reference, one table (BENCH_ARGS=--quick for a smoke run)
bench: setup-dev
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

# after changing page texts: extract (Vietnamese is the source), merge into the English
# catalog, fill the new msgstr in web/translations/en/LC_MESSAGES/messages.po, run again
translations: setup
	$(BIN)/pybabel extract -F web/babel.cfg --no-default-keywords -k _ -k _l -k ngettext:1,2 \
	  --no-location --sort-output \
	  -o web/translations/messages.pot web
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations --no-fuzzy-matching --no-wrap
	$(BIN)/pybabel compile -d web/translations

clean:
	rm -rf $(VENV) instance .pytest_cache site
