"""The pipelines' own tracking tasks: open the pipeline run's MLflow run, log the validation, close the run.

* ``start`` is the first task: it resolves the day (the run_date parameter, else the recurring run's slot) and
  opens the MLflow run named after it, tagged with the pipeline, code version, images and the KFP run id, its
  params the settings groups. A retried first task finds its run by the KFP run id instead of opening another.
* ``log_validation`` puts the quarantine and the validation report on the run (validate itself is cached, so it
  can't log per run).
* ``finish`` is the exit task: it runs whatever happened to the others, and marks the run FINISHED or FAILED.

Errors are one line and exit code 1 (or 75 for a tracking server that does not answer), as in the stages.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.common import tracking
from components.common.config import parse_settings
from components.common.errors import PipelineError
from components.common.stage import stop_with
from components.contracts import resolve_run_date


def _params(groups: Mapping[str, Mapping[str, Any] | None]) -> dict[str, Any]:
    """The settings groups the pipeline has, validated (KFP hands whole numbers over as floats), as flat params."""
    given = {name: dict(values) for name, values in groups.items() if values is not None}
    typed = parse_settings(given, "the pipeline's settings parameters").stage_groups()
    return {f"{group}.{key}": value for group in given for key, value in typed[group].items()}


def start(arguments: Mapping[str, Any]) -> tuple[str, str]:
    """The first task's body: (the day, the MLflow run id)."""
    try:
        day = resolve_run_date(arguments["run_date"], arguments["scheduled_time"], arguments["replay_year"])
        uri = tracking.resolve_tracking_uri(arguments["tracking_uri"])
        tags = {
            "run_date": day,
            "pipeline": arguments["pipeline"],
            "code_version": arguments["code_version"],
            "images": arguments["images"],
            "kfp_run_id": arguments["kfp_run_id"],
        }
        groups = {name: arguments.get(name) for name in ("window", "validate", "train", "evaluate", "promote")}
        run_id = tracking.start_run(uri, day, tags, _params(groups))
    except PipelineError as error:
        stop_with("start", str(arguments.get("run_date") or "-"), error)
    return day, run_id


def log_validation(arguments: Mapping[str, Any]) -> None:
    """The quarantine (parquet) and the validation report (JSON) as artifacts of the run, its counts as metrics."""
    try:
        uri = tracking.resolve_tracking_uri(arguments["tracking_uri"])
        report = json.loads(arguments["validate_report"])
        with tempfile.TemporaryDirectory(prefix="flights-validation-") as scratch:
            path = Path(scratch) / "validation_report.json"
            path.write_text(json.dumps(report, indent=2, sort_keys=True))
            files = {"quarantine.parquet": Path(arguments["quarantine"]), "validation_report.json": path}
            tracking.log_files(uri, arguments["tracking_run_id"], files, "validation")
        metrics = {f"valid_rows_{k}": v for k, v in report["valid_rows"].items()}
        metrics |= {f"quarantined_rows_{k}": v for k, v in report["quarantined_rows"].items()}
        tracking.log(uri, arguments["tracking_run_id"], metrics=metrics)
    except PipelineError as error:
        stop_with("validate", arguments["run_date"], error)


def finish(arguments: Mapping[str, Any]) -> str:
    """The exit task's body: the run's final state, as KFP reports it, onto the MLflow run."""
    status = arguments["status"]
    state = status["state"]  # the exit task hands over {"state": PipelineTaskFinalStatus.state}
    succeeded = str(state).upper() == "SUCCEEDED"
    try:
        uri = tracking.resolve_tracking_uri(arguments["tracking_uri"])
        closed = tracking.end_runs(uri, arguments["kfp_run_id"], succeeded)
    except PipelineError as error:
        stop_with("finish", "-", error)
    return json.dumps({"state": str(state), "closed_runs": closed})
