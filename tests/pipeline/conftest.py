"""The pipeline tests' warehouse: the session's seeded DuckDB file (tests/support/fixtures.py)."""

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def seeded_warehouse(duckdb_seeded: Path) -> Path:
    """The real 2013 data, seeded once per session (about a second). Tests that write copy it first."""
    return duckdb_seeded


@pytest.fixture
def warehouse_copy(seeded_warehouse: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded warehouse for a test that writes to it."""
    target = tmp_path / "warehouse.duckdb"
    shutil.copyfile(seeded_warehouse, target)
    return target
