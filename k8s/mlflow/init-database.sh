#!/bin/sh
# The MLflow server's own database and user in the warehouse's PostgreSQL, idempotently: the initContainer of
# k8s/mlflow/deployment.yaml runs it (postgres image, psql) before every start of the server, and
# tests/k8s/test_mlflow_database.py runs it twice against a real PostgreSQL.
# Env: PGHOST, PGPORT, PGUSER, PGDATABASE (the warehouse's superuser and database), WAREHOUSE_PASSWORD_FILE,
# MLFLOW_PASSWORD_FILE (files from the Secrets flights-warehouse and flights-mlflow, key `password`),
# MLFLOW_DATABASE and MLFLOW_USER (default mlflow), WAIT_SECONDS (for PostgreSQL to accept connections, default 300).
# Passwords never reach a command line or a log: psql reads them from the files.
set -eu

database="${MLFLOW_DATABASE:-mlflow}"
user="${MLFLOW_USER:-mlflow}"
wait_seconds="${WAIT_SECONDS:-300}"
for file in "${WAREHOUSE_PASSWORD_FILE:?is not set}" "${MLFLOW_PASSWORD_FILE:?is not set}"; do
    [ -s "$file" ] || { echo "error: $file is missing or empty: create the Secrets with make warehouse" >&2; exit 1; }
done
PGPASSWORD="$(cat "$WAREHOUSE_PASSWORD_FILE")"
export PGPASSWORD

waited=0
until pg_isready --quiet; do
    if [ "$waited" -ge "$wait_seconds" ]; then
        echo "error: PostgreSQL at ${PGHOST:-localhost}:${PGPORT:-5432} not ready after ${wait_seconds}s: check statefulset/flights-warehouse" >&2
        exit 1
    fi
    sleep 2
    waited=$((waited + 2))
done

# The password is set on every start, so the role always matches the Secret (e.g. after it was recreated).
psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --set user="$user" --set database="$database" <<'SQL'
\set password `cat "$MLFLOW_PASSWORD_FILE"`
SELECT format('CREATE ROLE %I LOGIN', :'user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
ALTER ROLE :"user" WITH LOGIN PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'user')
    WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT ALL ON DATABASE :"database" TO :"user";
SQL
echo "database $database and user $user ready on ${PGHOST:-localhost}"
