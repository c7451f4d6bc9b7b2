"""Evaluation on the time-based holdout: challenger, champion and a naive baseline on the same rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    log_loss,
    roc_auc_score,
    roc_curve,
)
from sklearn.pipeline import Pipeline

from components.contracts import LABEL
from components.train.core import model_inputs

_SMOOTHING = 50.0  # pseudo-flights pulling a sparse carrier-hour cell towards its carrier's rate


def fit_baseline(train: pd.DataFrame) -> dict[str, Any]:
    """The naive baseline: historical disruption rate by carrier and scheduled hour, smoothed."""
    outcome = train[LABEL].astype(float)
    hour = (train["sched_dep_minutes"] // 60).astype(int)
    overall = float(outcome.mean())
    carrier_rate = outcome.groupby(train["carrier"]).mean()
    cells = outcome.groupby([train["carrier"], hour]).agg(["sum", "count"])
    prior = carrier_rate.reindex(cells.index.get_level_values(0)).to_numpy()
    smoothed = (cells["sum"].to_numpy() + _SMOOTHING * prior) / (cells["count"].to_numpy() + _SMOOTHING)
    return {
        "overall": overall,
        "carrier": carrier_rate.to_dict(),
        "carrier_hour": {
            f"{carrier}|{h}": float(rate) for (carrier, h), rate in zip(cells.index, smoothed, strict=True)
        },
    }


def predict_baseline(baseline: dict[str, Any], features: pd.DataFrame) -> np.ndarray:
    """Baseline probabilities: carrier-hour rate, else carrier rate, else the overall rate."""
    hour = (features["sched_dep_minutes"] // 60).astype(int).astype(str)
    keys = features["carrier"].astype(str) + "|" + hour
    by_cell = keys.map(baseline["carrier_hour"])
    by_carrier = features["carrier"].map(baseline["carrier"])
    return by_cell.fillna(by_carrier).fillna(baseline["overall"]).to_numpy(dtype="float64")


def score_predictions(outcome: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """Ranking and calibration metrics of one set of probabilities."""
    clipped = np.clip(probability, 1e-6, 1 - 1e-6)
    return {
        "roc_auc": float(roc_auc_score(outcome, probability)),
        "pr_auc": float(average_precision_score(outcome, probability)),
        "brier": float(brier_score_loss(outcome, probability)),
        "log_loss": float(log_loss(outcome, clipped, labels=[0, 1])),
    }


def roc_points(outcome: np.ndarray, probability: np.ndarray, max_points: int = 60) -> dict[str, list[float]]:
    """A thinned ROC curve (KFP's UI draws it); infinite thresholds are capped at 1."""
    fpr, tpr, thresholds = roc_curve(outcome, probability)
    keep = np.unique(np.linspace(0, len(fpr) - 1, min(max_points, len(fpr))).astype(int))
    return {
        "fpr": fpr[keep].tolist(),
        "tpr": tpr[keep].tolist(),
        "thresholds": np.minimum(thresholds[keep], 1.0).tolist(),
    }


def confusion_at(outcome: np.ndarray, probability: np.ndarray, threshold: float) -> list[list[int]]:
    """Confusion matrix (rows: actual on time / disrupted) at a threshold."""
    matrix = confusion_matrix(outcome, (probability >= threshold).astype(int), labels=[0, 1])
    return [[int(v) for v in row] for row in matrix]


def feature_importance(model: Pipeline, holdout: pd.DataFrame, seed: int, max_rows: int = 4000) -> pd.Series:
    """Permutation importance (drop in ROC AUC) on a seeded sample of the holdout, highest first.

    The columns are permuted after the model's encoder, on the boosting step's inputs: encoding is row by row, so
    a permuted column encodes to the permuted codes and the figures are the ones the whole pipeline gives, without
    encoding the sample again for every permutation (that was half the time of evaluate).
    """
    sample = holdout.sample(n=min(max_rows, len(holdout)), random_state=seed)
    encoded = model[:-1].transform(model_inputs(sample))
    result = permutation_importance(
        model[-1], encoded, sample[LABEL].astype(int), scoring="roc_auc", n_repeats=3, random_state=seed
    )
    return pd.Series(result.importances_mean, index=list(encoded.columns)).sort_values(ascending=False)


def calibration_table(outcome: np.ndarray, probability: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Mean predicted vs observed rate per probability decile."""
    frame = pd.DataFrame({"p": probability, "y": outcome})
    frame["bin"] = pd.qcut(frame["p"].rank(method="first"), q=min(bins, len(frame)), labels=False)
    return frame.groupby("bin").agg(predicted=("p", "mean"), observed=("y", "mean"), flights=("y", "size"))
