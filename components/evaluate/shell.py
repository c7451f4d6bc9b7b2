"""Evaluate: challenger, champion and baseline on the same holdout rows; metrics, curves and a report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from components.common.logging import get_logger
from components.common.parquet import read_frame
from components.common.registry import load_model, read_champion, read_lineage, registry_root, write_evaluation
from components.evaluate.core import (
    confusion_at,
    feature_importance,
    fit_baseline,
    predict_baseline,
    roc_points,
    score_predictions,
)
from components.evaluate.report import render_report
from components.features.core import LABEL
from components.ingest.core import parse_run_date
from components.schemas import LabelledFeatures
from components.train.core import predict_proba, split_by_time
from components.train.shell import holdout_start


@dataclass(frozen=True)
class Evaluation:
    """What the component logs to KFP: flat metrics, the ROC curve and the confusion matrix."""

    summary: dict[str, Any]
    flat_metrics: dict[str, float]
    roc: dict[str, list[float]]
    confusion: list[list[int]]


def run(
    history_features_path: Path,
    artifact_root: Path,
    run_date: str,
    holdout_days: int,
    model_version: str,
    threshold: float,
    seed: int,
    report_path: Path,
) -> Evaluation:
    """Score the holdout with every contender, record the evaluation in the registry, write the report."""
    day = parse_run_date(run_date)
    registry = registry_root(artifact_root)
    features = read_frame(history_features_path, "history features", LabelledFeatures)
    train, holdout = split_by_time(features, holdout_start(day, holdout_days))
    del features  # the parts are copies; only the baseline needs the training part, and only once
    baseline = fit_baseline(train)
    del train
    outcome = holdout[LABEL].astype(int).to_numpy()
    challenger = load_model(registry, model_version)
    curves = {
        "challenger": predict_proba(challenger, holdout),
        "baseline": predict_baseline(baseline, holdout),
    }
    champion = read_champion(registry)
    champion_version = champion["version"] if champion else None
    if champion_version is not None:
        curves["champion"] = predict_proba(load_model(registry, champion_version), holdout)
    metrics: dict[str, dict[str, float] | None] = {role: score_predictions(outcome, p) for role, p in curves.items()}
    metrics.setdefault("champion", None)
    lineage = read_lineage(registry, model_version)
    summary = {
        "run_date": run_date,
        "challenger_version": model_version,
        "champion_version": champion_version,
        "holdout_rows": len(holdout),
        "threshold": threshold,
        "metrics": metrics,
    }
    write_evaluation(registry, model_version, summary)
    importance = feature_importance(challenger, holdout, seed)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(render_report(run_date, metrics, outcome, curves, importance, lineage))
    log = get_logger()
    for role, values in metrics.items():
        if values is not None:
            log.info("%s: roc_auc=%.4f brier=%.4f", role, values["roc_auc"], values["brier"])
    summary["top_features"] = importance.head(5).round(4).to_dict()
    flat = {f"{role}_{name}": value for role, values in metrics.items() if values for name, value in values.items()}
    probability = np.asarray(curves["challenger"])
    return Evaluation(summary, flat, roc_points(outcome, probability), confusion_at(outcome, probability, threshold))
