"""Evaluate: challenger, champion and baseline on the same holdout rows; metrics, curves, a report, a model card.

The champion is the registry's ``champion`` alias. The naive baseline is saved beside the evaluation, in MLflow's
format with its lineage, so that promote can register it as a version of its own (``role=baseline``) and make it
the champion of an empty registry when the challenger misses the floors: every day with valid data is scored.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from components.common import registry, tracking
from components.common.artifacts import read_frame
from components.common.config import EvaluateSettings, WindowSettings
from components.common.files import write_json, write_text
from components.common.logging import get_logger
from components.common.stage import InputFile, OutputFile, StageReport, TrackedRequest
from components.contracts import LABEL, holdout_start
from components.evaluate.baseline import BaselineModel
from components.evaluate.card import render_card
from components.evaluate.compare import compare
from components.evaluate.core import ROLES, confusion_at, feature_importance, holdout_metrics, roc_points
from components.evaluate.evaluation import Evaluation, Metrics
from components.evaluate.report import render_report
from components.features.profile import profile_features
from components.schemas import LabelledFeatures
from components.train.core import content_hash, model_inputs, predict_proba, split_by_time


class Request(TrackedRequest):
    """The window's labelled features and the challenger's version in; metrics, a report and a model card out."""

    window: WindowSettings = WindowSettings()
    evaluate: EvaluateSettings = EvaluateSettings()
    model_version: str
    history_features: InputFile
    report: OutputFile
    card: OutputFile
    evaluation: OutputFile  # what promote decides on: every contender's metrics and versions (JSON)
    baseline: OutputFile  # the fitted baseline, saved (a folder), for promote to register when it must serve


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


def _save_baseline(request: Request, baseline: BaselineModel, train: Any) -> str:
    """The fitted baseline in MLflow's format with its lineage, for promote to register if it must serve."""
    data_hash = content_hash(train)
    key = f"baseline-{request.run_date:%Y%m%d}-{data_hash[:12]}"
    lineage = {
        registry.ROLE_TAG: "baseline",
        "run_date": request.run_date.isoformat(),
        "train_start": str(train["flight_date"].min().date()),
        "train_end": str(train["flight_date"].max().date()),
        "train_rows": len(train),
        "train_disruption_rate": round(float(train[LABEL].mean()), 6),
        "data_sha256": data_hash,
        "parameters": "carrier x scheduled hour rates, smoothed towards the carrier's",
    }
    shutil.rmtree(request.baseline, ignore_errors=True)  # a retried attempt's leftovers
    registry.save_model(baseline, request.baseline, profile_features(train), model_inputs(train).head(5), lineage)
    return key


def judged_version(uri: str, serving: Any) -> Any:
    """The version whose holdout predictions stand for the champion: a champion refit on its whole window has seen
    this holdout, so the challenger it was refit from (same recipe, data up to its own holdout) is judged instead."""
    if serving is None or registry.REFIT_OF_TAG not in serving.tags:
        return serving
    return registry.version(uri, serving.tags[registry.REFIT_OF_TAG])


def _record(
    request: Request, uri: str, evaluation: Evaluation, metrics: dict[str, dict[str, float] | None], card: str
) -> None:
    """The evaluation written for promote and on the day's MLflow run (metrics, report, card); the challenger's
    holdout figures as tags of its version."""
    day = request.run_date
    with tracking.stage_run(uri, request.tracking_run_id, f"{day} evaluate", request.run_tags("evaluate")) as run_id:
        write_json(json.loads(evaluation.model_dump_json()), request.evaluation)
        flat = {f"{role}_{name}": value for role, values in metrics.items() for name, value in (values or {}).items()}
        tracking.log(uri, run_id, metrics=flat, tags={"champion_version_at_evaluation": evaluation.champion_version})
        tracking.log_files(uri, run_id, {"report.html": request.report, "model_card.md": request.card}, "evaluation")
        registry.set_version_tags(
            uri,
            request.model_version,
            {f"holdout.{name}": round(value, 6) for name, value in evaluation.challenger.model_dump().items()},
        )
        registry.describe_version(uri, request.model_version, card)


def run(request: Request) -> Report:
    """Score the holdout with every contender, record the metrics in MLflow, write the report and the model card."""
    day, settings = request.run_date, request.evaluate
    uri = tracking.resolve_tracking_uri(request.tracking_uri)
    features = read_frame(request.history_features, "history features", LabelledFeatures)
    train, holdout = split_by_time(features, holdout_start(day, request.window.holdout_days))
    del features  # the parts are copies; only the baseline needs the training part, and only once
    baseline = BaselineModel().fit(model_inputs(train), train[LABEL].astype(int))
    outcome = holdout[LABEL].astype(int).to_numpy()
    challenger_version = registry.version(uri, request.model_version)
    challenger = registry.load_model(uri, challenger_version)
    curves = {"challenger": predict_proba(challenger, holdout), "baseline": predict_proba(baseline, holdout)}
    serving = registry.champion(uri)
    judged = judged_version(uri, serving)
    if judged is not None:
        curves["champion"] = predict_proba(registry.load_model(uri, judged), holdout)
    days = holdout["flight_date"]
    metrics = holdout_metrics(days, outcome, curves)
    lineage = dict(challenger_version.tags)
    card = render_card(request.model_version, lineage, metrics)
    importance = feature_importance(challenger, holdout, settings.seed)
    write_text(render_report(day.isoformat(), metrics, outcome, curves, importance, lineage), request.report)
    write_text(card, request.card)
    baseline_key = _save_baseline(request, baseline, train)
    del train
    evaluation = Evaluation(
        run_date=day.isoformat(),
        challenger_version=request.model_version,
        champion_version=str(serving.version) if serving is not None else None,
        champion_judged_version=str(judged.version) if judged is not None else None,
        comparison=compare(days, outcome, curves["challenger"], curves["champion"], settings.seed) if judged else None,
        baseline_fingerprint=baseline_key,
        holdout_rows=len(holdout),
        **{role: Metrics(**values) if values else None for role, values in metrics.items()},
    )
    _record(request, uri, evaluation, metrics, card)
    for role, values in metrics.items():
        if values is not None:
            get_logger().info("%s: roc_auc=%.4f brier=%.4f", role, values["roc_auc"], values["brier"])
    probability = np.asarray(curves["challenger"])
    return Report(
        challenger_version=request.model_version,
        champion_version=evaluation.champion_version,
        holdout_rows=len(holdout),
        threshold=settings.threshold,
        metrics={role: getattr(evaluation, role) for role in ROLES},
        top_features=importance.head(5).round(4).to_dict(),
        roc=RocCurve(**roc_points(outcome, probability)),
        confusion=confusion_at(outcome, probability, settings.threshold),
        report=request.report,
    )
