"""Ingest: the warehouse's flights of the training window and of the run date, streamed to parquet.

Arrow only (no pandas): the history goes from the warehouse's record-batch stream straight into parquet, one
row group per batch, so memory stays bounded however long the window is.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from components.common import warehouse
from components.common.logging import get_logger
from components.common.parquet import remove_stray_temporaries, write_batches, write_table
from components.ingest.core import DayCounter, check_run_date, drop_outcomes, history_window, parse_run_date


def preflight(warehouse_url: str, run_date: dt.date, window_days: int) -> None:
    """The checks a run needs before anything is written: tables, the day, enough history."""
    available = warehouse.flight_date_range(warehouse_url)
    check_run_date(run_date, available, warehouse.count_flights_on(warehouse_url, run_date), window_days)


def write_history(warehouse_url: str, start: dt.date, end: dt.date, history_path: Path) -> tuple[int, int]:
    """Stream the flights of ``[start, end)`` into ``history_path``; returns (rows, days). Retried as a whole."""

    def work() -> tuple[int, int]:
        counter = DayCounter()
        with warehouse.stream_query(warehouse_url, "flights_between", {"start": start, "end": end}) as reader:
            rows = write_batches(
                counter.counted(reader),
                history_path,
                empty_error=f"the warehouse has no flights between {start} and {end}: check the source tables",
            )
        return rows, counter.days

    return warehouse.with_retries(warehouse_url, work)


def run(
    warehouse_url: str, run_date: str, window_days: int, history_path: Path | None, scoring_path: Path
) -> dict[str, Any]:
    """Write the history (with outcomes and label) and the scoring set (without) for ``run_date``."""
    day = parse_run_date(run_date)
    warehouse_url = warehouse.resolve_warehouse_url(warehouse_url)
    for folder in {p.parent for p in (history_path, scoring_path) if p is not None}:
        remove_stray_temporaries(folder)  # a killed predecessor's half-written files
    preflight(warehouse_url, day, window_days)
    log = get_logger()
    report: dict[str, Any] = {"run_date": run_date}
    if history_path is not None:
        start, end = history_window(day, window_days)
        rows, days = write_history(warehouse_url, start, end, history_path)
        log.info("history: %d flights on %d days from %s to %s", rows, days, start, end)
        report.update(history_rows=rows, history_start=str(start), history_end=str(end))
    scoring = drop_outcomes(
        warehouse.query_arrow(warehouse_url, "flights_between", {"start": day, "end": day + dt.timedelta(days=1)})
    )
    write_table(scoring, scoring_path)
    log.info("scoring set: %d flights scheduled on %s", scoring.num_rows, day)
    report["scoring_rows"] = scoring.num_rows
    return report
