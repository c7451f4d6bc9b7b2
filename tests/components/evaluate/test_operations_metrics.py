"""The metrics an operations team uses, checked by hand: within-day ROC AUC, top-10 % precision and lift, predicted
vs observed disrupted flights, expected calibration error, Brier skill; and how the holdout metrics carry them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.evaluate.card import render_card
from components.evaluate.core import brier_skill, expected_calibration_error, operations_metrics, score_top10
from components.evaluate.evaluation import Metrics


def test_score_top10_takes_one_flight_of_a_day_of_fewer_than_ten() -> None:
    # 5 flights: k = max(1, round(0.5)) = 1, the 0.9 flight, disrupted: precision 1; the day's rate is 2/5, so lift
    # 1 / 0.4 = 2.5.
    outcome = np.array([0, 1, 0, 0, 1])
    probability = np.array([0.2, 0.9, 0.4, 0.1, 0.3])

    assert score_top10(outcome, probability) == {"top10_precision": 1.0, "top10_lift": pytest.approx(2.5)}


def test_score_top10_takes_a_tenth_of_a_larger_day() -> None:
    # 20 flights, 5 disrupted (rate 0.25): k = round(2.0) = 2, the flights at 0.95 (on time) and 0.9 (disrupted):
    # precision 1/2, lift 0.5 / 0.25 = 2.
    probability = np.linspace(0.0, 0.95, 20)  # the last two are 0.9 and 0.95
    outcome = np.zeros(20)
    outcome[[0, 1, 2, 3, 18]] = 1

    assert score_top10(outcome, probability) == {"top10_precision": 0.5, "top10_lift": pytest.approx(2.0)}


def test_score_top10_breaks_ties_in_flight_order_and_a_calm_day_has_no_lift() -> None:
    # Every probability equal: the first flight is the riskiest; it is on time, so precision 0 and lift 0.
    assert score_top10(np.array([0, 1, 1]), np.full(3, 0.5)) == {"top10_precision": 0.0, "top10_lift": 0.0}
    # No disruption all day: precision 0 over a rate of 0 counts as lift 0, not a division by zero.
    assert score_top10(np.zeros(4), np.array([0.1, 0.7, 0.2, 0.3])) == {"top10_precision": 0.0, "top10_lift": 0.0}


def test_expected_calibration_error_of_perfectly_calibrated_bins_is_zero() -> None:
    # Bin [0.2, 0.3): four flights at 0.25, one disrupted (0.25); bin [0.7, 0.8): four at 0.75, three disrupted.
    probability = np.array([0.25] * 4 + [0.75] * 4)
    outcome = np.array([1, 0, 0, 0, 1, 1, 1, 0])

    assert expected_calibration_error(outcome, probability) == pytest.approx(0.0)


def test_expected_calibration_error_weighs_each_bin_by_its_flights() -> None:
    # Bin [0, 0.1): 0.05 predicted, 1/2 observed, gap 0.45, half the flights; bin [0.9, 1]: 0.95 vs 1, gap 0.05,
    # the other half: 0.5 * 0.45 + 0.5 * 0.05 = 0.25.
    assert expected_calibration_error(np.array([0, 1, 1, 1]), np.array([0.05, 0.05, 0.95, 0.95])) == pytest.approx(0.25)
    # A probability of exactly 1 falls in the last bin: (1 + 0.95) / 2 = 0.975 against 1/2 observed, gap 0.475.
    assert expected_calibration_error(np.array([1, 0]), np.array([1.0, 0.95])) == pytest.approx(0.475)


def test_brier_skill_against_the_baseline() -> None:
    outcome = np.array([1, 0])
    baseline = np.array([0.5, 0.5])  # Brier (0.25 + 0.25) / 2 = 0.25

    # Brier (0.04 + 0.04) / 2 = 0.04: 1 - 0.04 / 0.25 = 0.84.
    assert brier_skill(outcome, np.array([0.8, 0.2]), baseline) == pytest.approx(0.84)
    assert brier_skill(outcome, baseline, baseline) == 0.0  # the baseline against itself
    # Certain and wrong, Brier 1: 1 - 1 / 0.25 = -3.
    assert brier_skill(outcome, np.array([0.0, 1.0]), baseline) == pytest.approx(-3.0)


# Three days. 06-01: ranked perfectly (AUC 1); 4 flights, k = 1, the 0.9 flight, disrupted: precision 1, lift
# 1 / 0.5 = 2. 06-02: disrupted at 0.3 and 0.7 against 0.6, 0.2, 0.1: 0.3 beats 2 of 3, 0.7 all 3, AUC 5/6;
# 5 flights, k = 1, the 0.7 flight, disrupted: precision 1, lift 1 / 0.4 = 2.5. 06-03: nobody disrupted, no AUC
# (skipped); k = 1, the 0.5 flight, on time: precision 0, lift 0.
DAYS = pd.Series(pd.to_datetime(["2013-06-01"] * 4 + ["2013-06-02"] * 5 + ["2013-06-03"] * 2), index=range(100, 111))
OUTCOME = np.array([0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0])
PROBABILITY = np.array([0.1, 0.2, 0.8, 0.9, 0.3, 0.6, 0.2, 0.7, 0.1, 0.5, 0.4])


def test_operations_metrics_by_hand() -> None:
    days = DAYS.copy()

    metrics = operations_metrics(days, OUTCOME, PROBABILITY, np.full(11, 0.4))

    assert metrics == {
        "within_day_roc_auc": pytest.approx((1 + 5 / 6) / 2),  # 06-03 skipped
        "top10_precision": pytest.approx((1 + 1 + 0) / 3),
        "top10_lift": pytest.approx((2 + 2.5 + 0) / 3),
        # 0.1 + 0.2 + 0.8 + 0.9 = 2.0, 0.3 + 0.6 + 0.2 + 0.7 + 0.1 = 1.9, 0.5 + 0.4 = 0.9.
        "predicted_disrupted": pytest.approx(4.8),
        "observed_disrupted": 4.0,
        # Pooled over the 11 flights; every bin is pure, so each flight adds |p - y|: bin 1 (0.1, 0.1, on time) 0.2,
        # bin 2 (0.2, 0.2, on time) 0.4, bin 3 (0.3, disrupted) 0.7, bin 4 (0.4, on time) 0.4, bin 5 (0.5, on time)
        # 0.5, bin 6 (0.6, on time) 0.6, bin 7 (0.7, disrupted) 0.3, bin 8 (0.8, disrupted) 0.2, bin 9 (0.9,
        # disrupted) 0.1: 3.4 / 11.
        "ece": pytest.approx(3.4 / 11),
        # Squared errors 0.01 + 0.04 + 0.04 + 0.01, 0.49 + 0.36 + 0.04 + 0.09 + 0.01, 0.25 + 0.16: 1.50 / 11; the
        # baseline's at 0.4: 4 disrupted x 0.36 + 7 on time x 0.16 = 2.56 / 11. 1 - 1.50 / 2.56 = 0.4140625.
        "brier_skill": pytest.approx(0.4140625),
    }
    pd.testing.assert_series_equal(days, DAYS)


def test_operations_metrics_without_a_baseline_has_no_brier_skill() -> None:
    assert "brier_skill" not in operations_metrics(DAYS, OUTCOME, PROBABILITY)


def test_operations_metrics_needs_a_day_with_both_outcomes() -> None:
    days = pd.Series(pd.to_datetime(["2013-06-01", "2013-06-01", "2013-06-02"]))

    with pytest.raises(ValueError, match="both outcomes"):
        operations_metrics(days, np.array([0, 0, 1]), np.array([0.2, 0.3, 0.9]))


@given(st.lists(st.tuples(st.integers(1, 15), st.integers(1, 15)), min_size=1, max_size=5))
def test_a_perfect_ranking_within_every_day_has_within_day_auc_one(sizes: list[tuple[int, int]]) -> None:
    # Each day's disrupted flights above its on-time ones, but a calm day's disrupted below a stormy day's on-time.
    days, outcome, probability = [], [], []
    for day, (on_time, disrupted) in enumerate(sizes):
        level = 0.8 - 0.15 * day
        days += [day] * (on_time + disrupted)
        outcome += [0] * on_time + [1] * disrupted
        probability += [level] * on_time + [level + 0.1] * disrupted

    metrics = operations_metrics(pd.Series(days), np.array(outcome), np.array(probability))

    assert metrics["within_day_roc_auc"] == 1.0


def test_an_evaluation_written_before_the_operations_metrics_still_validates() -> None:
    metrics = Metrics.model_validate({"roc_auc": 0.76, "pr_auc": 0.66, "brier": 0.18, "log_loss": 0.5})

    assert (metrics.within_day_roc_auc, metrics.top10_lift, metrics.brier_skill) == (None, None, None)


def test_the_model_card_lists_the_operations_metrics_per_contender() -> None:
    score = {"roc_auc": 0.76, "pr_auc": 0.66, "brier": 0.18, "log_loss": 0.5}
    challenger = {**score, **operations_metrics(DAYS, OUTCOME, PROBABILITY, np.full(11, 0.4))}
    baseline = {**score, **operations_metrics(DAYS, OUTCOME, np.full(11, 0.4), np.full(11, 0.4))}

    card = render_card("3", {}, {"challenger": challenger, "champion": None, "baseline": baseline})

    header = next(line for line in card.splitlines() if line.startswith("| model |"))
    assert "within-day ROC AUC" in header
    assert "| Brier skill |" in header
    assert (
        "| challenger | 0.7600 | 0.6600 | 0.1800 | 0.5000 | 0.9167 | 0.6667 | 1.50 | 4.8 | 4 | 0.3091 | 0.4141 |"
        in card
    )
    assert card.count("|---") == header.count("|") - 1
    assert next(line for line in card.splitlines() if line.startswith("| baseline |")).endswith("| 0.0000 |")
