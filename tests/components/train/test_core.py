"""Training: a time split, a deterministic seeded fit, and content-addressed versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from components.common.config import TrainSettings
from components.common.errors import PipelineError
from components.contracts import LABEL
from components.features.core import FEATURE_COLUMNS
from components.train.core import content_hash, fingerprint, fit_model, model_inputs, predict_proba, split_by_time

HOLDOUT_START = dt.date(2013, 5, 15)  # history_features covers 2013-05-01..2013-05-20
SPLIT_ERROR = (
    "the {} part of the window has no rows or a single outcome: "
    "widen window.window_days or window.holdout_days in the config"
)


def test_split_by_time_puts_the_holdout_start_day_in_the_holdout(history_features: pd.DataFrame) -> None:
    train, holdout = split_by_time(history_features, HOLDOUT_START)

    assert train["flight_date"].max() == pd.Timestamp("2013-05-14")
    assert holdout["flight_date"].min() == pd.Timestamp("2013-05-15")
    assert holdout["flight_date"].max() == pd.Timestamp("2013-05-20")
    assert len(train) + len(holdout) == len(history_features)
    assert sorted([*train["flight_id"], *holdout["flight_id"]]) == sorted(history_features["flight_id"])


@pytest.mark.parametrize(
    ("part", "rows"),
    [
        ("training", lambda f: f["flight_date"] < pd.Timestamp(HOLDOUT_START)),
        ("holdout", lambda f: f["flight_date"] >= pd.Timestamp(HOLDOUT_START)),
    ],
)
def test_a_part_with_a_single_outcome_is_an_error(
    history_features: pd.DataFrame, part: str, rows: Callable[[pd.DataFrame], pd.Series]
) -> None:
    features = history_features.copy()
    features.loc[rows(features), LABEL] = False

    with pytest.raises(PipelineError) as raised:
        split_by_time(features, HOLDOUT_START)

    assert str(raised.value) == SPLIT_ERROR.format(part)


def test_an_empty_holdout_is_an_error(history_features: pd.DataFrame) -> None:
    with pytest.raises(PipelineError) as raised:
        split_by_time(history_features, dt.date(2013, 6, 1))

    assert str(raised.value) == SPLIT_ERROR.format("holdout")


def test_model_inputs_are_exactly_the_feature_columns(history_features: pd.DataFrame) -> None:
    with_extras = history_features.assign(arr_delay=1.0)

    assert list(model_inputs(with_extras).columns) == list(FEATURE_COLUMNS)


def test_fit_is_deterministic(history_features: pd.DataFrame, small_train_settings: TrainSettings) -> None:
    train, holdout = split_by_time(history_features, HOLDOUT_START)

    first = predict_proba(fit_model(train, small_train_settings), holdout)
    second = predict_proba(fit_model(train.copy(), small_train_settings), holdout)

    np.testing.assert_array_equal(first, second)
    assert first.shape == (len(holdout),)
    assert ((first >= 0) & (first <= 1)).all()
    assert len(np.unique(first)) > 5


@pytest.mark.parametrize("column", ["wind_gust", "plane_type"])
def test_a_feature_missing_on_every_training_row_is_left_out_of_the_fit(
    history_features: pd.DataFrame, small_train_settings: TrainSettings, column: str
) -> None:
    """scikit-learn 1.9 fails to bin an all-missing column; such a feature is left out, and scoring rows that do
    have it score as if they did not."""
    train, holdout = split_by_time(history_features, HOLDOUT_START)
    train = train.assign(**{column: None})

    model = fit_model(train, small_train_settings)

    np.testing.assert_array_equal(predict_proba(model, holdout), predict_proba(model, holdout.assign(**{column: None})))
    assert column not in model[:-1].get_feature_names_out()


def test_fit_depends_on_the_parameters(history_features: pd.DataFrame, small_train_settings: TrainSettings) -> None:
    train, holdout = split_by_time(history_features, HOLDOUT_START)
    shallower = small_train_settings.model_copy(update={"max_iter": 3})

    assert not np.array_equal(
        predict_proba(fit_model(train, small_train_settings), holdout),
        predict_proba(fit_model(train, shallower), holdout),
    )


def test_model_version_is_the_same_exactly_when_data_parameters_and_code_are(
    history_features: pd.DataFrame, small_train_settings: TrainSettings
) -> None:
    day = dt.date(2013, 5, 21)
    data = content_hash(history_features)
    version = fingerprint(day, data, small_train_settings, "abc123")

    assert version == fingerprint(
        day, content_hash(history_features.copy()), TrainSettings(**small_train_settings.model_dump()), "abc123"
    )
    assert version.startswith("20130521-")
    assert len(version) == len("20130521-") + 12
    others = {
        fingerprint(day, "0" * 64, small_train_settings, "abc123"),
        fingerprint(day, data, small_train_settings.model_copy(update={"seed": 8}), "abc123"),
        fingerprint(day, data, small_train_settings, "def456"),
    }
    assert version not in others
    assert len(others) == 3


def test_content_hash_changes_when_one_value_changes(history_features: pd.DataFrame) -> None:
    changed = history_features.copy()
    changed.loc[17, "temp"] = changed.loc[17, "temp"] + 0.01 if pd.notna(changed.loc[17, "temp"]) else 50.0

    assert content_hash(history_features) == content_hash(history_features.copy())
    assert content_hash(changed) != content_hash(history_features)


def test_content_hash_sees_row_order_and_column_names(history_features: pd.DataFrame) -> None:
    original = content_hash(history_features)

    assert content_hash(history_features.iloc[::-1]) != original
    assert content_hash(history_features.rename(columns={"temp": "temperature"})) != original


def test_content_hash_ignores_the_index(history_features: pd.DataFrame) -> None:
    assert content_hash(history_features.set_axis(range(100, 100 + len(history_features)))) == content_hash(
        history_features
    )
