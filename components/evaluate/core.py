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
    roc_curve,
)
from sklearn.pipeline import Pipeline

from components.common.metrics import brier_score, roc_auc
from components.contracts import LABEL
from components.train.core import model_inputs

ROLES = ("challenger", "champion", "baseline")  # the contenders evaluate judges on the same holdout rows
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
        "roc_auc": roc_auc(outcome, probability),
        "pr_auc": float(average_precision_score(outcome, probability)),
        "brier": float(brier_score_loss(outcome, probability)),
        "log_loss": float(log_loss(outcome, clipped, labels=[0, 1])),
    }


def score_top10(outcome: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """Of one day: the share disrupted among its riskiest 10 % of flights (at least one; ties in flight order), and
    that share over the day's observed rate (the lift). A day without disruptions has precision and lift 0."""
    outcome = np.asarray(outcome, dtype="float64")
    count = max(1, round(0.1 * len(outcome)))
    riskiest = np.argsort(-np.asarray(probability, dtype="float64"), kind="stable")[:count]
    precision = float(outcome[riskiest].mean())
    return {"top10_precision": precision, "top10_lift": precision / max(float(outcome.mean()), 1e-9)}


def expected_calibration_error(outcome: np.ndarray, probability: np.ndarray, bins: int = 10) -> float:
    """The flight-weighted mean gap between predicted and observed rate in equal-width probability bins."""
    probability = np.asarray(probability, dtype="float64")
    frame = pd.DataFrame({"p": probability, "y": np.asarray(outcome, dtype="float64")})
    by_bin = frame.groupby(np.minimum((probability * bins).astype(int), bins - 1))
    gaps = (by_bin["p"].mean() - by_bin["y"].mean()).abs()
    return float((gaps * by_bin.size()).sum() / len(frame))


def brier_skill(outcome: np.ndarray, probability: np.ndarray, baseline_probability: np.ndarray) -> float:
    """1 - Brier / the baseline's Brier on the same flights: the share of the baseline's error removed (negative:
    worse than the baseline)."""
    return 1.0 - brier_score(outcome, probability) / brier_score(outcome, baseline_probability)


def operations_metrics(
    days: pd.Series, outcome: np.ndarray, probability: np.ndarray, baseline_probability: np.ndarray | None = None
) -> dict[str, float]:
    """What an operations team reads off the probabilities of a few days' flights.

    Per day, then averaged over days (a day's flights are what gets ranked and acted on; pooling the days would
    also credit telling a stormy day from a calm one): ``within_day_roc_auc`` (days with a single outcome have no
    AUC and are skipped), ``top10_precision`` and ``top10_lift`` (:func:`score_top10`). Pooled over every flight:
    ``predicted_disrupted`` (the sum of the probabilities) against ``observed_disrupted``, ``ece``
    (:func:`expected_calibration_error`) and, given the baseline's probabilities, ``brier_skill``.

    Raises:
        ValueError: no day has both outcomes.
    """
    frame = pd.DataFrame(
        {"day": np.asarray(days), "y": np.asarray(outcome, dtype="float64"), "p": np.asarray(probability, "float64")}
    )
    each_day = [(group["y"].to_numpy(), group["p"].to_numpy()) for _, group in frame.groupby("day")]
    aucs = [roc_auc(y, p) for y, p in each_day if 0 < y.sum() < len(y)]
    if not aucs:
        raise ValueError("within-day ROC AUC needs a day with both outcomes")
    top10 = pd.DataFrame([score_top10(y, p) for y, p in each_day]).mean()
    metrics = {
        "within_day_roc_auc": float(np.mean(aucs)),
        "top10_precision": float(top10["top10_precision"]),
        "top10_lift": float(top10["top10_lift"]),
        "predicted_disrupted": float(frame["p"].sum()),
        "observed_disrupted": float(frame["y"].sum()),
        "ece": expected_calibration_error(frame["y"].to_numpy(), frame["p"].to_numpy()),
    }
    if baseline_probability is not None:
        metrics["brier_skill"] = brier_skill(outcome, probability, baseline_probability)
    return metrics


def holdout_metrics(
    days: pd.Series, outcome: np.ndarray, curves: dict[str, np.ndarray]
) -> dict[str, dict[str, float] | None]:
    """Every contender's holdout figures, by role (:data:`ROLES`): :func:`score_predictions`, then
    :func:`operations_metrics` against the baseline's probabilities (``curves["baseline"]``, required); ``None``
    for a contender without probabilities (no champion yet)."""
    metrics = {
        role: score_predictions(outcome, p) | operations_metrics(days, outcome, p, curves["baseline"])
        for role, p in curves.items()
    }
    return {role: metrics.get(role) for role in ROLES}


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


def feature_importance(model: Pipeline, holdout: pd.DataFrame, seed: int, max_rows: int = 2000) -> pd.Series:
    """Permutation importance (drop in ROC AUC) on a seeded sample of the holdout, highest first.

    The columns are permuted after the model's encoder, on the boosting step's inputs: encoding is row by row, so
    a permuted column encodes to the permuted codes and the figures are the ones the whole pipeline gives, without
    encoding the sample again for every permutation (that was half the time of evaluate).
    """
    sample = holdout.sample(n=min(max_rows, len(holdout)), random_state=seed)
    encoded = model[:-1].transform(model_inputs(sample))
    result = permutation_importance(
        model[-1], encoded, sample[LABEL].astype(int), scoring="roc_auc", n_repeats=2, random_state=seed
    )
    return pd.Series(result.importances_mean, index=list(encoded.columns)).sort_values(ascending=False)


def calibration_table(outcome: np.ndarray, probability: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Mean predicted vs observed rate per probability decile."""
    frame = pd.DataFrame({"p": probability, "y": outcome})
    frame["bin"] = pd.qcut(frame["p"].rank(method="first"), q=min(bins, len(frame)), labels=False)
    return frame.groupby("bin").agg(predicted=("p", "mean"), observed=("y", "mean"), flights=("y", "size"))
