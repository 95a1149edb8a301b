# Two commands for a newcomer: `make demo` and `make test`. Both build their own virtualenv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test lint check audit clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/dms demo

test: $(BIN)/.installed
	$(BIN)/pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

check: lint test

# Known vulnerabilities in the installed dependencies (pip-audit, PyPI's advisories). The
# project itself is installed editable and is not on PyPI: skipped.
audit: $(BIN)/.installed
	$(BIN)/pip-audit --skip-editable

clean:
	rm -rf $(VENV) dms.db dms.db-wal dms.db-shm .mypy_cache .pytest_cache .ruff_cache

# Rasa as the NLU backend, checked end to end: Rasa 3.6 in its own Python 3.10 virtualenv,
# trained on `dms nlu export-rasa` of the dev catalog and messages, served locally, and
# `dms nlu eval` run through it. Not in CI: installing and training take 15+ minutes.
RASA_PYTHON ?= $(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.10.*/bin/python)))
RASA_VENV ?= .venv-rasa
RASA_DIR ?= var/rasa
RASA_PORT ?= 5055
RASA_EPOCHS ?= 40
NLU_DATA ?= ../shared/data/nlu
RASA_ENV = RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1

$(RASA_VENV)/.installed:
	@test -n "$(RASA_PYTHON)" || { echo "rasa-check needs ~/.pyenv/versions/3.10.*"; exit 1; }
	$(RASA_PYTHON) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(RASA_VENV)/bin/python -m pip install --quiet 'rasa==3.6.*'
	touch $@

.PHONY: rasa-check
rasa-check: $(BIN)/.installed $(RASA_VENV)/.installed
	$(BIN)/dms nlu export-rasa $(RASA_DIR) --catalog $(NLU_DATA)/catalog.csv \
		--examples $(NLU_DATA)/dev.jsonl --epochs $(RASA_EPOCHS)
	cd $(RASA_DIR) && $(RASA_ENV) $(CURDIR)/$(RASA_VENV)/bin/rasa train nlu \
		--fixed-model-name dms-nlu --out models
	@set -e; cd $(RASA_DIR); \
	$(RASA_ENV) $(CURDIR)/$(RASA_VENV)/bin/rasa run --enable-api -i 127.0.0.1 \
		--port $(RASA_PORT) --model models/dms-nlu.tar.gz > rasa-server.log 2>&1 & \
	server=$$!; trap 'kill $$server 2>/dev/null; wait $$server 2>/dev/null || true' EXIT; \
	echo "waiting for Rasa on 127.0.0.1:$(RASA_PORT) (log: $(RASA_DIR)/rasa-server.log)"; \
	up=no; for i in $$(seq 1 200); do \
		if $(CURDIR)/$(BIN)/python -c "import httpx, sys; sys.exit(httpx.post( \
			'http://127.0.0.1:$(RASA_PORT)/model/parse', json={'text': 'hi'}, \
			timeout=5).status_code != 200)" 2>/dev/null; then up=yes; break; fi; \
		kill -0 $$server 2>/dev/null || break; sleep 3; \
	done; \
	if [ $$up != yes ]; then echo "Rasa did not come up:"; tail -20 rasa-server.log; exit 1; fi; \
	cd $(CURDIR); NLU_BACKEND=rasa RASA_URL=http://127.0.0.1:$(RASA_PORT) \
		$(BIN)/dms nlu eval --catalog $(NLU_DATA)/catalog.csv $(NLU_DATA)/dev.jsonl --json
