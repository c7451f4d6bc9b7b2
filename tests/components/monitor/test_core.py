"""Monitoring: drift against the training profile, and a day's predictions against what happened."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.metrics import brier_score_loss, roc_auc_score

from components.features.core import CATEGORICAL_FEATURES
from components.features.profile import (
    CALENDAR_FEATURES,
    DRIFT_PSI,
    MONITORED_NUMERIC,
    population_stability,
    profile_features,
)
from components.monitor.core import brier_score, check_outcomes, roc_auc


def test_profile_covers_monitored_features_but_not_the_calendar(history_features: pd.DataFrame) -> None:
    profile = profile_features(history_features)

    assert profile["rows"] == len(history_features)
    assert set(profile["numeric"]) == set(MONITORED_NUMERIC)
    assert not set(CALENDAR_FEATURES) & set(profile["numeric"])
    assert set(profile["categorical"]) == set(CATEGORICAL_FEATURES)
    for column, numeric in profile["numeric"].items():
        assert sum(numeric["shares"]) == pytest.approx(1.0), column
        assert len(numeric["shares"]) == len(numeric["edges"]) + 1, column
    assert sum(profile["categorical"]["origin"].values()) == pytest.approx(1.0)
    assert "(missing)" in profile["categorical"]["plane_type"]  # unknown planes are a category of their own


def test_same_data_has_no_drift(history_features: pd.DataFrame) -> None:
    reference = json.loads(json.dumps(profile_features(history_features)))  # as the registry stores it

    drift = population_stability(reference, history_features)

    assert list(drift.columns) == ["feature", "psi", "drifted"]
    assert set(drift["feature"]) == set(MONITORED_NUMERIC) | set(CATEGORICAL_FEATURES)
    assert drift["psi"].abs().max() < 1e-12
    assert not drift["drifted"].any()


def test_a_shifted_feature_drifts_and_comes_first(history_features: pd.DataFrame) -> None:
    reference = profile_features(history_features)
    warmer = history_features.assign(temp=history_features["temp"] + 30)

    drift = population_stability(reference, warmer)

    assert drift.loc[0, "feature"] == "temp"
    assert drift.loc[0, "psi"] > 5 * DRIFT_PSI
    assert drift["drifted"].tolist() == [True] + [False] * (len(drift) - 1)


def test_a_new_category_drifts(history_features: pd.DataFrame) -> None:
    reference = profile_features(history_features)
    new_airline = history_features.assign(carrier="ZZ")

    drift = population_stability(reference, new_airline).set_index("feature")

    assert drift.loc["carrier", "drifted"]
    assert drift.drop(index="carrier")["psi"].max() < 1e-12


def test_the_calendar_never_drifts(history_features: pd.DataFrame) -> None:
    reference = profile_features(history_features)
    one_weekday = history_features.assign(**dict.fromkeys(CALENDAR_FEATURES, 0.0))

    drift = population_stability(reference, one_weekday)

    assert not set(CALENDAR_FEATURES) & set(drift["feature"])
    assert not drift["drifted"].any()


def _predictions(p_disrupted: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"flight_id": list(p_disrupted), "p_disrupted": list(p_disrupted.values())})


def _outcomes(disrupted: dict[str, bool]) -> pd.DataFrame:
    return pd.DataFrame({"flight_id": list(disrupted), "disrupted": list(disrupted.values())})


def test_check_outcomes_on_a_tiny_known_case() -> None:
    predictions = _predictions({"a": 0.9, "b": 0.8, "c": 0.3, "d": 0.2, "unflown": 0.5})
    outcomes = _outcomes({"a": True, "b": False, "c": True, "d": False, "unscored": True})

    result = check_outcomes(predictions, outcomes)

    # ROC AUC: of the 4 (disrupted, on time) pairs, 3 rank the disrupted flight higher (0.9>0.8, 0.9>0.2, 0.3>0.2)
    # Brier: mean of (1-0.9)^2, (0-0.8)^2, (1-0.3)^2, (0-0.2)^2 = (0.01 + 0.64 + 0.49 + 0.04) / 4
    assert result == {
        "flights": 4,
        "observed_rate": 0.5,
        "mean_predicted": pytest.approx((0.9 + 0.8 + 0.3 + 0.2) / 4),
        "roc_auc": 0.75,
        "brier": pytest.approx(1.18 / 4),
    }


def test_check_outcomes_without_both_outcomes_has_no_roc_auc() -> None:
    result = check_outcomes(_predictions({"a": 0.2, "b": 0.4}), _outcomes({"a": False, "b": False}))

    assert result["roc_auc"] is None
    assert result["brier"] == pytest.approx((0.2**2 + 0.4**2) / 2)
    assert result["observed_rate"] == 0.0


def test_check_outcomes_without_matching_flights() -> None:
    result = check_outcomes(_predictions({"a": 0.2}), _outcomes({"b": True}))

    assert result == {"flights": 0, "observed_rate": None, "mean_predicted": None, "roc_auc": None, "brier": None}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 1.0])), min_size=2, max_size=40))
def test_roc_auc_and_brier_match_scikit_learn(pairs: list[tuple[bool, float]]) -> None:
    outcome = np.array([o for o, _ in pairs])
    probability = np.array([p for _, p in pairs])
    assume(outcome.any() and not outcome.all())

    assert roc_auc(outcome, probability) == pytest.approx(roc_auc_score(outcome, probability))
    assert brier_score(outcome, probability) == pytest.approx(brier_score_loss(outcome, probability))


def test_roc_auc_needs_both_outcomes() -> None:
    with pytest.raises(ValueError, match="both outcomes"):
        roc_auc(np.array([True, True]), np.array([0.2, 0.4]))
