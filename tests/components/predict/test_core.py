"""Scoring: one probability per scheduled flight, readable, from a named model; the riskiest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from components.common.config import TrainSettings
from components.contracts import LABEL, OUTCOME_COLUMNS
from components.predict.core import riskiest, score_flights
from components.schemas import Predictions
from components.train.core import fit_model, predict_proba

RUN_DATE = dt.date(2013, 5, 20)
VERSION = "20130520-0123456789ab"
Featurize = Callable[[pd.DataFrame], pd.DataFrame]


@pytest.fixture
def day(history_flights: pd.DataFrame) -> pd.DataFrame:
    """The run date's scoring set: its flights without outcomes."""
    scheduled = history_flights[history_flights["flight_date"] == pd.Timestamp(RUN_DATE)]
    return scheduled.drop(columns=list(OUTCOME_COLUMNS)).reset_index(drop=True)


@pytest.fixture
def model(history_features: pd.DataFrame, small_train_settings: TrainSettings) -> Pipeline:
    return fit_model(history_features[history_features["flight_date"] < pd.Timestamp(RUN_DATE)], small_train_settings)


def test_score_flights_gives_one_valid_row_per_flight(
    day: pd.DataFrame, model: Pipeline, make_features: Featurize
) -> None:
    features = make_features(day)

    predictions = score_flights(model, features, day, RUN_DATE, VERSION)

    Predictions.validate(predictions, lazy=True)
    assert list(predictions.columns) == list(Predictions.to_schema().columns)
    assert len(predictions) == len(day) == 10
    assert predictions["flight_id"].tolist() == sorted(day["flight_id"])
    assert predictions["p_disrupted"].between(0, 1).all()
    assert set(predictions["model_version"]) == {VERSION}
    assert set(predictions["run_date"]) == {pd.Timestamp(RUN_DATE)}


def test_score_flights_matches_features_to_flights_by_id(
    day: pd.DataFrame, model: Pipeline, make_features: Featurize
) -> None:
    features = make_features(day)
    expected = dict(zip(features["flight_id"], predict_proba(model, features), strict=True))
    shuffled = features.sample(frac=1.0, random_state=3).reset_index(drop=True)

    predictions = score_flights(model, shuffled, day, RUN_DATE, VERSION)

    assert dict(zip(predictions["flight_id"], predictions["p_disrupted"], strict=True)) == expected
    by_id = day.set_index("flight_id")
    for row in predictions.itertuples():
        assert (row.carrier, row.flight, row.sched_dep_time) == tuple(
            by_id.loc[row.flight_id, ["carrier", "flight", "sched_dep_time"]]
        )


def test_score_flights_does_not_mutate_its_inputs(day: pd.DataFrame, model: Pipeline, make_features: Featurize) -> None:
    features = make_features(day)
    before = (features.copy(), day.copy())

    score_flights(model, features, day, RUN_DATE, VERSION)

    pd.testing.assert_frame_equal(features, before[0])
    pd.testing.assert_frame_equal(day, before[1])
    assert LABEL not in features.columns


def test_riskiest_orders_by_probability_then_flight_id() -> None:
    predictions = pd.DataFrame(
        {
            "flight_id": ["c", "a", "d", "b", "e"],
            "p_disrupted": [0.9, 0.4, 0.4, 0.95, 0.4],
        }
    )

    top = riskiest(predictions, 4)

    assert top["flight_id"].tolist() == ["b", "c", "a", "d"]
    assert riskiest(predictions, 10)["flight_id"].tolist() == ["b", "c", "a", "d", "e"]
    assert riskiest(predictions, 0).empty
    np.testing.assert_array_equal(predictions["flight_id"], ["c", "a", "d", "b", "e"])  # input untouched
