"""One typed entry per stage, and the two thin ways to call it: the KFP component and the stage's command line.

Every stage's ``shell`` module defines a ``Request`` (its inputs, outputs and settings), a ``Report`` (what it did)
and ``run(request) -> report``, the one function that does the stage's work. Both callers go through :func:`execute`:

* the KFP component (``components/kfp_components.py``) calls :func:`run_component` with its arguments: artifacts
  become their paths, settings groups arrive as dicts and are validated into their typed models;
* ``python -m components.<stage>`` calls :func:`main`: one option per request field (``--history-features PATH``,
  ``--train '{"max_iter": 40}'``), the report as JSON on stdout.

So a container test of a stage's command line runs exactly the code a cluster runs. Logging is configured once,
here. A :class:`~components.common.errors.PipelineError` ends the stage with one line and exit code 1, a
:class:`~components.common.errors.TransientError` (attempts ran out) with exit code 75; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, NoReturn

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.fields import FieldInfo

from components.common.errors import PERMANENT_EXIT_CODE, TRANSIENT_EXIT_CODE, PipelineError, TransientError
from components.common.logging import configure_logging
from components.contracts import RunDate

ERROR_MARK = "STAGE FAILED:"


class Role(Enum):
    """What a path field of a request is: something the stage reads, or something it writes."""

    INPUT = "input"
    OUTPUT = "output"


InputFile = Annotated[Path, Role.INPUT]
OutputFile = Annotated[Path, Role.OUTPUT]


class StageRequest(BaseModel):
    """What every stage is asked: the day it runs for. Subclasses add inputs, outputs and settings."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    run_date: RunDate


class TrackedRequest(StageRequest):
    """A stage that talks to the MLflow tracking store and registry, and logs into the pipeline run's MLflow run."""

    tracking_uri: str = ""  # empty: $MLFLOW_TRACKING_URI (on a cluster, the tracking server's Service)
    tracking_run_id: str = ""  # the pipeline run's MLflow run; empty (a stage run on its own): a run of its own

    def run_tags(self, stage: str) -> dict[str, str]:
        """The tags of a run a stage opens for itself."""
        return {"run_date": self.run_date.isoformat(), "pipeline": f"stage:{stage}"}


class StageReport(BaseModel):
    """What a stage did, as typed fields (the run summary reads them). Subclasses add their fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def publish(self, artifacts: Mapping[str, Any]) -> None:
        """Hand KFP what it shows beside the report (metrics, curves, metadata); most stages have nothing to add."""


def stage_module(stage: str) -> ModuleType:
    """The shell of a stage: the module with its ``Request``, ``Report`` and ``run``."""
    return importlib.import_module(f"components.{stage}.shell")


def request_names(stage: str) -> set[str]:
    """Every name a stage's request takes a value by: its fields, and their aliases (``validate`` for ``validate_``)."""
    fields = stage_module(stage).Request.model_fields
    return set(fields) | {field.alias for field in fields.values() if field.alias}


def build_request(stage: str, values: Mapping[str, Any]) -> StageRequest:
    """The stage's typed request from plain values; a missing or bad value is one line naming the field."""
    model: type[StageRequest] = stage_module(stage).Request
    try:
        return model.model_validate(dict(values))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or '(request)'}: {e['msg']}" for e in error.errors()
        )
        raise PipelineError(f"bad request for the {stage} stage: {problems}") from None


def _stop(log: logging.Logger, error: PipelineError) -> NoReturn:
    """End the stage with its one error line and the exit code of the error's kind."""
    log.error("%s %s", ERROR_MARK, error)
    raise SystemExit(TRANSIENT_EXIT_CODE if isinstance(error, TransientError) else PERMANENT_EXIT_CODE) from None


def execute(stage: str, request: StageRequest) -> StageReport:
    """Run one stage's ``run`` with its logging; a user-fixable error becomes one line and the exit code of its kind."""
    level = logging.DEBUG if os.environ.get("FLIGHTS_LOG_LEVEL") == "DEBUG" else logging.INFO
    log = configure_logging(stage, request.run_date.isoformat(), level)
    log.info("started")
    run: Callable[[StageRequest], StageReport] = stage_module(stage).run
    try:
        report = run(request)
    except PipelineError as error:
        _stop(log, error)
    log.info("finished")
    return report


