"""Feature profiles: what a window of features looks like, and how far a day's features are from it (PSI).

Train records the profile of its training window with the model; monitor compares the scored day with it.
"""

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
