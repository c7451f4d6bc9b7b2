"""The naive baseline as a scikit-learn estimator, so the registry can store it and predict can score with it.

It is registered as a version of its own (tagged ``role=baseline``) and serves as the champion of an empty registry,
so every day with valid data is scored, until a challenger passes the promotion policy's floors.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from components.contracts import LABEL
from components.evaluate.core import fit_baseline, predict_baseline


class BaselineModel(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Historical disruption rate by carrier and scheduled hour (smoothed towards the carrier's), as probabilities."""

    def fit(self, features: pd.DataFrame, disrupted: Any) -> Self:
        """Learn the rates from the training rows' features and outcomes."""
        frame = features.assign(**{LABEL: np.asarray(disrupted, dtype=float)})
        self.rates_ = fit_baseline(frame)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """Columns: P(on time), P(disrupted)."""
        disrupted = predict_baseline(self.rates_, features)
        return np.column_stack([1.0 - disrupted, disrupted])

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Disrupted (1) when the rate is at least one half."""
        return (self.predict_proba(features)[:, 1] >= 0.5).astype(int)
