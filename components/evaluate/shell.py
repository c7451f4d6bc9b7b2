"""Evaluate: challenger, champion and baseline on the same holdout rows; metrics, curves and a report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from components.common.artifacts import read_frame
from components.common.config import EvaluateSettings, WindowSettings
from components.common.files import write_text
from components.common.logging import get_logger
from components.common.registry import load_model, read_champion, read_lineage, registry_root, write_evaluation
from components.common.stage import InputFile, OutputFile, StageReport, StageRequest
from components.contracts import LABEL, holdout_start
from components.evaluate.core import (
    confusion_at,
    feature_importance,
    fit_baseline,
    predict_baseline,
    roc_points,
    score_predictions,
)
from components.evaluate.report import render_report
from components.schemas import LabelledFeatures
from components.train.core import predict_proba, split_by_time

ROLES = ("challenger", "champion", "baseline")


class Request(StageRequest):
    """The window's labelled features and the challenger's version in; metrics and an HTML report out."""

    window: WindowSettings = WindowSettings()
    evaluate: EvaluateSettings = EvaluateSettings()
    artifact_root: Path
    model_version: str
    history_features: InputFile
    report: OutputFile


class Metrics(BaseModel):
    """Ranking and calibration of one contender's probabilities on the holdout."""

    roc_auc: float
    pr_auc: float
    brier: float
    log_loss: float


class RocCurve(BaseModel):
    """A thinned ROC curve, as KFP's UI draws it."""

    fpr: list[float]
    tpr: list[float]
    thresholds: list[float]


class Report(StageReport):
    """Every contender's holdout metrics (the champion's is ``None`` before the first promotion), and the report."""

    challenger_version: str
    champion_version: str | None
    holdout_rows: int
    threshold: float
    metrics: dict[str, Metrics | None]
    top_features: dict[str, float]
    roc: RocCurve
    confusion: list[list[int]]
    report: Path

    def publish(self, artifacts: Mapping[str, Any]) -> None:
        """KFP's Metrics (every contender's figures) and ClassificationMetrics (the challenger's ROC, confusion)."""
        for role, values in self.metrics.items():
            for name, value in (values.model_dump() if values else {}).items():
                artifacts["metrics"].log_metric(f"{role}_{name}", round(value, 6))
        artifacts["classification"].log_roc_curve(self.roc.fpr, self.roc.tpr, self.roc.thresholds)
        artifacts["classification"].log_confusion_matrix(["on time", "disrupted"], self.confusion)


def run(request: Request) -> Report:
    """Score the holdout with every contender, record the evaluation in the registry, write the report."""
    day, settings = request.run_date, request.evaluate
    registry = registry_root(request.artifact_root)
    features = read_frame(request.history_features, "history features", LabelledFeatures)
    train, holdout = split_by_time(features, holdout_start(day, request.window.holdout_days))
    del features  # the parts are copies; only the baseline needs the training part, and only once
    baseline = fit_baseline(train)
    del train
    outcome = holdout[LABEL].astype(int).to_numpy()
    challenger = load_model(registry, request.model_version)
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
    summary = {
        "run_date": day.isoformat(),
        "challenger_version": request.model_version,
        "champion_version": champion_version,
        "holdout_rows": len(holdout),
        "threshold": settings.threshold,
        "metrics": metrics,
    }
    write_evaluation(registry, request.model_version, summary)
    importance = feature_importance(challenger, holdout, settings.seed)
    lineage = read_lineage(registry, request.model_version)
    write_text(render_report(day.isoformat(), metrics, outcome, curves, importance, lineage), request.report)
    log = get_logger()
    for role, values in metrics.items():
        if values is not None:
            log.info("%s: roc_auc=%.4f brier=%.4f", role, values["roc_auc"], values["brier"])
    probability = np.asarray(curves["challenger"])
    return Report(
        challenger_version=request.model_version,
        champion_version=champion_version,
        holdout_rows=len(holdout),
        threshold=settings.threshold,
        metrics={role: metrics[role] for role in ROLES},
        top_features=importance.head(5).round(4).to_dict(),
        roc=RocCurve(**roc_points(outcome, probability)),
        confusion=confusion_at(outcome, probability, settings.threshold),
        report=request.report,
    )
