"""Reruns: the same day twice gives identical outputs and no duplicate rows; a day run again after a later
day changes only that day's outputs, and the registry's history records the rerun."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import pipeline
from components.common.registry import list_decisions, read_champion, registry_root
from components.common.warehouse.reads import read_table_rows
from components.contracts import MONITORING_TABLE, PREDICTIONS_TABLE
from tests.reliability.conftest import DAY, State

pytestmark = pytest.mark.slow
NEXT_DAY = "2013-06-16"


def _rows(url: str, table: str, day: str) -> list[dict[str, Any]]:
    rows = read_table_rows(url, table).to_pylist()
    return [row for row in rows if row["run_date"] == dt.date.fromisoformat(day)]


def _run(state: State, day: str, pipeline_name: str, summary: Path) -> dict[str, Any]:
    where = ["--warehouse-url", state.warehouse_url, "--artifact-root", str(state.artifact_root)]
    argv = ["--quiet", "run", "--date", day, "--pipeline", pipeline_name, *where, "--summary", str(summary)]
    assert pipeline.main(argv) == 0
    return json.loads(summary.read_text())


def test_a_day_rerun_after_a_later_day_is_identical_and_recorded(
    state: State, daily_run: dict[str, Any], tmp_path: Path
) -> None:
    registry = registry_root(state.artifact_root)
    first_predictions = _rows(state.warehouse_url, PREDICTIONS_TABLE, DAY)
    first_parquet = pq.read_table(daily_run["summary"]["outputs"]["predictions"])
    champion = read_champion(registry)

    _run(state, NEXT_DAY, "inference", tmp_path / "next.json")
    next_predictions = _rows(state.warehouse_url, PREDICTIONS_TABLE, NEXT_DAY)
    next_monitoring = _rows(state.warehouse_url, MONITORING_TABLE, NEXT_DAY)
    rerun = _run(state, DAY, "daily", tmp_path / "rerun.json")

    # the same day twice: identical outputs, no duplicate rows
    again = _rows(state.warehouse_url, PREDICTIONS_TABLE, DAY)
    assert len(again) == len({row["flight_id"] for row in again}) == 801
    assert again == first_predictions
    assert pq.read_table(rerun["outputs"]["predictions"]).equals(first_parquet)
    assert rerun["model_version"] == daily_run["summary"]["model_version"]  # same data, parameters, code
    # the later day is untouched
    assert _rows(state.warehouse_url, PREDICTIONS_TABLE, NEXT_DAY) == next_predictions
    assert _rows(state.warehouse_url, MONITORING_TABLE, NEXT_DAY) == next_monitoring
    # ... and the rerun is in the registry's history, not silent; the champion did not move
    decisions = [d for d in list_decisions(registry) if d["run_date"] == DAY]
    assert len(decisions) == 2
    assert decisions[1]["promoted"] is False
    assert decisions[1]["reason"] == "challenger is the current champion (same data, parameters and code)"
    assert read_champion(registry) == champion
