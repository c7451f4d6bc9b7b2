"""Reruns: the same day twice gives identical outputs and no duplicate rows; a day run again after a later
day changes only that day's outputs, adds no model version, and the MLflow store records the rerun."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import pipeline
from components.common import tracking as store
from components.common.warehouse.reads import read_table_rows
from components.contracts import MONITORING_TABLE, PREDICTIONS_TABLE
from tests.reliability.conftest import DAY, State
from tests.support import tracking

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
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
    uri = state.tracking_uri
    first_predictions = _rows(state.warehouse_url, PREDICTIONS_TABLE, DAY)
    first_parquet = pq.read_table(daily_run["summary"]["outputs"]["predictions"])
    champion = tracking.champion(uri)
    versions = [(v.version, v.tags["fingerprint"]) for v in tracking.versions(uri)]

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
    # ... and the rerun is in the MLflow store, not silent: a run of its own with its decision; no new version
    # (the same fingerprint), and the champion did not move
    decisions = [d for d in tracking.decisions(uri) if d["run_date"] == DAY]
    assert len(decisions) == 2
    assert decisions[1]["promoted"] == "False"
    assert decisions[1]["moved"] == "False"
    # the same judgement, to the last digit (the first run also registered the baseline, which serves since)
    assert decisions[1]["reason"].startswith("challenger does not beat the baseline (ROC AUC ")
    assert decisions[1]["reason"] in decisions[0]["reason"]
    assert [(v.version, v.tags["fingerprint"]) for v in tracking.versions(uri)] == versions
    assert tracking.champion(uri) == champion == rerun["model_version"]
    day_runs = [run for run in tracking.runs(uri) if run.data.tags.get("run_date") == DAY]
    assert [run.info.status for run in day_runs] == ["FINISHED", "FINISHED"]
    assert [run.data.tags["pipeline"] for run in day_runs] == ["daily", "daily"]


# A two-week window and a small model: two whole runs at once on two shared cores.
SMALL = "window:\n  window_days: 14\n  holdout_days: 7\ntrain:\n  max_iter: 40\n"


def test_two_runs_of_the_same_day_at_once_leave_one_champion_and_every_decision(
    duckdb_seeded: Path, tmp_path: Path
) -> None:
    """Two real processes run the same day on an empty registry at the same time: both register the same
    challenger (one version is kept, no duplicate), both find it does not beat the baseline on this small window and
    register the same baseline (one version again), both decide (two decisions on two runs), and the alias ends on
    the baseline. The store is created first, as one CLI run does before its tasks (two processes can't create one
    SQLite store at the same moment)."""
    warehouse, artifacts, config = tmp_path / "warehouse.duckdb", tmp_path / "artifacts", tmp_path / "small.yaml"
    shutil.copyfile(duckdb_seeded, warehouse)
    config.write_text(SMALL)
    uri = tracking.local_uri(artifacts)
    store.ensure_experiment(uri)
    where = ["--warehouse-url", f"duckdb:///{warehouse}", "--artifact-root", str(artifacts), "--config", str(config)]
    command = [sys.executable, "pipeline.py", "--quiet", "run", "--date", DAY, *where, "--summary"]
    runs = [
        subprocess.Popen(
            [*command, str(tmp_path / f"{n}.json")], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for n in (1, 2)
    ]
    results = [run.communicate(timeout=900) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-2000:] for _, err in results]

    summaries = [json.loads((tmp_path / f"{n}.json").read_text()) for n in (1, 2)]
    challenger = {summary["promotion"]["challenger"] for summary in summaries}
    assert len(challenger) == 1  # both trained the same model, and were handed the same version
    [version] = challenger
    fingerprints = [v.tags["fingerprint"] for v in tracking.versions(uri)]
    assert len(fingerprints) == len(set(fingerprints))  # no duplicate version (the baseline's included)
    assert [(str(v.version), v.tags["role"]) for v in tracking.versions(uri)][:1] == [(version, "challenger")]
    assert [v.tags["role"] for v in tracking.versions(uri)] == ["challenger", "baseline"]
    baseline = str(tracking.versions(uri)[1].version)
    assert tracking.champion(uri) == baseline
    day_runs = [run for run in tracking.runs(uri) if run.data.tags.get("run_date") == DAY]
    assert [run.info.status for run in day_runs] == ["FINISHED", "FINISHED"]
    decisions = tracking.decisions(uri)
    assert len(decisions) == 2  # every decision recorded, one per run
    assert {d["champion"] for d in decisions} == {baseline}
    assert {d["promoted"] for d in decisions} == {"False"}
    predictions = _rows(f"duckdb:///{warehouse}", PREDICTIONS_TABLE, DAY)
    assert len(predictions) == len({row["flight_id"] for row in predictions}) == 801
    assert {row["model_version"] for row in predictions} == {baseline}
