"""The real CLI and daily pipeline (kfp.local) on a throwaway PostgreSQL warehouse: seed, run, backfill."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow.parquet as pq
import pytest

import pipeline
from components.common.warehouse.reads import count_flights_on, read_table_rows
from components.contracts import MONITORING_TABLE, PREDICTIONS_TABLE
from tests.support.postgres import PostgresServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
DAY, NEXT_DAY = "2013-06-15", "2013-06-16"


@pytest.fixture(scope="module")
def postgres_run(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``seed`` into an empty database, one ``daily`` run, then an ``inference`` backfill of the next day."""
    root = tmp_path_factory.mktemp("postgres-run")
    url = postgres_server.create_database("pipeline_run")
    options = ["--warehouse-url", url, "--artifact-root", str(root / "artifacts")]
    assert pipeline.main(["--quiet", "seed", "--warehouse-url", url]) == 0
    assert pipeline.main(["--quiet", "run", "--date", DAY, *options, "--summary", str(root / "run.json")]) == 0
    argv = ["--quiet", "backfill", "--start", NEXT_DAY, "--end", NEXT_DAY, "--pipeline", "inference", *options]
    assert pipeline.main([*argv, "--summary", str(root / "backfill.json")]) == 0
    return {
        "url": url,
        "run": json.loads((root / "run.json").read_text()),
        "backfill": json.loads((root / "backfill.json").read_text()),
    }


def _rows(url: str, table: str, day: str) -> list[dict[str, Any]]:
    rows = read_table_rows(url, table).to_pylist()
    return [row for row in rows if row["run_date"] == dt.date.fromisoformat(day)]


def test_daily_run_upserts_the_days_predictions(postgres_run: dict[str, Any]) -> None:
    stored = _rows(postgres_run["url"], PREDICTIONS_TABLE, DAY)
    written = pq.read_table(postgres_run["run"]["outputs"]["predictions"]).to_pylist()

    assert len(stored) == 801
    assert len({row["flight_id"] for row in stored}) == 801
    assert {r["flight_id"]: r["p_disrupted"] for r in stored} == {r["flight_id"]: r["p_disrupted"] for r in written}
    assert {row["model_version"] for row in stored} == {postgres_run["run"]["model_version"]}


def test_backfill_scores_the_next_day_and_checks_yesterday(postgres_run: dict[str, Any]) -> None:
    scheduled = count_flights_on(postgres_run["url"], dt.date.fromisoformat(NEXT_DAY))
    assert len(_rows(postgres_run["url"], PREDICTIONS_TABLE, NEXT_DAY)) == scheduled == 918
    (monitoring,) = _rows(postgres_run["url"], MONITORING_TABLE, NEXT_DAY)
    assert monitoring["checked_date"] == dt.date.fromisoformat(DAY)
    assert monitoring["checked_flights"] == 801  # yesterday's predictions joined with what really happened
    assert 0.5 < monitoring["checked_roc_auc"] <= 1.0
