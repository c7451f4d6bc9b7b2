"""pandera models for every artifact: strict about columns, coercing types, with row rules."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

NYC_ORIGINS = ("EWR", "JFK", "LGA")


class _Strict(pa.DataFrameModel):
    class Config:
        strict = True
        coerce = True


class ScoringFlights(_Strict):
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
    carrier: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 2})
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


class HistoryFlights(ScoringFlights):
    """Flights of the training window, with what happened to them and the label."""

    dep_time: Series[float] = pa.Field(nullable=True, ge=0, le=2400)
    dep_delay: Series[float] = pa.Field(nullable=True)
    arr_time: Series[float] = pa.Field(nullable=True, ge=0, le=2400)
    arr_delay: Series[float] = pa.Field(nullable=True)
    air_time: Series[float] = pa.Field(nullable=True, gt=0)
    disrupted: Series[bool]


class Quarantine(_Strict):
    """Rows that broke a row rule, with every reason."""

    dataset: Series[str] = pa.Field(isin=["history", "scoring"])
    flight_id: Series[str] = pa.Field(nullable=True)
    reason: Series[str]


class FeatureFrame(_Strict):
    """Model inputs: stateless, row-wise derivations shared by training and scoring."""

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


class LabelledFeatures(FeatureFrame):
    """Model inputs of the training window, with the label."""

    disrupted: Series[bool]


class Predictions(_Strict):
    """One probability per flight scheduled on the run date, and the model that made it."""

    run_date: Series[pd.Timestamp]
    flight_id: Series[str] = pa.Field(unique=True)
    carrier: Series[str]
    flight: Series[int]
    origin: Series[str] = pa.Field(isin=list(NYC_ORIGINS))
    dest: Series[str]
    sched_dep_time: Series[int] = pa.Field(ge=0, le=2359)
    p_disrupted: Series[float] = pa.Field(ge=0.0, le=1.0)
    model_version: Series[str]
