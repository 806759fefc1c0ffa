# The two commands: `make run` (a working portal with demo data) and `make test` (lint + the suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The public origin follows the port unless set: OIDC issuer, CRL and OCSP URLs are built from it.
export SITE_URL ?= http://127.0.0.1:$(PORT)
export DJANGO_SETTINGS_MODULE ?= portal.settings.dev

.PHONY: install install-test assets run test lint worker messages clean demo-data demo-partner

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt requirements.txt $(VENV)/.installed .venv-localstripe/bin/localstripe
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

# localstripe (a fake Stripe server for the payment tests) lives in its own virtualenv.
.venv-localstripe/bin/localstripe:
	$(PYTHON) -m venv .venv-localstripe
	.venv-localstripe/bin/python -m pip install --quiet localstripe==1.15.10

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/build/css/portal.css: node_modules/.installed frontend/portal.scss frontend/build.mjs
	npm run --silent build

## install: the virtualenv, Python packages, npm packages and the compiled stylesheet
install: $(VENV)/.installed static/build/css/portal.css

assets: static/build/css/portal.css

## run: migrate the SQLite database, load demo data and serve on http://127.0.0.1:$(PORT)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py pki_init
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

## test: lint, then the whole suite (SQLite by default; DATABASE_URL/CELERY_BROKER_URL switch it)
test: install $(VENV)/.installed-test lint
	DJANGO_SETTINGS_MODULE=portal.settings.test $(PY) -m pytest $(PYTEST_ARGS)

## lint: ruff, formatting, and no missing migrations
lint: $(VENV)/.installed-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DJANGO_SETTINGS_MODULE=portal.settings.test $(PY) manage.py makemigrations --check --dry-run

## demo-partner: the example partner bank on http://127.0.0.1:$(PARTNER_PORT), a FAPI client of the
## portal at SITE_URL (run `make run` first, in another terminal; see examples/partner_bank/README.md)
PARTNER_PORT ?= 8100
PARTNER_DIR := examples/partner_bank
PARTNER_CLIENT := $(PARTNER_DIR)/var/client.json
demo-partner: $(VENV)/.installed-test
	cd $(PARTNER_DIR) && DJANGO_SETTINGS_MODULE=partner_bank.settings ../../$(PY) manage.py partner_keys
	@# Registered once; again if the portal's database no longer knows the client.
	@$(PY) -c "import json,sys; json.load(open('$(PARTNER_CLIENT)'))" 2>/dev/null && \
	  $(PY) manage.py shell -c "import json,sys; from allauth.idp.oidc.models import Client; \
	  sys.exit(not Client.objects.filter(id=json.load(open('$(PARTNER_CLIENT)'))['client_id']).exists())" || \
	  $(PY) manage.py oidc_client create --name "Harbour Bank (example partner)" --fapi \
	    --jwks $(PARTNER_DIR)/var/public.json --scopes "openid profile eid.assurance" \
	    --redirect-uri http://127.0.0.1:$(PARTNER_PORT)/login/eid/callback/ \
	    --post-logout-redirect-uri http://127.0.0.1:$(PARTNER_PORT)/signed-out/ \
	    --backchannel-logout-uri http://127.0.0.1:$(PARTNER_PORT)/logout/backchannel/ > $(PARTNER_CLIENT)
	cd $(PARTNER_DIR) && DJANGO_SETTINGS_MODULE=partner_bank.settings EID_ISSUER=$(SITE_URL) PARTNER_BASE_URL=http://127.0.0.1:$(PARTNER_PORT) \
	  PARTNER_CLIENT_ID=$$(../../$(PY) -c "import json; print(json.load(open('var/client.json'))['client_id'])") \
	  ../../$(PY) manage.py runserver 127.0.0.1:$(PARTNER_PORT)

## worker: a real Celery worker (needs CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0)
worker: install
	@test -n "$$CELERY_BROKER_URL" || (echo "Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0) to run a worker."; exit 2)
	$(VENV)/bin/celery -A portal worker --loglevel=INFO

## messages: extract translatable strings and compile the catalogues
messages: $(VENV)/.installed-test
	$(PY) manage.py makemessages -l zh_Hant -l zh_Hans --no-location --ignore=.venv --ignore=node_modules --ignore=static
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) .venv-localstripe node_modules static/build staticfiles var
