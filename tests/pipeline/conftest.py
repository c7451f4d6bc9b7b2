"""The pipeline tests' warehouse (the session's seeded DuckDB file, tests/support/fixtures.py) and one real
backfill of two consecutive days on the local runner, shared by the tests that read it."""

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import pipeline
from tests.support.tracking import local_uri

DAY, NEXT_DAY = "2013-06-15", "2013-06-16"


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


@pytest.fixture(scope="session")
def backfilled(seeded_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``backfill`` over two consecutive days on the local runner, then a rerun of the second day (one per session:
    test_daily_runs and test_golden read it; tests that change its MLflow store work on a copy)."""
    root = tmp_path_factory.mktemp("backfill")
    warehouse = root / "warehouse.duckdb"
    warehouse.write_bytes(seeded_warehouse.read_bytes())
    options = ["--warehouse-url", f"duckdb:///{warehouse}", "--artifact-root", str(root / "artifacts")]
    assert (
        pipeline.main(
            [
                "--quiet",
                "backfill",
                "--start",
                DAY,
                "--end",
                NEXT_DAY,
                *options,
                "--summary",
                str(root / "backfill.json"),
            ]
        )
        == 0
    )
    first_run_predictions = pq.read_table(json.loads((root / "backfill.json").read_text())[1]["outputs"]["predictions"])
    assert pipeline.main(["--quiet", "run", "--date", NEXT_DAY, *options, "--summary", str(root / "rerun.json")]) == 0
    return {
        "root": root,
        "warehouse": warehouse,
        "uri": local_uri(root / "artifacts"),
        "options": options,
        "days": json.loads((root / "backfill.json").read_text()),
        "rerun": json.loads((root / "rerun.json").read_text()),
        "first_run_predictions": first_run_predictions,
    }
