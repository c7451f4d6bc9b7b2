"""Evaluation: the naive baseline, metrics checked by hand, the thinned ROC curve and the confusion matrix."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from components.common.config import TrainSettings
from components.evaluate.core import (
    calibration_table,
    confusion_at,
    feature_importance,
    fit_baseline,
    holdout_metrics,
    predict_baseline,
    roc_points,
    score_predictions,
)
from components.features.core import FEATURE_COLUMNS
from components.train.core import fit_model, split_by_time


def _frame(rows: list[tuple[str, int, bool]]) -> pd.DataFrame:
    carrier, hour, disrupted = zip(*rows, strict=True)
    return pd.DataFrame(
        {"carrier": carrier, "sched_dep_minutes": [h * 60.0 + 15 for h in hour], "disrupted": disrupted}
    )


TRAIN = _frame(
    [
        *[("UA", 5, True), ("UA", 5, False), ("UA", 5, False), ("UA", 5, True)],  # UA at 5: 2 of 4
        *[("UA", 18, True), ("UA", 18, True)],  # UA at 18: 2 of 2
        *[("AA", 5, False), ("AA", 5, False), ("AA", 5, False), ("AA", 5, True)],  # AA at 5: 1 of 4
    ]
)


def test_fit_baseline_smooths_each_carrier_hour_towards_its_carrier() -> None:
    baseline = fit_baseline(TRAIN)

    assert baseline["overall"] == 0.5
    assert baseline["carrier"] == {"AA": 0.25, "UA": pytest.approx(4 / 6)}
    assert baseline["carrier_hour"] == {
        "UA|5": pytest.approx((2 + 50 * 4 / 6) / (4 + 50)),
        "UA|18": pytest.approx((2 + 50 * 4 / 6) / (2 + 50)),
        "AA|5": pytest.approx((1 + 50 * 0.25) / (4 + 50)),
    }


def test_predict_baseline_falls_back_from_carrier_hour_to_carrier_to_overall() -> None:
    baseline = fit_baseline(TRAIN)
    flights = _frame([("UA", 5, False), ("UA", 9, False), ("AA", 18, False), ("ZZ", 5, False)])

    probability = predict_baseline(baseline, flights)

    np.testing.assert_allclose(probability, [(2 + 50 * 4 / 6) / 54, 4 / 6, 0.25, 0.5])
    assert probability.dtype == np.float64


def test_score_predictions_of_a_perfect_ranking() -> None:
    outcome = np.array([0, 0, 1, 1])
    probability = np.array([0.1, 0.2, 0.8, 0.9])

    scores = score_predictions(outcome, probability)

    assert scores == {
        "roc_auc": 1.0,
        "pr_auc": 1.0,
        "brier": pytest.approx((0.1**2 + 0.2**2 + 0.2**2 + 0.1**2) / 4),
        "log_loss": pytest.approx(-(2 * math.log(0.9) + 2 * math.log(0.8)) / 4),
    }


def test_score_predictions_of_a_reversed_ranking_and_certain_mistakes() -> None:
    scores = score_predictions(np.array([1, 0]), np.array([0.0, 1.0]))

    assert scores["roc_auc"] == 0.0
    assert scores["brier"] == 1.0
    assert math.isfinite(scores["log_loss"])  # clipped, not infinite


def test_holdout_metrics_of_every_role_against_the_baseline_and_none_for_an_absent_champion() -> None:
    days = pd.Series(pd.to_datetime(["2013-06-01"] * 4 + ["2013-06-02"] * 4))
    outcome = np.array([0, 1, 0, 1, 1, 0, 0, 1])
    curves = {"challenger": np.array([0.1, 0.9, 0.2, 0.8, 0.7, 0.3, 0.4, 0.6]), "baseline": np.full(8, 0.5)}
    metrics = holdout_metrics(days, outcome, curves)
    assert list(metrics) == ["challenger", "champion", "baseline"]
    assert metrics["champion"] is None
    challenger, baseline = metrics["challenger"], metrics["baseline"]
    assert challenger is not None
    assert baseline is not None
    assert (challenger["roc_auc"], challenger["within_day_roc_auc"], baseline["brier_skill"]) == (1.0, 1.0, 0.0)
    assert challenger["brier_skill"] == pytest.approx(1 - challenger["brier"] / 0.25)


def test_holdout_metrics_needs_the_baseline() -> None:
    with pytest.raises(KeyError, match="baseline"):
        holdout_metrics(pd.Series(pd.to_datetime(["2013-06-01"] * 2)), np.array([0, 1]), {"challenger": np.ones(2)})


def test_roc_points_are_thinned_and_thresholds_capped() -> None:
    rng = np.random.default_rng(3)
    outcome = rng.integers(0, 2, 500)
    probability = np.clip(outcome * 0.3 + rng.random(500) * 0.7, 0, 1)

    points = roc_points(outcome, probability, max_points=10)

    assert 2 <= len(points["fpr"]) <= 10
    assert len(points["fpr"]) == len(points["tpr"]) == len(points["thresholds"])
    assert max(points["thresholds"]) <= 1.0
    assert points["thresholds"][0] == 1.0  # roc_curve's leading infinity, capped
    assert (points["fpr"][0], points["tpr"][0], points["fpr"][-1], points["tpr"][-1]) == (0.0, 0.0, 1.0, 1.0)
    assert points["fpr"] == sorted(points["fpr"])


def test_roc_points_keeps_a_short_curve_whole() -> None:
    points = roc_points(np.array([0, 1, 0, 1]), np.array([0.1, 0.35, 0.4, 0.8]))

    assert points == {
        "fpr": [0.0, 0.0, 0.5, 0.5, 1.0],
        "tpr": [0.0, 0.5, 0.5, 1.0, 1.0],
        "thresholds": [1.0, 0.8, 0.4, 0.35, 0.1],
    }


def test_confusion_at_counts_each_cell() -> None:
    outcome = np.array([0, 0, 1, 1, 1])
    probability = np.array([0.1, 0.5, 0.4, 0.6, 0.9])

    assert confusion_at(outcome, probability, 0.5) == [[1, 1], [1, 2]]  # 0.5 itself counts as disrupted
    assert confusion_at(outcome, probability, 0.95) == [[2, 0], [3, 0]]
    assert confusion_at(np.array([0, 0]), np.array([0.2, 0.9]), 0.5) == [[1, 1], [0, 0]]


def test_calibration_table_by_probability_decile() -> None:
    probability = np.linspace(0.05, 0.95, 20)
    outcome = (np.arange(20) >= 10).astype(int)

    table = calibration_table(outcome, probability)

    assert table["flights"].tolist() == [2] * 10
    assert table["observed"].tolist() == [0.0] * 5 + [1.0] * 5
    np.testing.assert_allclose(table["predicted"], probability.reshape(10, 2).mean(axis=1))


def test_feature_importance_ranks_every_feature_and_finds_the_rain(
    history_features: pd.DataFrame, small_train_settings: TrainSettings
) -> None:
    train, holdout = split_by_time(history_features, dt.date(2013, 5, 11))
    model = fit_model(train, small_train_settings)

    importance = feature_importance(model, holdout, seed=0, max_rows=60)

    assert sorted(importance.index) == sorted(FEATURE_COLUMNS)
    assert importance.is_monotonic_decreasing
    assert importance["precip"] > 0  # the fixture's disruption depends on rain
    pd.testing.assert_series_equal(importance, feature_importance(model, holdout, seed=0, max_rows=60))
