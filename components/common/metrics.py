"""The two scores every stage shares, ROC AUC and the Brier score, written with numpy alone.

The monitor and the season table do not import scikit-learn (about 3 s of start-up here), and the paired bootstrap
(components/evaluate/compare.py) calls ROC AUC a few hundred times per run, where this is about 10x faster than
scikit-learn's; both give scikit-learn's figures.
"""

from __future__ import annotations

import numpy as np


def roc_auc(outcome: np.ndarray, probability: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic with tie-averaged ranks (equal to scikit-learn's).

    Raises:
        ValueError: ``outcome`` holds one class only.
    """
    positive = np.asarray(outcome, dtype=bool)
    _, inverse, counts = np.unique(np.asarray(probability, dtype="float64"), return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0
    ranks = average_rank[inverse.reshape(-1)]
    positives, negatives = int(positive.sum()), int((~positive).sum())
    if positives == 0 or negatives == 0:
        raise ValueError("ROC AUC needs both outcomes")
    return float((ranks[positive].sum() - positives * (positives + 1) / 2.0) / (positives * negatives))


def brier_score(outcome: np.ndarray, probability: np.ndarray) -> float:
    """Mean squared difference between the probability and the 0/1 outcome."""
    return float(np.mean((np.asarray(probability, dtype="float64") - np.asarray(outcome, dtype="float64")) ** 2))
