# postgres targets (included by the Makefile).
# `make test-postgres` runs the PostgreSQL integration tests and the reliability suite against a throwaway
# server (tests/support/postgres.py: initdb in a temp dir, a free loopback port, removed afterwards).
# `make pg-up` starts a throwaway server for you to use (prints its URL and seeds it); `make pg-down` stops it.
PG_DIR ?= build/postgres

.PHONY: test-postgres pg-up pg-down

test-postgres: install ## PostgreSQL integration + reliability tests on a throwaway server (fails without PostgreSQL)
	REQUIRE_POSTGRES=1 $(RUN) pytest -q tests/postgres tests/reliability

pg-up: install ## Start a throwaway PostgreSQL in PG_DIR, seed it, print its URL (stop it with make pg-down)
	$(RUN) python -m tests.support.postgres up $(PG_DIR)

pg-down: ## Stop the PostgreSQL started by make pg-up and remove PG_DIR
	$(RUN) python -m tests.support.postgres down $(PG_DIR)
