"""Fixtures every test folder may use, registered once so session fixtures (a seeded DuckDB file, a
throwaway PostgreSQL server, a real MLflow tracking server) exist once per test session, not once per folder."""

pytest_plugins = ["tests.support.fixtures", "tests.mlflow_server"]
