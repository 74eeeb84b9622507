# The README's commands: `make run` and `make test`. Everything else is a step of them.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LANGS := fr es uk ar km

export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONWARNINGS := ignore::DeprecationWarning

.PHONY: run test lint eval install catalogs messages train check validate pytest stories lock clean

## run: set up, train if needed, start the Rasa server (5005) and action server (5055)
run: train
	$(BIN)/bot serve

## test: set up, train if needed, run every check and test
test: train check validate pytest stories

$(PY):
	@python="$$(scripts/find-python310)" && echo "Creating $(VENV) with $$python" && "$$python" -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check "pip==24.2"
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## catalogs: write locales/*/LC_MESSAGES/messages.mo (what is served: translations, and the previous
## translation of an edited English text until it is reviewed) and print translated / needs review /
## missing per language (`bot content status` lists them); draw content/pictures/*.svg as
## var/pictures/*.png for Telegram
catalogs: install
	@$(BIN)/bot content compile
	@$(BIN)/bot content pictures

## messages: after editing English text in domain.yml, refresh messages.pot and every .po
## (pybabel extract + update, keeping the `# response:` notes that tell an edit from another message)
messages: install
	$(BIN)/bot content update

## train: train the model only if data/, config.yml or domain.yml (structure) changed
train: catalogs
	$(BIN)/bot train

## check: validate content (domain, catalogs, country profiles) with file:line messages
check: catalogs
	$(BIN)/bot content check

validate: install
	$(BIN)/rasa data validate --fail-on-warnings --quiet

# Two workers (the machines have two cores); a test file's tests stay in one worker, so the
# servers a file starts once are started once. Every test is parallel-safe (own ports, databases, tmp).
pytest: train
	$(BIN)/pytest -p no:cacheprovider -n 2 --dist loadfile

## stories: test stories (safety intents in every language) against the trained model
stories: train
	$(BIN)/rasa test core --stories tests/stories --model "$$($(BIN)/bot model-path)" \
	  --fail-on-prediction-errors --out var/results --no-plot

## eval: train on data/, evaluate on the held-out set tests/nlu_holdout/ (figures in the README)
eval: catalogs
	$(PY) bench/nlu_eval.py

## lint: ruff's rules and formatting, and mypy (scripts/lint-fix applies ruff's fixes and formatting)
lint: install
	$(BIN)/ruff check bot actions tests bench
	$(BIN)/ruff format --check bot actions tests bench
	$(BIN)/mypy

## lock: re-pin the dependency tree after changing pyproject.toml
lock: install
	@{ head -3 constraints.txt; $(PY) -m pip freeze --exclude-editable | grep -v '^-e'; } > constraints.new && mv constraints.new constraints.txt

clean:
	rm -rf $(VENV) models var .rasa results locales/*/LC_MESSAGES/*.mo
