"""Fixtures for the PostgreSQL integration tests (a throwaway server on loopback, no mocks)."""

# The fixtures come from tests/support/fixtures.py, registered in tests/conftest.py.
