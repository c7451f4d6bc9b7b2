"""The paired comparison: differences on the same flights, intervals from resampling whole days."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

from components.evaluate.compare import compare


def _holdout(seed: int = 0, flights: int = 2100) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    days = pd.Series(pd.Timestamp("2013-06-08") + pd.to_timedelta(rng.integers(0, 7, flights), unit="D"))
    risk = rng.random(flights)
    outcome = (rng.random(flights) < 0.1 + 0.5 * risk).astype(int)
    return days, outcome, risk


def test_the_point_differences_are_sklearns_on_the_same_flights() -> None:
    days, outcome, risk = _holdout()
    noisy = np.clip(risk + np.random.default_rng(1).normal(0, 0.3, len(risk)), 0, 1)

    result = compare(days, outcome, risk, noisy, seed=42)

    assert abs(result.roc_auc_diff - (roc_auc_score(outcome, risk) - roc_auc_score(outcome, noisy))) < 1e-12
    assert abs(result.brier_diff - (brier_score_loss(outcome, risk) - brier_score_loss(outcome, noisy))) < 1e-12
    assert (result.days, result.flights) == (7, 2100)
    assert 0 < result.roc_auc_diff_low < result.roc_auc_diff < result.roc_auc_diff_high  # clearly better: above 0


def test_the_same_model_against_itself_differs_by_nothing() -> None:
    days, outcome, risk = _holdout()

    result = compare(days, outcome, risk, risk.copy(), seed=42)

    assert result.roc_auc_diff_low == result.roc_auc_diff == result.roc_auc_diff_high == 0
    assert result.brier_diff_low == result.brier_diff_high == 0


def test_two_equally_good_models_tie_within_the_interval() -> None:
    days, outcome, risk = _holdout(seed=3)
    rng = np.random.default_rng(4)
    first = np.clip(risk + rng.normal(0, 0.2, len(risk)), 0, 1)
    second = np.clip(risk + rng.normal(0, 0.2, len(risk)), 0, 1)

    result = compare(days, outcome, first, second, seed=42)

    assert result.roc_auc_diff_low < 0 < result.roc_auc_diff_high
    assert result == compare(days, outcome, first, second, seed=42)  # seeded: the same interval every run
