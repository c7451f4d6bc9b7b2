"""The stages in this one process, in pipeline order: the same ``run`` functions the KFP components call, each
with its typed request, every artifact by its name in one folder (the names the KFP components give them).

Used where process start-up would dominate (the benchmark's baseline, scripts/holdout_spread.py); the pipelines
in ``pipeline.py`` stay the definition of the DAG.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from components.common import tracking
from components.common.config import Settings
from components.common.stage import StageReport, build_request, request_names, stage_module

# Every artifact a stage reads or writes, by the name its request (and its KFP component) gives it.
ARTIFACTS = ("history", "scoring", "valid_history", "valid_scoring", "quarantine", "history_features",
             "scoring_features", "predictions", "drift")  # fmt: skip


def stage_values(folder: Path, settings: Settings, run_date: str, **extra: Any) -> dict[str, Any]:
    """Everything any stage's request may ask for: the artifacts under ``folder``, the settings groups, the stores."""
    return {
        **{name: folder / f"{name}.parquet" for name in ARTIFACTS},
        "report": folder / "report.html",
        "card": folder / "model_card.md",
        "evaluation": folder / "evaluation.json",
        "baseline": folder / "baseline",
        "model": folder / "model.pkl",
        **settings.stage_groups(),
        "run_date": run_date,
        "warehouse_url": settings.warehouse_url,
        "tracking_uri": settings.tracking_uri or tracking.local_tracking_uri(Path(settings.artifact_root)),
        "code_version": "in-process",
        "image": "in-process",
        **extra,
    }


def request_for(stage: str, values: Mapping[str, Any]) -> Any:
    """The stage's typed request from the values its fields name."""
    fields = request_names(stage)
    return build_request(stage, {name: value for name, value in values.items() if name in fields})


def run_stages(stages: Iterable[str], values: dict[str, Any]) -> dict[str, StageReport]:
    """Run ``stages`` in order, tracked as one MLflow run (FINISHED, or FAILED when a stage fails); the challenger
    train registers is what evaluate and promote then judge."""
    reports: dict[str, StageReport] = {}
    uri = values["tracking_uri"]
    tags = {"run_date": str(values["run_date"]), "pipeline": "in-process"}
    values["tracking_run_id"] = tracking.start_run(uri, str(values["run_date"]), tags, {})
    status = "FAILED"
    try:
        for stage in stages:
            reports[stage] = stage_module(stage).run(request_for(stage, values))
            if stage == "train":
                values["model_version"] = reports[stage].model_version  # type: ignore[attr-defined]
        status = "FINISHED"
    finally:
        tracking.close_run(uri, values["tracking_run_id"], status)
    return reports
