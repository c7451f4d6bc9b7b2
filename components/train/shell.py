"""Train: fit on the window before the holdout; register the model with its lineage."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.common.artifacts import read_frame
from components.common.config import TrainSettings, WindowSettings
from components.common.logging import get_logger
from components.common.registry import model_file, register_model, registry_root
from components.common.stage import InputFile, OutputFile, StageReport, StageRequest
from components.contracts import LABEL, holdout_start
from components.features.profile import profile_features
from components.schemas import LabelledFeatures
from components.train.core import content_hash, fit_model, model_version, split_by_time


class Request(StageRequest):
    """The window's labelled features in; a registered model version (and a copy of its file) out."""

    window: WindowSettings = WindowSettings()
    train: TrainSettings = TrainSettings()
    artifact_root: Path
    code_version: str = "unknown"  # recorded in the lineage
    image: str = "unknown"  # recorded in the lineage
    history_features: InputFile
    model: OutputFile


class Report(StageReport):
    """The challenger's version and what it was trained on."""

    model_version: str
    train_rows: int
    holdout_rows: int
    newly_registered: bool

    def publish(self, artifacts: Mapping[str, Any]) -> None:
        """The KFP Model artifact carries the registry version it is a copy of."""
        artifacts["model"].metadata["version"] = self.model_version


def run(request: Request) -> Report:
    """Fit the challenger and register it; returns its version and lineage."""
    day, settings = request.run_date, request.train
    features = read_frame(request.history_features, "history features", LabelledFeatures)
    train, holdout = split_by_time(features, holdout_start(day, request.window.holdout_days))
    del features  # the parts are copies: keep one window's worth in memory, not two (3.4M rows: about 1 GB each)
    data_hash = content_hash(train)
    version = model_version(day, data_hash, settings, request.code_version)
    model = fit_model(train, settings)
    lineage = {
        "run_date": day.isoformat(),
        "train_start": str(train["flight_date"].min().date()),
        "train_end": str(train["flight_date"].max().date()),
        "holdout_start": str(holdout["flight_date"].min().date()),
        "holdout_end": str(holdout["flight_date"].max().date()),
        "train_rows": len(train),
        "holdout_rows": len(holdout),
        "train_disruption_rate": float(train[LABEL].mean()),
        "data_sha256": data_hash,
        "code_version": request.code_version,
        "image": request.image,
        "parameters": settings.model_dump(),
    }
    registry = registry_root(request.artifact_root)
    created = register_model(registry, version, model, lineage, profile_features(train))
    request.model.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model_file(registry, version), request.model)
    get_logger().info(
        "model %s %s: %d training rows", version, "registered" if created else "already registered", len(train)
    )
    return Report(model_version=version, train_rows=len(train), holdout_rows=len(holdout), newly_registered=created)
