"""Train: fit on the window before the holdout and register the model in MLflow's registry with its lineage; then
refit the same recipe on the whole window, up to the day before the run date, and save it for promote.

The challenger is what evaluate judges (on the holdout it has not seen). The refit is what serves when promote
promotes the challenger: it has seen the last ``holdout_days`` days too, so the day is scored by a model trained up
to the day before. Promote registers it (``role=refit``, ``refit_of`` the challenger) only then; evaluate judges a
refit champion by the challenger it was refit from (it cannot be judged on a holdout it has seen).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from components.common import registry, tracking
from components.common.artifacts import read_frame
from components.common.config import TrainSettings, WindowSettings
from components.common.deployment import REGISTERED_MODEL
from components.common.logging import get_logger
from components.common.stage import InputFile, OutputFile, StageReport, TrackedRequest
from components.contracts import LABEL, holdout_start
from components.features.profile import profile_features
from components.schemas import LabelledFeatures
from components.train.core import content_hash, fingerprint, fit_model, model_inputs, split_by_time


class Request(TrackedRequest):
    """The window's labelled features in; a registered model version (and a copy of its file) out."""

    window: WindowSettings = WindowSettings()
    train: TrainSettings = TrainSettings()
    code_version: str = "unknown"  # recorded in the lineage
    image: str = "unknown"  # recorded in the lineage
    history_features: InputFile
    model: OutputFile
    refit: OutputFile  # the recipe refit on the whole window, saved (a folder), for promote to register


class Report(StageReport):
    """The challenger's registry version, its fingerprint and what it was trained on."""

    model_version: str
    fingerprint: str
    train_rows: int
    holdout_rows: int
    newly_registered: bool

    def publish(self, artifacts: Mapping[str, Any]) -> None:
        """The KFP Model artifact names the registry version it is a copy of."""
        metadata = artifacts["model"].metadata
        metadata.update(version=self.model_version, fingerprint=self.fingerprint)
        metadata["registry_uri"] = f"models:/{REGISTERED_MODEL}/{self.model_version}"


def _save_refit(request: Request, window: pd.DataFrame, challenger: str, lineage: dict[str, Any]) -> None:
    """The challenger's recipe fit on the whole window, saved with its lineage (promote registers it on promotion)."""
    data_hash = content_hash(window)
    key = fingerprint(request.run_date, data_hash, request.train, request.code_version)
    refit_lineage = {
        **{name: value for name, value in lineage.items() if not name.startswith("holdout")},
        registry.ROLE_TAG: "refit",
        registry.REFIT_OF_TAG: challenger,
        registry.FINGERPRINT_TAG: key,
        "train_end": str(window["flight_date"].max().date()),
        "train_rows": len(window),
        "train_disruption_rate": round(float(window[LABEL].mean()), 6),
        "data_sha256": data_hash,
    }
    shutil.rmtree(request.refit, ignore_errors=True)  # a retried attempt's leftovers
    model = fit_model(window, request.train)
    registry.save_model(model, request.refit, profile_features(window), model_inputs(window).head(5), refit_lineage)
    get_logger().info("refit of version %s on the whole window (%d rows) saved for promote", challenger, len(window))


def run(request: Request) -> Report:
    """Fit the challenger and register it; returns its version and lineage."""
    day, settings = request.run_date, request.train
    uri = tracking.resolve_tracking_uri(request.tracking_uri)
    features = read_frame(request.history_features, "history features", LabelledFeatures)
    train, holdout = split_by_time(features, holdout_start(day, request.window.holdout_days))
    del features  # the parts are copies: keep one window's worth in memory, not two (3.4M rows: about 1 GB each)
    data_hash = content_hash(train)
    key = fingerprint(day, data_hash, settings, request.code_version)
    model = fit_model(train, settings)
    lineage: dict[str, Any] = {
        registry.ROLE_TAG: "challenger",
        "run_date": day.isoformat(),
        "train_start": str(train["flight_date"].min().date()),
        "train_end": str(train["flight_date"].max().date()),
        "holdout_start": str(holdout["flight_date"].min().date()),
        "holdout_end": str(holdout["flight_date"].max().date()),
        "train_rows": len(train),
        "holdout_rows": len(holdout),
        "train_disruption_rate": round(float(train[LABEL].mean()), 6),
        "data_sha256": data_hash,
        "code_version": request.code_version,
        "image": request.image,
        "parameters": settings.model_dump_json(),
    }
    with (
        tracking.stage_run(uri, request.tracking_run_id, f"{day} train", request.run_tags("train")) as run_id,
        tempfile.TemporaryDirectory(prefix="flights-model-") as scratch,
    ):
        saved = registry.save_model(model, Path(scratch) / key, profile_features(train), model_inputs(train).head(5))
        request.model.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved.pickle, request.model)
        version, created = registry.register_saved(uri, run_id, saved, key, lineage)
        tracking.log(uri, run_id, metrics={"train_rows": len(train), "holdout_rows": len(holdout)})
        tracking.log(uri, run_id, tags={"challenger_version": version, "challenger_fingerprint": key})
    get_logger().info(
        "model version %s (%s) %s: %d training rows",
        version, key, "registered" if created else "already registered", len(train),
    )  # fmt: skip
    _save_refit(request, pd.concat([train, holdout], ignore_index=True), version, lineage)
    return Report(
        model_version=version,
        fingerprint=key,
        train_rows=len(train),
        holdout_rows=len(holdout),
        newly_registered=created,
    )
