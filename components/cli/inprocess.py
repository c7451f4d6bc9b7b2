"""The pipelines' DAG in this one process: the same stage ``run`` functions and tracking calls the KFP components
make, in the same order, each stage with its typed request and every artifact by its name in one folder (the names
the KFP components give them).

* :func:`run_day` is one pipeline run of one day, as ``kfp.local`` runs it (open the MLflow run, the stages, the
  validation logged on the run, the run closed FINISHED, FAILED or KILLED). ``replay`` and ``backfill`` on the
  local runner are loops over it: with no process start per stage, a day costs its work and little else.
* :func:`run_stages` is the same stages as one plain script (one MLflow run, nothing else): the benchmark's
  baseline and scripts/holdout_spread.py's engine.

The pipelines in ``pipeline.py`` stay the definition of the DAG; ``tests/pipeline/test_replay.py`` proves that a
day run here gives the predictions the local KFP runner gives.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from components.common import run_tracking, tracking
from components.common.config import Settings
from components.common.deployment import STAGES
from components.common.errors import PipelineError
from components.common.logging import configure_logging
from components.common.stage import StageReport, build_request, request_names, stage_module

# Every artifact a stage reads or writes, by the name its request (and its KFP component) gives it.
ARTIFACTS = ("history", "scoring", "valid_history", "valid_scoring", "quarantine", "history_features",
             "scoring_features", "predictions", "drift")  # fmt: skip
# What each pipeline runs, in its DAG's order (pipeline.py: inference skips train, evaluate and promote).
PIPELINE_STAGES = {"daily": STAGES, "inference": ("ingest", "validate", "features", "predict", "monitor")}
# The settings groups each pipeline takes as parameters (and logs as the MLflow run's params).
PIPELINE_GROUPS = {"daily": ("window", "validate", "train", "evaluate", "promote"), "inference": ("window", "validate")}
# What a finished day keeps of its folder (the rest, the window's parquet files, is deleted when the day ends).
KEPT = ("predictions.parquet", "drift.parquet", "report.html", "model_card.md", "evaluation.json")


def stage_values(folder: Path, settings: Settings, run_date: str, **extra: Any) -> dict[str, Any]:
    """Everything any stage's request may ask for: the artifacts under ``folder``, the settings groups, the stores."""
    return {
        **{name: folder / f"{name}.parquet" for name in ARTIFACTS},
        "report": folder / "report.html",
        "card": folder / "model_card.md",
        "evaluation": folder / "evaluation.json",
        "baseline": folder / "baseline",
        "refit": folder / "refit",
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


@contextlib.contextmanager
def _logging_as(stage: str, run_date: str, level: int, restore: int) -> Iterator[logging.Logger]:
    """The project logger labelled with the stage and day while it runs, as each KFP task labels it; then the CLI's."""
    log = configure_logging(stage, run_date, level)
    try:
        yield log
    finally:
        configure_logging("cli", "-", restore)


def _run_stage(stage: str, values: dict[str, Any], level: int, restore: int) -> StageReport:
    with _logging_as(stage, str(values["run_date"]), level, restore) as log:
        log.info("started")
        report: StageReport = stage_module(stage).run(request_for(stage, values))
        log.info("finished")
    return report


class DayRun(NamedTuple):
    """A finished day: its MLflow run and each stage's report."""

    run_id: str
    reports: dict[str, StageReport]


def run_day(
    pipeline: str, values: dict[str, Any], *, images: str, kfp_run_id: str, level: int = logging.INFO,
    restore: int = logging.INFO,
) -> DayRun:  # fmt: skip
    """One run of ``pipeline`` for ``values["run_date"]``: its MLflow run opened with the tags and params the KFP
    ``start_run`` task gives it, the stages in the DAG's order, the validation logged on the run as
    ``log_validation`` logs it, and the run closed FINISHED, or FAILED (a stage's error, re-raised) or KILLED
    (Ctrl-C). ``values`` is :func:`stage_values`' mapping; the stages' log lines go out at ``level``, the CLI's at
    ``restore`` again after each stage. A stage's error comes back as one line naming the stage and the day."""
    groups = {name: dict(values[name]) for name in PIPELINE_GROUPS[pipeline]}
    arguments = {"run_date": str(values["run_date"]), "scheduled_time": "", "replay_year": 0, "pipeline": pipeline,
                 "tracking_uri": values["tracking_uri"], "code_version": values["code_version"], "images": images,
                 "kfp_run_id": kfp_run_id, **groups}  # fmt: skip
    uri = values["tracking_uri"]
    day, run_id = run_tracking.open_run(arguments)
    values = {**values, "run_date": day, "tracking_run_id": run_id}
    reports: dict[str, StageReport] = {}
    status = "FAILED"
    try:
        for stage in PIPELINE_STAGES[pipeline]:
            try:
                reports[stage] = _run_stage(stage, values, level, restore)
            except PipelineError as error:  # TransientError stays one, for the exit code
                raise type(error)(f"stage {stage} failed on {day}: {error}") from None
            if stage == "validate":
                report = json.loads(reports[stage].model_dump_json())
                run_tracking.record_validation(uri, run_id, report, values["quarantine"])
            elif stage == "train":
                values["model_version"] = reports[stage].model_version  # type: ignore[attr-defined]
        status = "FINISHED"
    except KeyboardInterrupt:
        status = "KILLED"
        raise
    finally:
        tracking.close_run(uri, run_id, status)
    return DayRun(run_id, reports)


def keep_results(folder: Path) -> None:
    """Delete a finished day's intermediate files (the window's parquet files), keeping :data:`KEPT`."""
    for path in folder.iterdir():
        if path.name not in KEPT:
            shutil.rmtree(path) if path.is_dir() else path.unlink()


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
