"""The pipelines' tracking tasks against MLflow's real SQLite store: the first task resolves the day and opens the
run, a retried first task finds it again, the exit task closes it FINISHED or FAILED, and bad input is one line."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from components.common import run_tracking
from components.common.stage import ERROR_MARK
from tests.support import tracking

GROUPS = {"window": {"window_days": 90.0, "holdout_days": 7.0}, "validate": {"max_quarantine_share": 0.02}}


def _start_arguments(uri: str, **changes: object) -> dict[str, object]:
    return {"run_date": "2013-06-15", "scheduled_time": "", "replay_year": 0, "tracking_uri": uri,
            "pipeline": "inference", "code_version": "abc123", "images": '{"ingest": "r/ingest:t"}',
            "kfp_run_id": "kfp-1", **GROUPS, "train": None, "evaluate": None, "promote": None,
            **changes}  # fmt: skip


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return tracking.local_uri(tmp_path / "artifacts")


@pytest.mark.parametrize(
    ("run_date", "scheduled", "replay", "expected"),
    [("2013-06-15", "", 0, "2013-06-15"), ("", "2026-12-01T06:00:00Z", 2013, "2013-12-01")],
)
def test_start_resolves_the_day_and_opens_its_run(
    uri: str, run_date: str, scheduled: str, replay: int, expected: str
) -> None:
    arguments = _start_arguments(uri, run_date=run_date, scheduled_time=scheduled, replay_year=replay)
    day, run_id = run_tracking.start(arguments)
    assert day == expected
    [run] = tracking.runs(uri)
    assert (run.info.run_id, run.info.run_name, run.info.status) == (run_id, expected, "RUNNING")
    tags = run.data.tags
    assert (tags["run_date"], tags["pipeline"], tags["code_version"], tags["kfp_run_id"]) == (
        expected, "inference", "abc123", "kfp-1",
    )  # fmt: skip
    assert json.loads(tags["images"]) == {"ingest": "r/ingest:t"}
    # The MLflow UI opens the experiment on its runs table (model training), not on the GenAI overview.
    experiment = tracking.client(uri).get_experiment(run.info.experiment_id)
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    # KFP hands whole numbers over as floats; the params are the settings as the config types them.
    assert run.data.params == {"window.window_days": "90", "window.holdout_days": "7", "window.scoring_time": "06:00",
                               "window.rate_days": "28", "validate.max_quarantine_share": "0.02"}  # fmt: skip


def test_a_retried_first_task_finds_its_run_instead_of_opening_another(uri: str) -> None:
    _, first = run_tracking.start(_start_arguments(uri))
    _, again = run_tracking.start(_start_arguments(uri))
    assert again == first
    assert len(tracking.runs(uri)) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"run_date": "2013-13-01"}, "run date '2013-13-01' is not a real date"),
        ({"tracking_uri": "ftp://host/store"}, "tracking URI ftp://host/store has an unknown scheme 'ftp': use "
                                               "sqlite:///PATH, postgresql://USER@HOST/DB or http(s)://HOST:PORT"),
        ({"window": {"window_days": 5}}, "bad value for 'window.window_days'"),
    ],
)  # fmt: skip
def test_bad_input_to_the_first_task_is_one_line_and_opens_no_run(
    uri: str, changes: dict[str, object], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        run_tracking.start(_start_arguments(uri, **changes))
    assert raised.value.code == 1
    [line] = [line for line in capsys.readouterr().err.splitlines() if ERROR_MARK in line]
    assert message in line
    assert tracking.runs(uri) == []


@pytest.mark.parametrize(("state", "status"), [("SUCCEEDED", "FINISHED"), ("FAILED", "FAILED")])
def test_the_exit_task_closes_the_run_as_the_pipeline_ended(uri: str, state: str, status: str) -> None:
    _, run_id = run_tracking.start(_start_arguments(uri))
    _, other = run_tracking.start(_start_arguments(uri, kfp_run_id="kfp-2"))
    result = json.loads(run_tracking.finish({"tracking_uri": uri, "kfp_run_id": "kfp-1", "status": {"state": state}}))
    assert result == {"state": state, "closed_runs": [run_id]}
    statuses = {run.info.run_id: run.info.status for run in tracking.runs(uri)}
    assert statuses == {run_id: status, other: "RUNNING"}  # another KFP run's MLflow run is left alone


def test_the_validation_goes_onto_the_run(uri: str, tmp_path: Path) -> None:
    _, run_id = run_tracking.start(_start_arguments(uri))
    quarantine = tmp_path / "quarantine"
    pq.write_table(pa.table({"flight_id": ["a"], "reason": ["bad"]}), quarantine)
    report = {"valid_rows": {"history": 10, "scoring": 3}, "quarantined_rows": {"history": 1, "scoring": 0}}
    run_tracking.log_validation({"run_date": "2013-06-15", "tracking_uri": uri, "tracking_run_id": run_id,
                                 "validate_report": json.dumps(report), "quarantine": str(quarantine)})  # fmt: skip
    [run] = tracking.runs(uri)
    assert run.data.metrics == {"valid_rows_history": 10, "valid_rows_scoring": 3, "quarantined_rows_history": 1,
                                "quarantined_rows_scoring": 0}  # fmt: skip
    files = {f.path for f in tracking.client(uri).list_artifacts(run_id, "validation")}
    assert files == {"validation/quarantine.parquet", "validation/validation_report.json"}
