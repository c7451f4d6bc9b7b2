"""Monitoring: feature drift against the training window, and yesterday's predictions against outcomes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from components.features.core import CATEGORICAL_FEATURES, NUMERIC_FEATURES

_BINS = 10
_FLOOR = 1e-4  # keeps PSI finite when a bin is empty on one side
DRIFT_PSI = 0.25  # the usual rule of thumb: above this a feature has shifted materially
# One day against a window always "drifts" on the calendar, so calendar features are not monitored.
CALENDAR_FEATURES = ("day_of_week",)
MONITORED_NUMERIC = tuple(c for c in NUMERIC_FEATURES if c not in CALENDAR_FEATURES)


def profile_features(features: pd.DataFrame) -> dict[str, Any]:
    """The reference a day is compared with: decile edges of numbers, shares of categories."""
    numeric: dict[str, Any] = {}
    for column in MONITORED_NUMERIC:
        values = features[column].dropna().to_numpy(dtype="float64")
        if values.size == 0:
            continue
        edges = np.unique(np.quantile(values, np.linspace(0, 1, _BINS + 1)[1:-1]))
        counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=edges.size + 1)
        numeric[column] = {"edges": edges.tolist(), "shares": (counts / counts.sum()).tolist()}
    categorical = {
        column: features[column].fillna("(missing)").value_counts(normalize=True).to_dict()
        for column in CATEGORICAL_FEATURES
    }
    return {"rows": len(features), "numeric": numeric, "categorical": categorical}


def _psi(expected: np.ndarray, actual: np.ndarray) -> float:
    expected, actual = np.maximum(expected, _FLOOR), np.maximum(actual, _FLOOR)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def population_stability(reference: dict[str, Any], features: pd.DataFrame) -> pd.DataFrame:
    """Population stability index of every profiled feature, highest first."""
    rows = []
    for column, profile in reference["numeric"].items():
        values = features[column].dropna().to_numpy(dtype="float64")
        if values.size == 0:
            continue
        edges = np.asarray(profile["edges"])
        counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=edges.size + 1)
        rows.append((column, _psi(np.asarray(profile["shares"]), counts / counts.sum())))
    for column, shares in reference["categorical"].items():
        current = features[column].fillna("(missing)").value_counts(normalize=True)
        categories = sorted(set(shares) | set(current.index))
        expected = np.array([shares.get(c, 0.0) for c in categories])
        actual = np.array([current.get(c, 0.0) for c in categories])
        rows.append((column, _psi(expected, actual)))
    drift = pd.DataFrame(rows, columns=["feature", "psi"])
    drift["drifted"] = drift["psi"] > DRIFT_PSI
    return drift.sort_values(["psi", "feature"], ascending=[False, True], ignore_index=True)


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
