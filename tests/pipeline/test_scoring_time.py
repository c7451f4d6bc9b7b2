"""The scoring-time rule, proven on the real pipeline: nothing known only after ``window.scoring_time`` on the run
date, and no outcome of the run date, can change a prediction for it.

Each run is the daily stages in one process (the same ``run`` functions as the KFP tasks) on its own copy of the
seeded warehouse and its own MLflow store, so the model is trained from scratch each time (seeded: the same
history gives the same model). The control changes what *is* known at the scoring time (the 05:00 reading) and shows
the same comparison does catch a change.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from components.cli.inprocess import run_stages, stage_values
from components.common.config import Settings
from components.common.deployment import STAGES

pytestmark = pytest.mark.slow

DAY = "2013-08-15"  # its first challenger beats the baseline: a model that reads the weather serves
ON_DAY = "year = 2013 AND month = 8 AND day = 15"
STORM = "temp = 40, dewp = 39, humid = 96, wind_dir = 50, wind_speed = 40, wind_gust = 55, precip = 0.9, visib = 0.25"


def _predictions(seeded: Path, tmp_path: Path, name: str, change: str = "") -> pd.Series:
    """The run date's predictions by a run on a copy of the warehouse, changed first by the SQL ``change``."""
    folder = tmp_path / name
    folder.mkdir()
    warehouse = folder / "warehouse.duckdb"
    shutil.copyfile(seeded, warehouse)
    if change:
        with duckdb.connect(str(warehouse)) as connection:
            connection.execute(change)
    settings = Settings.model_validate(
        {"warehouse_url": f"duckdb:///{warehouse}", "artifact_root": str(folder / "artifacts"),
         "window": {"scoring_time": "06:00"}}
    )  # fmt: skip
    reports = run_stages(STAGES, stage_values(folder, settings, DAY))
    assert reports["promote"].champion_role == "refit"  # type: ignore[attr-defined]  # a model that reads the weather
    scored = pd.read_parquet(folder / "predictions.parquet")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute(f"SELECT count(*) FROM flights WHERE {ON_DAY}").fetchone() == (len(scored),)
    return scored.set_index("flight_id")["p_disrupted"].sort_index()


def test_readings_at_or_after_the_scoring_time_and_the_days_outcomes_change_no_prediction(
    seeded_warehouse: Path, tmp_path: Path
) -> None:
    clean = _predictions(seeded_warehouse, tmp_path, "clean")
    later = _predictions(
        seeded_warehouse, tmp_path, "later",
        f"UPDATE weather SET {STORM} WHERE {ON_DAY} AND hour >= 6;"
        f"UPDATE flights SET dep_delay = dep_delay + 300, arr_delay = arr_delay + 300 WHERE {ON_DAY}",
    )  # fmt: skip
    pd.testing.assert_series_equal(later, clean)

    # Control: the same storm in the 05:00 reading, which is over at 06:00, moves the day's predictions.
    known = _predictions(seeded_warehouse, tmp_path, "known", f"UPDATE weather SET {STORM} WHERE {ON_DAY} AND hour = 5")
    assert (known - clean).abs().max() > 0.01
