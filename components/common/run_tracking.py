"""The pipelines' own tracking tasks: open the pipeline run's MLflow run, log the validation, close the run.

* ``start`` is the first task: it resolves the day (the run_date parameter, else the recurring run's slot) and
  opens the MLflow run named after it, tagged with the pipeline, code version, images and the KFP run id, its
  params the settings groups. A retried first task finds its run by the KFP run id instead of opening another.
* ``log_validation`` puts the quarantine and the validation report on the run (validate itself is cached, so it
  can't log per run).
* ``finish`` is the exit task: it runs whatever happened to the others, marks the run FINISHED or FAILED, then
  tells the alert webhook, when one is set, how the run ended and what the monitor found (``alerts``).

Errors are one line and exit code 1 (or 75 for a tracking server that does not answer), as in the stages.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.common import alerts, tracking
from components.common.config import parse_settings
from components.common.errors import PipelineError
from components.common.logging import configure_logging
from components.common.stage import stop_with
from components.contracts import resolve_run_date


def _params(groups: Mapping[str, Mapping[str, Any] | None]) -> dict[str, Any]:
    """The settings groups the pipeline has, validated (KFP hands whole numbers over as floats), as flat params."""
    given = {name: dict(values) for name, values in groups.items() if values is not None}
    typed = parse_settings(given, "the pipeline's settings parameters").stage_groups()
    return {f"{group}.{key}": value for group in given for key, value in typed[group].items()}


def open_run(arguments: Mapping[str, Any]) -> tuple[str, str]:
    """(the day, the MLflow run id) of a pipeline run: the run opened (or found again by its KFP run id)."""
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
    return day, tracking.start_run(uri, day, tags, _params(groups))


def start(arguments: Mapping[str, Any]) -> tuple[str, str]:
    """The first task's body: (the day, the MLflow run id)."""
    try:
        return open_run(arguments)
    except PipelineError as error:
        stop_with("start", str(arguments.get("run_date") or "-"), error)


def record_validation(uri: str, run_id: str, report: Mapping[str, Any], quarantine: Path) -> None:
    """The quarantine (parquet) and the validation report (JSON) as artifacts of the run, its counts as metrics."""
    with tempfile.TemporaryDirectory(prefix="flights-validation-") as scratch:
        path = Path(scratch) / "validation_report.json"
        path.write_text(json.dumps(report, indent=2, sort_keys=True))
        tracking.log_files(
            uri, run_id, {"quarantine.parquet": quarantine, "validation_report.json": path}, "validation"
        )
    metrics = {f"valid_rows_{k}": v for k, v in report["valid_rows"].items()}
    metrics |= {f"quarantined_rows_{k}": v for k, v in report["quarantined_rows"].items()}
    tracking.log(uri, run_id, metrics=metrics)


def log_validation(arguments: Mapping[str, Any]) -> None:
    """The ``log_validation`` task's body: :func:`record_validation` from the validate task's JSON report."""
    try:
        uri = tracking.resolve_tracking_uri(arguments["tracking_uri"])
        report = json.loads(arguments["validate_report"])
        record_validation(uri, arguments["tracking_run_id"], report, Path(arguments["quarantine"]))
    except PipelineError as error:
        stop_with("validate", arguments["run_date"], error)


def finish(arguments: Mapping[str, Any]) -> str:
    """The exit task's body: the run's final state, as KFP reports it, onto the MLflow run; then the alert webhook
    told (``$FLIGHTS_ALERT_WEBHOOK_URL``; unset: nothing sent), which can never change the task's own outcome."""
    status = arguments["status"]
    state = status["state"]  # the exit task hands over {"state": PipelineTaskFinalStatus.state}
    succeeded = str(state).upper() == "SUCCEEDED"
    configure_logging("finish")
    webhook, kfp_run_id = alerts.webhook_url(), arguments["kfp_run_id"]
    try:
        uri = tracking.resolve_tracking_uri(arguments["tracking_uri"])
        closed = tracking.end_runs(uri, kfp_run_id, succeeded)
    except PipelineError as error:
        alerts.notify(webhook, str(state), kfp_run_id, arguments["tracking_uri"], tracking_error=str(error))
        stop_with("finish", "-", error)
    alerts.notify(webhook, str(state), kfp_run_id, uri)
    return json.dumps({"state": str(state), "closed_runs": closed})
