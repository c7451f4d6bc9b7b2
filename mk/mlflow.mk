# The MLflow tracking server (included by the Makefile): its own locked environment, and `make mlflow-ui`.
# The pipeline's .venv has only the client (mlflow-skinny, uv.lock); the server (full mlflow, which would hold pyarrow
# back, and psycopg for a PostgreSQL store) is locked apart in docker/mlflow/requirements.txt, with hashes, for the
# image target `mlflow` (docker/Dockerfile), make mlflow-ui and the tests' mlflow_server fixture (tests/mlflow_server.py).

MLFLOW_PORT ?= 5000
# The local store the pipeline writes (configs/local.yaml's artifact_root): SQLite plus the artifacts beside it.
ARTIFACT_ROOT ?= artifacts
MLFLOW_STORE = $(ARTIFACT_ROOT)/mlflow
MLFLOW_REQUIREMENTS := docker/mlflow/requirements.txt
MLFLOW_VENV ?= .venv-mlflow
MLFLOW_STAMP = $(MLFLOW_VENV)/.synced

.PHONY: mlflow-requirements mlflow-env mlflow-store mlflow-ui

mlflow-requirements: | $(UV) ## Re-lock the MLflow server's packages (docker/mlflow/requirements.in -> .txt, with hashes)
	$(UV) pip compile --quiet --generate-hashes --python-version 3.11 --universal \
	    --custom-compile-command "make mlflow-requirements" docker/mlflow/requirements.in -o $(MLFLOW_REQUIREMENTS)

# Synced from the hash-locked file (uv pip sync: exactly those packages), never touching .venv.
$(MLFLOW_STAMP): $(MLFLOW_REQUIREMENTS) | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(MLFLOW_VENV)
	$(UV) pip sync --quiet --python $(MLFLOW_VENV)/bin/python --require-hashes $(MLFLOW_REQUIREMENTS)
	@touch $@

mlflow-env: $(MLFLOW_STAMP) ## The MLflow server's locked environment in .venv-mlflow (make mlflow-ui, the tests)

# The first prerequisite of mlflow-ui, so a missing store stops it before anything is installed.
mlflow-store:
	@test -f $(MLFLOW_STORE)/mlflow.db || { echo "error: no local MLflow store at $(MLFLOW_STORE)/mlflow.db: run make run first (or set ARTIFACT_ROOT=)" >&2; exit 1; }

mlflow-ui: mlflow-store $(MLFLOW_STAMP) ## Browse the local MLflow store (runs, models, champion) at http://127.0.0.1:MLFLOW_PORT
	@echo "MLflow UI over $(MLFLOW_STORE): http://127.0.0.1:$(MLFLOW_PORT) (Ctrl-C to stop)"
	$(MLFLOW_VENV)/bin/mlflow server --host 127.0.0.1 --port $(MLFLOW_PORT) --workers 1 \
	    --backend-store-uri sqlite:///$(abspath $(MLFLOW_STORE))/mlflow.db \
	    --serve-artifacts --artifacts-destination $(abspath $(MLFLOW_STORE))/artifacts
