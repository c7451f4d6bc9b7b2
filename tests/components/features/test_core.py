"""Features: row-wise, stateless, never mutating, and blind to anything known only after departure."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.common.config import TrainSettings, WindowSettings
from components.contracts import LABEL, LEAKAGE_COLUMNS
from components.features.core import (
    CATEGORICAL_FEATURES,
    FEATURE_COLUMNS,
    NUMERIC_FEATURES,
    OutcomeHistory,
    build_features,
    clock_to_minutes,
)
from components.schemas import FeatureFrame, HistoryFlights, LabelledFeatures
from components.train.core import fit_model, predict_proba

OUTCOMES = ("dep_time", "dep_delay", "arr_time", "arr_delay", "air_time")
NULLABLE_INPUTS = (
    "tailnum",
    "plane_year",
    "plane_type",
    "plane_manufacturer",
    "plane_engines",
    "plane_seats",
    "plane_engine",
    "temp",
    "wind_gust",
    "precip",
    "visib",
)


def test_clock_to_minutes() -> None:
    clock = pd.Series([0, 5, 515, 1259, 2359, 2400])

    assert clock_to_minutes(clock).tolist() == [0.0, 5.0, 315.0, 779.0, 1439.0, 0.0]


def test_build_features_does_not_mutate_its_input(history_flights: pd.DataFrame) -> None:
    before = history_flights.copy(deep=True)

    build_features(history_flights)

    pd.testing.assert_frame_equal(history_flights, before)


def test_build_features_keeps_every_row_in_order_and_passes_the_schema(history_flights: pd.DataFrame) -> None:
    features = build_features(history_flights)

    assert len(features) == len(history_flights)
    assert features["flight_id"].tolist() == history_flights["flight_id"].tolist()
    assert list(features.columns) == ["flight_id", "flight_date", *FEATURE_COLUMNS, LABEL]
    LabelledFeatures.validate(features, lazy=True)
    assert features[LABEL].tolist() == history_flights[LABEL].tolist()


def test_scoring_flights_get_features_without_a_label(history_flights: pd.DataFrame) -> None:
    scoring = history_flights.drop(columns=[*OUTCOMES, LABEL])

    features = build_features(scoring)

    assert LABEL not in features.columns
    FeatureFrame.validate(features, lazy=True)


def test_build_features_derives_times_calendar_age_and_weather_flag(history_flights: pd.DataFrame) -> None:
    flight = history_flights.iloc[[0]].copy()
    flight["flight_date"] = pd.Timestamp("2013-06-15")  # a Saturday
    flight[["sched_dep_time", "sched_arr_time", "plane_year", "temp"]] = [2330, 115, 2003.0, np.nan]

    row = build_features(flight).iloc[0]

    assert (row["sched_dep_minutes"], row["sched_arr_minutes"], row["sched_block_minutes"]) == (1410.0, 75.0, 105.0)
    assert row["day_of_week"] == 5.0
    assert row["plane_age_years"] == 10.0
    assert row["weather_known"] == 0.0


def test_build_features_resets_a_gappy_index(history_flights: pd.DataFrame) -> None:
    gappy = history_flights.iloc[::3]

    features = build_features(gappy)

    assert features.index.tolist() == list(range(len(gappy)))
    assert features["flight_id"].tolist() == gappy["flight_id"].tolist()


@st.composite
def _flight_frames(draw: st.DrawFn, make_history_flights: Callable[..., pd.DataFrame]) -> pd.DataFrame:
    frame = make_history_flights(
        rows=draw(st.integers(1, 40)), days=draw(st.integers(1, 5)), seed=draw(st.integers(0, 2**32 - 1))
    )
    keep = draw(st.lists(st.booleans(), min_size=len(frame), max_size=len(frame)))
    if any(keep):
        frame = frame[keep]
    order = draw(st.permutations(range(len(frame))))
    frame = frame.iloc[list(order)]
    for column in draw(st.sets(st.sampled_from(NULLABLE_INPUTS))):
        frame[column] = None
    clocks = st.integers(0, 23).flatmap(lambda hour: st.integers(0, 59).map(lambda minute: hour * 100 + minute))
    frame["sched_dep_time"] = draw(st.lists(clocks, min_size=len(frame), max_size=len(frame)))
    return frame


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples every run: the suite is deterministic
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_build_features_keeps_rows_and_order_for_any_valid_frame(
    make_history_flights: Callable[..., pd.DataFrame], data: st.DataObject
) -> None:
    flights = HistoryFlights.validate(data.draw(_flight_frames(make_history_flights)))

    features = build_features(flights)

    assert len(features) == len(flights)
    assert features["flight_id"].tolist() == flights["flight_id"].tolist()
    LabelledFeatures.validate(features, lazy=True)
    # row-wise given the history the rates come from: the features of a part are that part of the features
    half = flights.iloc[: len(flights) // 2]
    history = OutcomeHistory(flights, WindowSettings().rate_days)
    pd.testing.assert_frame_equal(build_features(half, history), features.iloc[: len(half)])


def test_every_valid_input_row_gives_a_valid_feature_row(history_flights: pd.DataFrame) -> None:
    history_flights.loc[0, "plane_year"] = 2020.0  # accepted by the input schema (1900..2100)
    flights = HistoryFlights.validate(history_flights)

    LabelledFeatures.validate(build_features(flights), lazy=True)


# --- leakage ---------------------------------------------------------------------------------


def _model_features(flights: pd.DataFrame) -> pd.DataFrame:
    # As the features stage hands them on: validated, which coerces the categorical columns.
    return LabelledFeatures.validate(build_features(flights))


def _scramble(flights: pd.DataFrame, columns: tuple[str, ...], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    scrambled = flights.copy()
    for column in columns:
        scrambled[column] = rng.uniform(-100, 2400, len(flights)).round()
    return scrambled


def test_no_outcome_column_is_a_feature() -> None:
    assert set(LEAKAGE_COLUMNS) == set(OUTCOMES)
    assert not set(OUTCOMES) & set(FEATURE_COLUMNS)
    assert set(FEATURE_COLUMNS) == set(CATEGORICAL_FEATURES) | set(NUMERIC_FEATURES)


def test_outcome_columns_cannot_reach_a_prediction(
    make_history_flights: Callable[..., pd.DataFrame], small_train_settings: TrainSettings
) -> None:
    flights = make_history_flights(rows=300, days=20, seed=11)
    scrambled = _scramble(flights, OUTCOMES, seed=5)
    assert not np.allclose(scrambled[list(OUTCOMES)].fillna(-1), flights[list(OUTCOMES)].fillna(-1))
    model = fit_model(_model_features(flights), small_train_settings)

    expected = predict_proba(model, _model_features(flights))

    # scoring with scrambled outcomes, and training on them, changes nothing
    np.testing.assert_array_equal(predict_proba(model, _model_features(scrambled)), expected)
    model_on_scrambled = fit_model(_model_features(scrambled), small_train_settings)
    np.testing.assert_array_equal(predict_proba(model_on_scrambled, _model_features(scrambled)), expected)
    assert len(np.unique(expected)) > 10  # a model that predicts a constant would prove nothing


def test_the_leakage_check_would_see_a_feature_that_matters(
    make_history_flights: Callable[..., pd.DataFrame], small_train_settings: TrainSettings
) -> None:
    flights = make_history_flights(rows=300, days=20, seed=11)
    model = fit_model(_model_features(flights), small_train_settings)
    scrambled = flights.copy()
    scrambled["precip"] = np.random.default_rng(5).uniform(0, 1, len(flights)).round(2)

    assert not np.array_equal(
        predict_proba(model, _model_features(scrambled)), predict_proba(model, _model_features(flights))
    )


def test_build_features_output_can_be_fed_to_the_model_directly(
    history_flights: pd.DataFrame, small_train_settings: TrainSettings
) -> None:
    assert history_flights["plane_type"].isna().any()
    features = build_features(history_flights)

    model = fit_model(features, small_train_settings)

    assert len(predict_proba(model, features)) == len(history_flights)
