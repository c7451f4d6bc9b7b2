"""Challenger against champion on the same holdout flights: a paired bootstrap over the holdout's days.

A 7-day holdout's ROC AUC moves by 0.05-0.07 from one week to the next, and a day's flights share its weather,
so flights are not independent draws: the days are. Each resample draws the holdout's days with replacement,
keeps all of a drawn day's flights for both models, and takes the differences (challenger - champion) of ROC AUC
and Brier score on those same flights. The percentile interval of each difference is what promote reads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import bootstrap

from components.common.metrics import brier_score, roc_auc
from components.evaluate.evaluation import Comparison

RESAMPLES = 200
CONFIDENCE = 0.90  # two-sided: each side's error rate is 5 %


def _differences(outcome: np.ndarray, challenger: np.ndarray, champion: np.ndarray) -> np.ndarray:
    brier_diff = brier_score(outcome, challenger) - brier_score(outcome, champion)
    if outcome.min() == outcome.max():  # a resample of one-outcome days ranks nothing: no AUC difference
        return np.array([0.0, brier_diff])
    return np.array([roc_auc(outcome, challenger) - roc_auc(outcome, champion), brier_diff])


def compare(
    days: pd.Series, outcome: np.ndarray, challenger: np.ndarray, champion: np.ndarray, seed: int
) -> Comparison:
    """Paired differences of ROC AUC and Brier score, and their intervals from resampling whole days."""
    codes, _ = pd.factorize(pd.to_datetime(days), sort=True)
    rows = [np.flatnonzero(codes == code) for code in range(codes.max() + 1)]

    def statistic(drawn: np.ndarray) -> np.ndarray:
        picked = np.concatenate([rows[int(code)] for code in drawn])
        return _differences(outcome[picked], challenger[picked], champion[picked])

    point = _differences(outcome, challenger, champion)
    result = bootstrap(
        (np.arange(len(rows)),),
        statistic,
        vectorized=False,
        n_resamples=RESAMPLES,
        confidence_level=CONFIDENCE,
        method="percentile",
        random_state=seed,
    )
    low, high = result.confidence_interval
    return Comparison(
        days=len(rows),
        flights=len(outcome),
        roc_auc_diff=float(point[0]),
        roc_auc_diff_low=float(low[0]),
        roc_auc_diff_high=float(high[0]),
        brier_diff=float(point[1]),
        brier_diff_low=float(low[1]),
        brier_diff_high=float(high[1]),
        confidence=CONFIDENCE,
        resamples=RESAMPLES,
    )
