"""Ingest: the warehouse's flights of the training window and of the run date, to parquet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from components.common import warehouse
from components.common.errors import PipelineError
from components.common.logging import get_logger
from components.common.parquet import write_table
from components.ingest.core import check_run_date, count_days, drop_outcomes, history_window, parse_run_date


def preflight(warehouse_url: str, run_date: dt.date, window_days: int) -> None:
    """The checks a run needs before anything is written: tables, the day, enough history."""
    available = warehouse.flight_date_range(warehouse_url)
    check_run_date(run_date, available, warehouse.count_flights_on(warehouse_url, run_date), window_days)


def run(
    warehouse_url: str, run_date: str, window_days: int, history_path: Path | None, scoring_path: Path
) -> dict[str, Any]:
    """Write the history (with outcomes and label) and the scoring set (without) for ``run_date``."""
    day = parse_run_date(run_date)
    preflight(warehouse_url, day, window_days)
    log = get_logger()
    report: dict[str, Any] = {"run_date": run_date}
    if history_path is not None:
        start, end = history_window(day, window_days)
        history = warehouse.query_arrow(warehouse_url, "flights_between", {"start": start, "end": end})
        if history.num_rows == 0:
            raise PipelineError(f"the warehouse has no flights between {start} and {end}: check the source tables")
        write_table(history, history_path)
        log.info("history: %d flights on %d days from %s to %s", history.num_rows, count_days(history), start, end)
        report.update(history_rows=history.num_rows, history_start=str(start), history_end=str(end))
    scoring = drop_outcomes(
        warehouse.query_arrow(warehouse_url, "flights_between", {"start": day, "end": day + dt.timedelta(days=1)})
    )
    write_table(scoring, scoring_path)
    log.info("scoring set: %d flights scheduled on %s", scoring.num_rows, day)
    report["scoring_rows"] = scoring.num_rows
    return report