def _is_artifact(value: Any) -> bool:
    return hasattr(value, "path") and hasattr(value, "metadata")


def run_component(stage: str, arguments: Mapping[str, Any], outputs: tuple[str, ...] = ()) -> Any:
    """The body of every KFP component: its arguments as a typed request, the stage run, the report as JSON.

    An artifact argument the request has a field for is passed as its path; the others (``Metrics``,
    ``ClassificationMetrics``: KFP shows their metadata, they have no file) are handed to ``Report.publish``.
    With ``outputs``, those report fields come first, as a component's named outputs, then the report.
    """
    fields = request_names(stage)
    unknown = [name for name, value in arguments.items() if name not in fields and not _is_artifact(value)]
    if unknown:  # a component's signature and its stage's Request disagree: a bug, not bad input
        raise TypeError(f"the {stage} component passes {unknown}, which its Request does not have")
    try:
        values = {name: Path(value.path) if _is_artifact(value) else value for name, value in arguments.items()}
        request = build_request(stage, {name: value for name, value in values.items() if name in fields})
    except PipelineError as error:
        _stop(configure_logging(stage, str(arguments.get("run_date", "-"))), error)
    report = execute(stage, request)
    report.publish({name: value for name, value in arguments.items() if _is_artifact(value)})
    if outputs:
        return (*(getattr(report, name) for name in outputs), report.model_dump_json())
    return report.model_dump_json()


def stop_with(task: str, run_date: str, error: PipelineError) -> NoReturn:
    """End a task that is not a stage (the pipelines' tracking tasks) as a stage ends: one line, its exit code."""
    _stop(configure_logging(task, run_date), error)


# --- the stage's command line ---------------------------------------------------------------------------------


def _option(name: str, field: FieldInfo) -> str:
    return f"--{(field.alias or name).replace('_', '-')}"


def _describe(field: FieldInfo) -> tuple[str | None, str]:
    """(metavar, help) of a request field, from its type."""
    annotation = field.annotation
    role = next((m for m in field.metadata if isinstance(m, Role)), None)
    if role is not None:
        return "PATH", f"{role.value} file" + (f": {field.description}" if field.description else "")
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        names = ", ".join(annotation.model_fields)
        return "JSON", f"settings as a JSON object ({names}); missing keys take their defaults"
    if annotation is dt.date:
        return "YYYY-MM-DD", field.description or "the run date"
    return None, field.description or ""


def stage_parser(stage: str) -> argparse.ArgumentParser:
    """``python -m components.<stage>``: one option per field of the stage's request."""
    module = stage_module(stage)
    parser = argparse.ArgumentParser(
        prog=f"python -m components.{stage}",
        description=(module.__doc__ or stage).strip().split("\n\n")[0],
    )
    for name, field in module.Request.model_fields.items():
        metavar, help_text = _describe(field)
        required = field.is_required()
        default = None if required else field.get_default(call_default_factory=True)
        if not required and not isinstance(default, BaseModel):
            help_text += f" (default: {default!r})" if default != "" else " (default: empty)"
        parser.add_argument(
            _option(name, field),
            dest=name,
            metavar=metavar,
            required=required,
            help=help_text,
            default=argparse.SUPPRESS,
        )
    return parser


def _parse_value(name: str, field: FieldInfo, text: str) -> Any:
    """A settings group's JSON text as a dict (pydantic validates it); everything else as the text itself."""
    annotation = field.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise PipelineError(f"{_option(name, field)} is not valid JSON ({error.msg}): e.g. '{{}}'") from None
    return text


def main(stage: str, argv: Sequence[str] | None = None) -> int:
    """The stage's command line: parse, build the request, run, print the report; returns the exit code."""
    parser = stage_parser(stage)
    parsed = vars(parser.parse_args(argv))
    fields = stage_module(stage).Request.model_fields
    try:
        values = {name: _parse_value(name, fields[name], text) for name, text in parsed.items()}
        request = build_request(stage, values)
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = execute(stage, request)
    sys.stdout.write(report.model_dump_json() + "\n")
    return 0


__all__ = [
    "ERROR_MARK",
    "InputFile",
    "OutputFile",
    "Role",
    "StageReport",
    "StageRequest",
    "TrackedRequest",
    "build_request",
    "execute",
    "main",
    "request_names",
    "run_component",
    "stage_parser",
    "stop_with",
]
