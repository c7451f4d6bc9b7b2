"""Monitoring: yesterday's predictions against outcomes (drift is measured with :mod:`components.features.profile`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def roc_auc(outcome: np.ndarray, probability: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic with tie-averaged ranks (equal to scikit-learn's).

    Written with numpy so the monitor stage does not import scikit-learn (about 3 s of start-up here).
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


def check_outcomes(predictions: pd.DataFrame, outcomes: pd.DataFrame) -> dict[str, Any]:
    """How a day's predictions did against what happened (flights matched by ``flight_id``)."""
    joined = predictions.merge(outcomes, on="flight_id", how="inner")
    result: dict[str, Any] = {
        "flights": len(joined),
        "observed_rate": float(joined["disrupted"].mean()) if len(joined) else None,
        "mean_predicted": float(joined["p_disrupted"].mean()) if len(joined) else None,
        "roc_auc": None,
        "brier": None,
    }
    if len(joined) and joined["disrupted"].nunique() == 2:
        result["roc_auc"] = roc_auc(joined["disrupted"].to_numpy(dtype=bool), joined["p_disrupted"].to_numpy())
    if len(joined):
        result["brier"] = brier_score(joined["disrupted"].to_numpy(dtype=float), joined["p_disrupted"].to_numpy())
    return result
