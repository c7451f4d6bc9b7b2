"""Monitoring's core: a day's predictions against what happened (ROC AUC and Brier without scikit-learn at run time)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.metrics import brier_score_loss, roc_auc_score

from components.common.metrics import brier_score, roc_auc
from components.monitor.core import check_outcomes


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
