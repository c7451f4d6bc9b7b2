"""Ingest: the warehouse's flights of the training window and of the run date, streamed to parquet.

The history starts ``window.rate_days`` days before the window: the historical rates of the window's first days
are counted over those days (features drops them from the training rows).

Arrow only (no pandas): the history goes from the warehouse's record-batch stream straight into parquet, one
row group per batch, so memory stays bounded however long the window is.
"""

from __future__ import annotations

import datetime as dt

from components.common.artifacts import write_batches, write_table
from components.common.config import WindowSettings
from components.common.files import remove_stray_temporaries
from components.common.logging import get_logger
from components.common.stage import OutputFile, StageReport, StageRequest
from components.common.warehouse import reads
from components.common.warehouse.retries import with_retries
from components.common.warehouse.url import resolve_warehouse_url
from components.contracts import history_window
from components.ingest.core import DayCounter, check_run_date, drop_outcomes, flights_params


class Request(StageRequest):
    """The flights of the ``window.window_days`` (+ ``rate_days``) days before the run date, and of the run date."""

    warehouse_url: str = ""  # empty: $FLIGHTS_WAREHOUSE_URL (on a cluster, the Secret's)
    window: WindowSettings = WindowSettings()
    history: OutputFile
    scoring: OutputFile


class Report(StageReport):
    """How many flights went where, and which days the history asks for (both ends included; the warehouse may
    start later than ``history_first_day``, within the days before the window that only the rates read)."""

    history_rows: int
    history_days: int
    history_first_day: dt.date
    history_last_day: dt.date
    scoring_rows: int


def preflight(warehouse_url: str, run_date: dt.date, window_days: int) -> None:
    """The checks a run needs before anything is written: tables, the day, enough history."""
    available = reads.flight_date_range(warehouse_url)
    check_run_date(run_date, available, reads.count_flights_on(warehouse_url, run_date), window_days)


def write_history(
    warehouse_url: str, start: dt.date, end: dt.date, window: WindowSettings, history_path: OutputFile
) -> tuple[int, int]:
    """Stream the flights of ``[start, end)`` into ``history_path``; returns (rows, days). Retried as a whole."""

    def work() -> tuple[int, int]:
        counter = DayCounter()
        with reads.stream_query(warehouse_url, "flights_between", flights_params(start, end, window)) as reader:
            rows = write_batches(
                counter.counted(reader),
                history_path,
                empty_error=f"the warehouse has no flights between {start} and {end}: check the source tables",
            )
        return rows, counter.days

    return with_retries(warehouse_url, work)


def run(request: Request) -> Report:
    """Write the history (with outcomes and label) and the scoring set (without) for the run date."""
    day = request.run_date
    warehouse_url = resolve_warehouse_url(request.warehouse_url)
    for folder in {request.history.parent, request.scoring.parent}:
        remove_stray_temporaries(folder)  # a killed predecessor's half-written files
    preflight(warehouse_url, day, request.window.window_days)
    log = get_logger()
    window = request.window
    start, end = history_window(day, window.window_days)
    start -= dt.timedelta(days=window.rate_days)
    last = end - dt.timedelta(days=1)
    rows, days = write_history(warehouse_url, start, end, window, request.history)
    log.info(
        "history: %d flights on %d days from %s to %s (both included; the first %d days for the rates only)",
        rows, days, start, last, window.rate_days,
    )  # fmt: skip
    scoring = drop_outcomes(
        reads.query_arrow(warehouse_url, "flights_between", flights_params(day, day + dt.timedelta(days=1), window))
    )
    write_table(scoring, request.scoring)
    log.info("scoring set: %d flights scheduled on %s", scoring.num_rows, day)
    return Report(
        history_rows=rows, history_days=days, history_first_day=start, history_last_day=last,
        scoring_rows=scoring.num_rows,
    )  # fmt: skip
