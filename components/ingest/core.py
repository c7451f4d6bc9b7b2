"""Which days a run reads, and what the scoring set may contain. Arrow only: no pandas here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pyarrow as pa

from components.common.config import WindowSettings
from components.common.errors import PipelineError
from components.contracts import OUTCOME_COLUMNS, history_window


def check_run_date(
    run_date: dt.date, available: tuple[dt.date, dt.date] | None, flights_on_day: int, window_days: int
) -> None:
    """Fail with one line when the warehouse can't support a run for ``run_date``."""
    if available is None:
        raise PipelineError("the warehouse has no flights: seed it with `python pipeline.py seed`")
    first, last = available
    if flights_on_day == 0:
        raise PipelineError(
            f"no flights are scheduled on {run_date} in the warehouse (it holds {first}..{last}): "
            "pick a --date in that range"
        )
    start, _ = history_window(run_date, window_days)
    if start < first:
        earliest = first + dt.timedelta(days=window_days)
        have = (run_date - first).days
        raise PipelineError(
            f"run date {run_date} has {have} day(s) of history but window_days is {window_days}: "
            f"pick a --date on or after {earliest} or lower window.window_days in the config"
        )


def flights_params(start: dt.date, end: dt.date, window: WindowSettings) -> dict[str, object]:
    """The parameters of ``sql/flights_between.sql``: the days ``[start, end)``, seen at the window's scoring time."""
    return {"start": start, "end": end, "weather_hours": window.weather_hours}


def drop_outcomes(flights: pa.Table) -> pa.Table:
    """The scoring set: flights without any column that is only known after departure."""
    return flights.drop_columns([c for c in OUTCOME_COLUMNS if c in flights.column_names])


def count_days(flights: pa.Table) -> int:
    """How many distinct days a table of flights covers."""
    return len(flights.column("flight_date").unique()) if flights.num_rows else 0


class DayCounter:
    """Counts the distinct days of a stream of flight batches as they pass (the stream is not held)."""

    def __init__(self) -> None:
        self._days: set[object] = set()

    @property
    def days(self) -> int:
        """Distinct ``flight_date`` values seen so far."""
        return len(self._days)

    def counted(self, reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
        """The same stream, counting days on the way through."""

        def batches() -> Iterator[pa.RecordBatch]:
            for batch in reader:
                if batch.num_rows:
                    self._days.update(batch.column("flight_date").unique().to_pylist())
                yield batch

        return pa.RecordBatchReader.from_batches(reader.schema, batches())
