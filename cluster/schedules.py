"""The daily recurring run: create or update it by name, or remove it.

KFP has no update call for recurring runs, so "update" is: find the ones with that display name in the
experiment, keep a single one that already has the wanted settings, otherwise delete them all and create one.
The recurring run references the pipeline without a version id: since kubeflow/pipelines #11560 (2025; the
API-server crash on that path was fixed by #13440 for 2.17) the scheduler then starts each run from the
pipeline's latest version.
The SDK's `create_recurring_run` insists on a version id, so this calls the generated API it wraps.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from kfp_server_api.models import (  # type: ignore[import-untyped]
    RecurringRunMode,
    V2beta1CronSchedule,
    V2beta1PipelineVersionReference,
    V2beta1RecurringRun,
    V2beta1RuntimeConfig,
    V2beta1Trigger,
)

from cluster._api import PAGE_SIZE, api_call, find_named, paged
from cluster.runs import ensure_experiment
from cluster.session import KfpSession, quiet_sdk, require_backend
from components.common.errors import PipelineError
from components.contracts import resolve_run_date

DEFAULT_CRON = "0 0 6 * * *"  # daily 06:00 UTC, seconds first
MAX_CONCURRENCY = 1
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?/,#-]+$")
_CRON_HELP = "six fields, seconds first: seconds minutes hours day-of-month month day-of-week, e.g. '0 0 6 * * *'"


@dataclass(frozen=True)
class ScheduleResult:
    """The recurring run that now carries the schedule, and what `schedule` had to do for it."""

    recurring_run_id: str
    action: Literal["created", "updated", "unchanged"]


def validate_cron(cron: str) -> str:
    """The six-field cron KFP wants (seconds first), whitespace normalized; a one-line error otherwise.

    KFP's server parses cron with robfig/cron's default parser, which also accepts five fields but reads
    them as seconds-first ("0 6 * * *" = minute 6 of every hour), so five fields are refused here.
    """
    fields = cron.split()
    if len(fields) == 5:
        raise PipelineError(
            f"cron '{cron}' has 5 fields but KFP recurring runs take 6, seconds first: use '0 {' '.join(fields)}'"
        )
    if len(fields) != 6:
        raise PipelineError(f"cron '{cron}' has {len(fields)} fields: KFP recurring runs take {_CRON_HELP}")
    bad = [field for field in fields if not _CRON_FIELD.match(field)]
    if bad:
        raise PipelineError(f"cron '{cron}' has an invalid field '{bad[0]}': KFP recurring runs take {_CRON_HELP}")
    return " ".join(fields)


def _normalized(parameters: Mapping[str, Any] | None) -> str:
    """Parameters as canonical JSON; numbers as floats because the server keeps them as protobuf doubles."""

    def scalar(value: Any) -> Any:
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    return json.dumps({key: scalar(value) for key, value in (parameters or {}).items()}, sort_keys=True)


def _matches(existing: Any, pipeline_id: str, cron: str, arguments: Mapping[str, Any]) -> bool:
    trigger = getattr(existing.trigger, "cron_schedule", None) if existing.trigger else None
    reference = existing.pipeline_version_reference
    return (
        trigger is not None
        and trigger.cron == cron
        and int(existing.max_concurrency or 0) == MAX_CONCURRENCY
        and existing.no_catchup is True
        and str(existing.mode or RecurringRunMode.ENABLE) == RecurringRunMode.ENABLE
        and reference is not None
        and reference.pipeline_id == pipeline_id
        and not reference.pipeline_version_id
        and not existing.pipeline_spec
        and _normalized(getattr(existing.runtime_config, "parameters", None)) == _normalized(arguments)
    )


def find_schedules(session: KfpSession, name: str, experiment_id: str) -> list[Any]:
    """The recurring runs with display name `name` in the experiment (all pages)."""
    return find_named(
        session,
        f"list recurring runs named {name}",
        functools.partial(session.client.list_recurring_runs, experiment_id=experiment_id),
        "recurring_runs",
        name,
    )


def _delete(session: KfpSession, recurring_run_id: str, name: str) -> None:
    with api_call(f"delete recurring run {name} ({recurring_run_id})", session.host):
        session.client.delete_recurring_run(recurring_run_id)


def schedule(
    session: KfpSession,
    name: str,
    pipeline_id: str,
    experiment: str,
    cron: str = DEFAULT_CRON,
    arguments: Mapping[str, Any] | None = None,
) -> ScheduleResult:
    """Create or update (by name) the recurring run: `cron` in UTC, one run at a time, no catch-up, latest version."""
    cron = validate_cron(cron)
    wanted = dict(arguments or {})
    require_backend(session)
    with api_call(f"find pipeline {pipeline_id}", session.host, fix="upload it first with `python pipeline.py submit`"):
        session.client.get_pipeline(pipeline_id)
    experiment_id = ensure_experiment(session, experiment)
    existing = find_schedules(session, name, experiment_id)
    if len(existing) == 1 and _matches(existing[0], pipeline_id, cron, wanted):
        return ScheduleResult(recurring_run_id=str(existing[0].recurring_run_id), action="unchanged")
    for old in existing:
        _delete(session, str(old.recurring_run_id), name)
    body = V2beta1RecurringRun(
        display_name=name,
        description=f"{cron} (UTC), latest version of the pipeline; managed by `python pipeline.py schedule`",
        experiment_id=experiment_id,
        pipeline_version_reference=V2beta1PipelineVersionReference(pipeline_id=pipeline_id),
        runtime_config=V2beta1RuntimeConfig(parameters=wanted),
        trigger=V2beta1Trigger(cron_schedule=V2beta1CronSchedule(cron=cron)),
        max_concurrency=MAX_CONCURRENCY,
        no_catchup=True,
        mode=RecurringRunMode.ENABLE,
    )
    replaced = " (the old one is already deleted: rerun `make schedule`)" if existing else ""
    with api_call(f"create recurring run {name}{replaced}", session.host), quiet_sdk():
        created = session.client.recurring_runs.recurring_run_service_create_recurring_run(recurring_run=body)
    return ScheduleResult(recurring_run_id=str(created.recurring_run_id), action="updated" if existing else "created")


def unschedule(
    session: KfpSession, name: str, experiment: str, progress: Callable[[str], None] = lambda line: None
) -> bool:
    """Delete every recurring run named `name` in the experiment; False (not an error) when there was none.

    `progress` gets one line per removed recurring run, or the line saying there was nothing to remove.
    """
    with api_call(f"find experiment {experiment}", session.host):
        try:
            experiment_id = str(session.client.get_experiment(experiment_name=experiment).experiment_id)
        except ValueError as error:
            if not str(error).startswith("No experiment"):
                raise PipelineError(
                    f"{error}: delete the duplicate experiments named {experiment} in the UI"
                ) from error
            experiment_id = ""
    existing = find_schedules(session, name, experiment_id) if experiment_id else []
    if not existing:
        progress(f"no recurring run named {name} in experiment {experiment}: nothing to remove")
        return False
    for old in existing:
        _delete(session, str(old.recurring_run_id), name)
        progress(f"removed recurring run {name} ({old.recurring_run_id})")
    return True


@dataclass(frozen=True)
class ScheduledRun:
    """A run a recurring run started: its id, the slot it was scheduled for, and the day it runs for."""

    run_id: str
    recurring_run_id: str
    scheduled_at: str
    run_date: str


def _only_schedule(session: KfpSession, name: str, experiment: str) -> Any:
    with api_call(f"find experiment {experiment}", session.host, fix="create the schedule with `make schedule`"):
        experiment_id = str(session.client.get_experiment(experiment_name=experiment).experiment_id)
    found = find_schedules(session, name, experiment_id)
    if len(found) != 1:
        raise PipelineError(
            f"{len(found)} recurring runs named {name} in experiment {experiment}, not one: run `make schedule`"
        )
    return found[0]


def _scheduled(run: Any, job: Any) -> ScheduledRun:
    """The run's day as its first task resolves it: the job's run_date, else its slot, replayed by replay_year."""
    parameters = dict(getattr(job.runtime_config, "parameters", None) or {})
    slot = run.scheduled_at.isoformat() if hasattr(run.scheduled_at, "isoformat") else str(run.scheduled_at or "")
    day = resolve_run_date(str(parameters.get("run_date") or ""), slot, int(parameters.get("replay_year") or 0))
    return ScheduledRun(str(run.run_id), str(job.recurring_run_id), slot, day)


def wait_for_scheduled_run(
    session: KfpSession,
    name: str,
    experiment: str,
    timeout_s: float = 600.0,
    poll_s: float = 10.0,
    progress: Callable[[str], None] = lambda line: None,
) -> ScheduledRun:
    """The first run the recurring run `name` started (the one carrying its id), waited for until it appears."""
    job = _only_schedule(session, name, experiment)
    progress(f"waiting up to {timeout_s:g}s for a run of recurring run {name} ({job.recurring_run_id})")
    deadline = time.monotonic() + timeout_s
    while True:
        with api_call(f"list the runs of experiment {experiment}", session.host):
            runs = paged(
                lambda token: session.client.list_runs(
                    page_token=token, page_size=PAGE_SIZE, experiment_id=job.experiment_id
                ),
                "runs",
            )
            started = [run for run in runs if str(run.recurring_run_id or "") == str(job.recurring_run_id)]
        if started:
            return _scheduled(min(started, key=lambda run: str(run.created_at)), job)
        if time.monotonic() >= deadline:
            raise PipelineError(
                f"recurring run {name} started no run within {timeout_s:g}s (cron '{job.trigger.cron_schedule.cron}'"
                f" UTC): check `kubectl -n {session.namespace} logs deploy/ml-pipeline-scheduledworkflow`"
            )
        time.sleep(poll_s)
