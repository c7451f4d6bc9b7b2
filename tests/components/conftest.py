"""Shared fixtures: small, valid, realistic flight frames built from seeded randomness."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from components.common.config import TrainSettings
from components.contracts import LABEL
from components.features.core import OutcomeHistory, build_features
from components.schemas import FeatureFrame, HistoryFlights, LabelledFeatures

HistoryFactory = Callable[..., pd.DataFrame]
Featurize = Callable[[pd.DataFrame], pd.DataFrame]

_CARRIERS = ("UA", "AA", "DL", "B6", "EV")
_ORIGINS = ("EWR", "JFK", "LGA")
# Destination and its distance in miles from New York, roughly.
_DESTINATIONS = {"ORD": 733.0, "ATL": 762.0, "LAX": 2475.0, "BOS": 187.0, "MIA": 1089.0, "DCA": 214.0}
_PLANES = (  # tailnum, year, type, manufacturer, engines, seats, engine
    ("N14228", 1999.0, "Fixed wing multi engine", "BOEING", 2.0, 149.0, "Turbo-fan"),
    ("N24211", 1998.0, "Fixed wing multi engine", "BOEING", 2.0, 149.0, "Turbo-fan"),
    ("N619AA", 1990.0, "Fixed wing multi engine", "BOEING", 2.0, 178.0, "Turbo-fan"),
    ("N804JB", 2012.0, "Fixed wing multi engine", "AIRBUS", 2.0, 200.0, "Turbo-fan"),
    ("N10156", 2004.0, "Fixed wing multi engine", "EMBRAER", 2.0, 55.0, "Turbo-fan"),
    ("N201AA", 1959.0, "Fixed wing single engine", "CESSNA", 1.0, 2.0, "Reciprocating"),
)
HISTORY_COLUMNS = tuple(HistoryFlights.to_schema().columns)


@pytest.fixture(scope="session", autouse=True)
def _one_thread_per_library() -> Iterator[None]:
    """Fit models on one OpenMP thread.

    On a busy machine (the pipeline suite running beside this one) OpenMP's spinning worker threads turn a
    0.05 s fit into 20 s; one thread keeps the suite fast and its timings steady.
    """
    with threadpool_limits(limits=1):
        yield


def _clock(minutes: np.ndarray) -> np.ndarray:
    minutes = minutes % 1440
    return (minutes // 60) * 100 + minutes % 60


def build_history_flights(
    rows: int = 200, days: int = 20, seed: int = 0, start: dt.date = dt.date(2013, 5, 1)
) -> pd.DataFrame:
    """A valid ``HistoryFlights`` frame: ``rows`` flights spread over ``days`` days, seeded.

    Disruption depends on the scheduled hour and on rain, so a model has something to learn; a few
    flights are cancelled (no departure, no arrival), a few planes and weather hours are unknown.
    """
    rng = np.random.default_rng(seed)
    day_offset = np.sort(np.arange(rows) % days)
    flight_date = pd.to_datetime([start + dt.timedelta(days=int(d)) for d in day_offset])
    departure = rng.integers(5 * 60, 23 * 60, rows)
    departure = departure - departure % 5
    carrier = rng.choice(_CARRIERS, rows)
    origin = rng.choice(_ORIGINS, rows)
    dest = rng.choice(list(_DESTINATIONS), rows)
    distance = np.array([_DESTINATIONS[d] for d in dest])
    block = (distance / 8 + 30 + rng.integers(0, 20, rows)).astype(int)
    flight = 1000 + np.arange(rows)  # unique, so flight_id is unique
    sched_dep_time = _clock(departure)
    plane = rng.integers(0, len(_PLANES) + 1, rows)  # the last index: an unknown plane
    known_plane = plane < len(_PLANES)

    def plane_field(position: int) -> list[object]:
        return [_PLANES[p][position] if p < len(_PLANES) else None for p in plane]

    weather_known = rng.random(rows) > 0.05
    precip = np.where(rng.random(rows) < 0.2, rng.uniform(0, 0.5, rows).round(2), 0.0)

    def weather(values: np.ndarray) -> np.ndarray:
        return np.where(weather_known, values, np.nan)

    risk = -1.6 + 0.12 * (departure / 60 - 12) + 6 * precip + rng.normal(0, 0.7, rows)
    arr_delay = np.round(rng.normal(0, 12, rows) + 25 * risk).astype(float)
    cancelled = rng.random(rows) < 0.03
    arr_delay[cancelled] = np.nan
    dep_delay = np.where(cancelled, np.nan, np.round(arr_delay * 0.8 + rng.normal(0, 5, rows)))
    air_time = np.where(cancelled, np.nan, np.maximum(block - 20, 20).astype(float))
    dep_time = np.where(cancelled, np.nan, _clock(departure + np.nan_to_num(dep_delay).astype(int)).astype(float))
    arr_time = np.where(
        cancelled, np.nan, _clock(departure + block + np.nan_to_num(arr_delay).astype(int)).astype(float)
    )
    dates = [f"{d:%Y%m%d}" for d in flight_date]
    frame = pd.DataFrame(
        {
            "flight_id": [
                f"{d}-{c}-{f}-{o}-{s:04d}"
                for d, c, f, o, s in zip(dates, carrier, flight, origin, sched_dep_time, strict=True)
            ],
            "flight_date": flight_date,
            "year": flight_date.year.astype("int64"),
            "month": flight_date.month.astype("int64"),
            "day": flight_date.day.astype("int64"),
            "sched_dep_time": sched_dep_time.astype("int64"),
            "sched_arr_time": _clock(departure + block).astype("int64"),
            "hour": (departure // 60).astype("int64"),
            "minute": (departure % 60).astype("int64"),
            "carrier": carrier,
            "flight": flight.astype("int64"),
            "tailnum": [_PLANES[p][0] if p < len(_PLANES) else "N999XX" for p in plane],
            "origin": origin,
            "dest": dest,
            "distance": distance,
            "plane_year": pd.array(plane_field(1), dtype="float64"),
            "plane_type": plane_field(2),
            "plane_manufacturer": plane_field(3),
            "plane_engines": pd.array(plane_field(4), dtype="float64"),
            "plane_seats": pd.array(plane_field(5), dtype="float64"),
            "plane_engine": plane_field(6),
            "temp": weather(rng.uniform(40, 90, rows).round(2)),
            "dewp": weather(rng.uniform(20, 60, rows).round(2)),
            "humid": weather(rng.uniform(20, 100, rows).round(2)),
            "wind_dir": weather(rng.integers(0, 36, rows) * 10.0),
            "wind_speed": weather(rng.uniform(0, 25, rows).round(2)),
            "wind_gust": np.where(rng.random(rows) < 0.3, rng.uniform(20, 40, rows).round(2), np.nan),
            "precip": weather(precip),
            "pressure": weather(rng.uniform(1000, 1030, rows).round(1)),
            "visib": weather(np.where(precip > 0, 5.0, 10.0)),
            "dep_time": dep_time,
            "dep_delay": dep_delay,
            "arr_time": arr_time,
            "arr_delay": arr_delay,
            "air_time": air_time,
            "disrupted": np.isnan(arr_delay) | (arr_delay >= 15),
        }
    )
    frame.loc[~known_plane, ["plane_year", "plane_engines", "plane_seats"]] = np.nan
    return with_schedule_counts(frame).loc[:, list(HISTORY_COLUMNS)]


def with_schedule_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """The day's schedule counts sql/flights_between.sql adds (the plane's rotation, congestion), for a frame of
    flights built by hand: the same definitions in pandas."""
    ordered = frame.sort_values(["flight_date", "sched_dep_time", "carrier", "flight"])
    plane = ordered.groupby(["flight_date", "tailnum"], dropna=True)
    counts = pd.DataFrame(index=ordered.index)
    counts["tail_leg"] = plane.cumcount().astype("float64") + 1
    counts["tail_legs"] = plane["flight_id"].transform("size").astype("float64")
    counts["tail_prev_sched_dep_time"] = plane["sched_dep_time"].shift().astype("float64")
    counts.loc[ordered["tailnum"].isna(), ["tail_leg", "tail_legs"]] = np.nan
    for name, keys in {
        "origin_hour_flights": ["flight_date", "origin", "hour"],
        "origin_day_flights": ["flight_date", "origin"],
        "nyc_hour_flights": ["flight_date", "hour"],
    }.items():
        counts[name] = ordered.groupby(keys)["flight_id"].transform("size").astype("int64")
    return frame.drop(columns=[c for c in counts.columns if c in frame.columns]).join(counts)


@pytest.fixture(scope="session")
def make_history_flights() -> HistoryFactory:
    """The frame builder, for tests that need another size, seed or start day."""
    return build_history_flights


@pytest.fixture
def history_flights() -> pd.DataFrame:
    """200 valid flights over 20 days (2013-05-01..2013-05-20), with outcomes and label."""
    return build_history_flights()


@pytest.fixture(scope="session")
def small_train_settings() -> TrainSettings:
    """Hyper-parameters small enough to fit in a fraction of a second on a few hundred rows."""
    return TrainSettings(seed=7, max_iter=30, learning_rate=0.1, max_leaf_nodes=8, min_samples_leaf=5)


def featurize(flights: pd.DataFrame, history: pd.DataFrame | None = None) -> pd.DataFrame:
    """Features as the features stage writes them: built from the rates of ``history`` (default: the flights
    themselves when they have outcomes, else none), then validated (which coerces) by the artifact schema."""
    schema = LabelledFeatures if LABEL in flights.columns else FeatureFrame
    rates = OutcomeHistory(history, 28) if history is not None else None
    return schema.validate(build_features(flights, rates), lazy=True)


@pytest.fixture(scope="session")
def make_features() -> Featurize:
    """``featurize``, for tests that build features of their own frames."""
    return featurize


@pytest.fixture
def history_features(history_flights: pd.DataFrame) -> pd.DataFrame:
    """The labelled features of ``history_flights``."""
    return featurize(history_flights)
