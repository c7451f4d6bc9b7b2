"""The warehouse functions on a real, throwaway PostgreSQL: same SQL files, same Arrow results as DuckDB."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from components.common.config import WindowSettings
from components.common.errors import PipelineError
from components.common.warehouse.connection import session
from components.common.warehouse.reads import count_flights_on, flight_date_range, query_arrow, read_table_rows
from components.common.warehouse.seed import seed_warehouse
from components.common.warehouse.url import parse_warehouse_url
from components.common.warehouse.writes import replace_day_rows
from components.contracts import MONITORING_TABLE, PREDICTIONS_TABLE
from components.ingest.shell import write_history
from tests.support.postgres import PostgresServer
from tests.support.tables import OLD_MONITORING_DDL, OLD_MONITORING_ROW, monitoring_row, predictions

pytestmark = pytest.mark.postgres
DAY = dt.date(2013, 6, 15)
WINDOW = {"start": dt.date(2013, 3, 17), "end": DAY, "weather_hours": 6}


def _day_rows(url: str, day: dt.date) -> list[tuple[str, str]]:
    rows = read_table_rows(url, PREDICTIONS_TABLE).to_pylist()
    return sorted((r["flight_id"], r["model_version"]) for r in rows if r["run_date"] == day)


def test_seed_is_idempotent_and_loads_every_flight(postgres_warehouse: str) -> None:
    assert seed_warehouse(postgres_warehouse) is False
    assert flight_date_range(postgres_warehouse) == (dt.date(2013, 1, 1), dt.date(2013, 12, 31))
    assert count_flights_on(postgres_warehouse, DAY) == 801


def test_same_sql_gives_the_same_arrow_table_as_duckdb(postgres_warehouse: str, duckdb_seeded: Path) -> None:
    from_postgres = query_arrow(postgres_warehouse, "flights_between", WINDOW)
    from_duckdb = query_arrow(f"duckdb:///{duckdb_seeded}", "flights_between", WINDOW)

    assert from_postgres.num_rows == 84_273
    assert from_postgres.schema == from_duckdb.schema
    assert from_postgres.equals(from_duckdb)


def test_history_streams_into_parquet_batch_by_batch(postgres_warehouse: str, tmp_path: Path) -> None:
    path = tmp_path / "history.parquet"

    rows, days = write_history(postgres_warehouse, WINDOW["start"], WINDOW["end"], WindowSettings(), path)

    assert (rows, days) == (84_273, 90)
    metadata = pq.ParquetFile(path).metadata
    assert metadata.num_rows == rows
    assert metadata.num_row_groups > 1  # written as it streamed, not collected first
    assert all(field.metadata is None for field in pq.read_schema(path))  # no backend-specific metadata


def test_rerun_of_a_day_replaces_its_rows_and_keeps_other_days(postgres_warehouse: str) -> None:
    other = DAY + dt.timedelta(days=1)
    replace_day_rows(postgres_warehouse, "flight_predictions", DAY, predictions(DAY, ["a", "b"], model="m1"))
    replace_day_rows(postgres_warehouse, "flight_predictions", other, predictions(other, ["c"], model="m1"))

    replace_day_rows(postgres_warehouse, "flight_predictions", DAY, predictions(DAY, ["a"], model="m2"))

    assert _day_rows(postgres_warehouse, DAY) == [("a", "m2")]
    assert _day_rows(postgres_warehouse, other) == [("c", "m1")]


def test_a_failed_replace_leaves_the_day_as_it_was(postgres_warehouse: str) -> None:
    replace_day_rows(postgres_warehouse, "flight_predictions", DAY, predictions(DAY, ["a"], model="m1"))
    broken = predictions(DAY, ["x", "x"], model="m2")  # a duplicate key: the insert fails after the delete ran

    with pytest.raises(PipelineError, match=r"^warehouse postgresql://\S+ error: .*duplicate key"):
        replace_day_rows(postgres_warehouse, "flight_predictions", DAY, broken)

    assert _day_rows(postgres_warehouse, DAY) == [("a", "m1")]


def _replace_in_child(url: str, flight_ids: list[str], model: str, barrier: threading.Barrier) -> None:
    barrier.wait()
    replace_day_rows(url, "flight_predictions", DAY, predictions(DAY, flight_ids, model=model))


def test_two_concurrent_processes_leave_exactly_one_set_of_rows(postgres_warehouse: str) -> None:
    context = multiprocessing.get_context("fork")
    sets = {"A": [f"f{n}" for n in range(0, 400)], "B": [f"f{n}" for n in range(200, 600)]}  # overlapping keys
    for _ in range(3):
        barrier = context.Barrier(2)
        workers = [
            context.Process(target=_replace_in_child, args=(postgres_warehouse, ids, model, barrier))
            for model, ids in sets.items()
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)

        assert [worker.exitcode for worker in workers] == [0, 0]
        stored = _day_rows(postgres_warehouse, DAY)
        models = {model for _, model in stored}
        assert len(models) == 1, "rows of both runs are mixed"
        (winner,) = models
        assert [flight for flight, _ in stored] == sorted(sets[winner])


def test_server_down_is_one_line_after_retries(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLIGHTS_WAREHOUSE_ATTEMPTS", "2")
    url = f"postgresql://flights@127.0.0.1:{_closed_port()}/flights"

    with pytest.raises(PipelineError) as raised:
        flight_date_range(url)

    message = str(raised.value)
    assert message.startswith(f"warehouse {url} failed 2 time(s) with a transient error (")
    assert "Connection refused" in message
    assert message.endswith("check that the database server is up and reachable, then rerun")


def test_a_server_that_comes_back_is_retried_with_backoff(
    postgres_server: PostgresServer, postgres_warehouse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLIGHTS_WAREHOUSE_ATTEMPTS", "6")
    postgres_server.stop()
    restart = threading.Timer(1.0, postgres_server.start)
    restart.start()
    started = time.monotonic()
    try:
        assert count_flights_on(postgres_warehouse, DAY) == 801
    finally:
        restart.join()
    assert time.monotonic() - started >= 1.0  # it really waited for the server


def test_missing_database_and_missing_table_are_not_retried(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLIGHTS_WAREHOUSE_ATTEMPTS", "5")
    missing = postgres_server.url_for("no_such_db")
    started = time.monotonic()
    with pytest.raises(PipelineError) as raised:
        flight_date_range(missing)
    assert str(raised.value) == (
        f"warehouse {missing} does not exist: create the database, then run "
        f"`python pipeline.py seed --warehouse-url {missing}`"
    )
    empty = postgres_server.create_database("empty_warehouse")
    with pytest.raises(PipelineError) as raised:
        flight_date_range(empty)
    assert str(raised.value) == (
        f"warehouse {empty} lacks table(s) flights, weather, planes, airlines, airports: "
        f"run `python pipeline.py seed --warehouse-url {empty}` or point --warehouse-url at a seeded warehouse"
    )
    assert time.monotonic() - started < 1.0  # permanent errors fail at once


def test_a_password_never_appears_in_messages() -> None:
    location = parse_warehouse_url("postgresql://flights:s3cret@db.example:5432/flights")
    assert location.display == "postgresql://flights:***@db.example:5432/flights"
    assert str(location) == "postgresql://flights:s3cret@db.example:5432/flights"  # stages still get the real one


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_monitoring_table_made_by_older_code_gets_the_new_columns(postgres_warehouse: str) -> None:
    with session(postgres_warehouse, read_only=False) as opened, opened.connection.cursor() as cursor:
        cursor.execute(OLD_MONITORING_DDL)
        cursor.execute(OLD_MONITORING_ROW)
        opened.connection.commit()

    for _ in range(2):  # the second write finds the columns already there
        replace_day_rows(postgres_warehouse, MONITORING_TABLE, DAY, monitoring_row(DAY, '[{"kind": "drift"}]'))

    rows = sorted(read_table_rows(postgres_warehouse, MONITORING_TABLE).to_pylist(), key=lambda row: row["run_date"])
    shown = [(str(r["run_date"]), r["drift_max_psi"], r["alerts"], r["alerts_quality"]) for r in rows]
    assert shown == [("2013-06-14", 6.44, None, None), ("2013-06-15", None, '[{"kind": "drift"}]', 0)]
