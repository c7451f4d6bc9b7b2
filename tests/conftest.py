"""Fixtures every test folder may use, registered once so session fixtures (a seeded DuckDB file, a
throwaway PostgreSQL server) exist once per test session, not once per folder."""

pytest_plugins = ["tests.support.fixtures"]
