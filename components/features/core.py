"""Stateless, row-wise features shared by training and scoring. Only what is known before departure.

No day-of-year or month: the holdout and the scored day always lie after the training window, so such a
feature is always out of its training range there and the trees extrapolate from the window's last days
(measured: it cost the model its Brier-score edge over the baseline in May, October and November).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from components.contracts import LABEL

CATEGORICAL_FEATURES = ("carrier", "origin", "dest", "plane_type", "plane_manufacturer", "plane_engine")
NUMERIC_FEATURES = (
    "sched_dep_minutes",
    "sched_arr_minutes",
    "sched_block_minutes",
    "day_of_week",
    "distance",
    "plane_age_years",
    "plane_engines",
    "plane_seats",
    "temp",
    "dewp",
    "humid",
    "wind_dir",
    "wind_speed",
    "wind_gust",
    "precip",
    "pressure",
    "visib",
    "weather_known",
)
FEATURE_COLUMNS = CATEGORICAL_FEATURES + NUMERIC_FEATURES
# Day-level inputs: every flight leaving an airport in the same hour shares one reading (monitor judges them by day).
WEATHER_FEATURES = ("temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib")


def clock_to_minutes(clock: pd.Series) -> pd.Series:
    """``HHMM`` clock times as minutes after midnight (2400 is midnight)."""
    numeric = pd.to_numeric(clock).astype("float64")
    return ((numeric // 100) * 60 + numeric % 100) % 1440


def _categorical(values: pd.Series) -> pd.Series:
    """Strings as objects, missing as NaN (the encoder inside the model rejects ``pd.NA``)."""
    return values.astype(object).where(values.notna(), np.nan)


def build_features(flights: pd.DataFrame) -> pd.DataFrame:
    """Model inputs for each flight, keyed by ``flight_id``; the label comes along when present."""
    departure = clock_to_minutes(flights["sched_dep_time"])
    arrival = clock_to_minutes(flights["sched_arr_time"])
    flight_date = pd.to_datetime(flights["flight_date"])
    features = pd.DataFrame(
        {
            "flight_id": flights["flight_id"].astype(str),
            "flight_date": flight_date,
            **{column: _categorical(flights[column]) for column in CATEGORICAL_FEATURES},
            "sched_dep_minutes": departure,
            "sched_arr_minutes": arrival,
            "sched_block_minutes": (arrival - departure) % 1440,
            "day_of_week": flight_date.dt.day_of_week.astype("float64"),
            "distance": flights["distance"].astype("float64"),
            "plane_age_years": flight_date.dt.year.astype("float64") - flights["plane_year"].astype("float64"),
            "plane_engines": flights["plane_engines"].astype("float64"),
            "plane_seats": flights["plane_seats"].astype("float64"),
            **{column: flights[column].astype("float64") for column in WEATHER_FEATURES},
            "weather_known": flights["temp"].notna().astype("float64"),
        },
        index=flights.index,
    )
    if LABEL in flights.columns:
        features[LABEL] = flights[LABEL].astype(bool)
    return features.reset_index(drop=True)
