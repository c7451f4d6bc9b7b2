"""Train: fit on the window before the holdout; register the model with its lineage."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from components.common.config import TrainSettings
from components.common.logging import get_logger
from components.common.parquet import read_frame
from components.common.registry import register_model, registry_root
from components.features.core import LABEL
from components.ingest.core import parse_run_date
from components.monitor.core import profile_features
from components.schemas import LabelledFeatures
from components.train.core import content_hash, fit_model, model_version, split_by_time


def holdout_start(run_date: dt.date, holdout_days: int) -> dt.date:
    """First day of the holdout: the last ``holdout_days`` days before the run date."""
    return run_date - dt.timedelta(days=holdout_days)


def run(
    history_features_path: Path,
    artifact_root: Path,
    run_date: str,
    holdout_days: int,
    settings: TrainSettings,
    code_version: str,
    image: str,
) -> dict[str, Any]:
    """Fit the challenger and register it; returns its version and lineage."""
    day = parse_run_date(run_date)
    features = read_frame(history_features_path, "history features", LabelledFeatures)
    train, holdout = split_by_time(features, holdout_start(day, holdout_days))
    del features  # the parts are copies: keep one window's worth in memory, not two (3.4M rows: about 1 GB each)
    data_hash = content_hash(train)
    version = model_version(day, data_hash, settings, code_version)
    model = fit_model(train, settings)
    lineage = {
        "run_date": run_date,
        "train_start": str(train["flight_date"].min().date()),
        "train_end": str(train["flight_date"].max().date()),
        "holdout_start": str(holdout["flight_date"].min().date()),
        "holdout_end": str(holdout["flight_date"].max().date()),
        "train_rows": len(train),
        "holdout_rows": len(holdout),
        "train_disruption_rate": float(train[LABEL].mean()),
        "data_sha256": data_hash,
        "code_version": code_version,
        "image": image,
        "parameters": settings.model_dump(),
    }
    created = register_model(registry_root(artifact_root), version, model, lineage, profile_features(train))
    get_logger().info(
        "model %s %s: %d training rows", version, "registered" if created else "already registered", len(train)
    )
    return {
        "model_version": version,
        "train_rows": len(train),
        "holdout_rows": len(holdout),
        "newly_registered": created,
    }
