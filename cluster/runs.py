"""Runs on the KFP server: submit one, wait for it, and backfill days one at a time."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import tenacity
import urllib3
from kfp_server_api.exceptions import ApiException  # type: ignore[import-untyped]

from cluster._api import api_call
from cluster.pipelines import PipelineRef
from cluster.session import PORT_FORWARD_HINT, KfpSession, quiet_sdk, run_url
from components.common.errors import PipelineError

SUCCEEDED = "SUCCEEDED"
# v2beta1 RuntimeState values after which a run never changes again; only SUCCEEDED counts as success.
FINAL_STATES = frozenset({SUCCEEDED, "FAILED", "CANCELED", "SKIPPED"})
Arguments = Mapping[str, Any]
Progress = Callable[[str], None]


def _ignore(_: str) -> None:
    """The default progress sink."""


def ensure_experiment(session: KfpSession, experiment: str) -> str:
    """The id of the experiment named `experiment`, created on first use."""
    with api_call(f"find or create experiment {experiment}", session.host), quiet_sdk():
        found = session.client.create_experiment(name=experiment)
    return str(found.experiment_id)


def submit_run(session: KfpSession, ref: PipelineRef, experiment: str, run_name: str, arguments: Arguments) -> str:
    """Start a run of the pipeline version `ref` in `experiment`; returns the run id (link: `run_url`)."""
    experiment_id = ensure_experiment(session, experiment)
    with api_call(f"start run {run_name}", session.host), quiet_sdk():
        run = session.client.run_pipeline(
            experiment_id=experiment_id,
            job_name=run_name,
            params=dict(arguments),
            pipeline_id=ref.pipeline_id,
            version_id=ref.version_id,
        )
    return str(run.run_id)


def _is_transient(error: BaseException) -> bool:
    """A lost connection or a 5xx while polling: a port-forward hiccup, worth another poll."""
    if isinstance(error, urllib3.exceptions.HTTPError):
        return True
    return isinstance(error, ApiException) and int(getattr(error, "status", 0) or 0) >= 500


def wait_for_run(
    session: KfpSession,
    run_id: str,
    timeout_s: float = 3600.0,
    poll_s: float = 10.0,
    progress: Progress = _ignore,
) -> str:
    """Poll the run until it ends; returns SUCCEEDED, raises a one-line `PipelineError` naming the run link otherwise.

    `progress` gets a line whenever the run's state changes. Transient API errors (5xx, lost connection) are
    polled through until the timeout.
    """
    url = run_url(session.host, run_id)
    seen: list[str] = []

    def poll() -> Any:
        run = session.client.get_run(run_id)
        state = str(run.state or "PENDING")
        if not seen or seen[-1] != state:
            seen.append(state)
            progress(f"run {run_id}: {state}")
        return run

    retrying = tenacity.Retrying(
        retry=(
            tenacity.retry_if_exception(_is_transient)
            | tenacity.retry_if_result(lambda run: str(run.state or "PENDING") not in FINAL_STATES)
        ),
        stop=tenacity.stop_after_delay(timeout_s),
        wait=tenacity.wait_fixed(poll_s),
        reraise=False,
    )
    try:
        with api_call(f"read run {run_id}", session.host, fix="pass a run id from `python pipeline.py submit`"):
            run = retrying(poll)
    except tenacity.RetryError as error:
        last = error.last_attempt
        if last.failed:
            raise PipelineError(
                f"lost contact with KFP at {session.host} while waiting for run {url}: {PORT_FORWARD_HINT}, "
                "then check the run in the UI"
            ) from last.exception()
        state = seen[-1] if seen else "PENDING"
        raise PipelineError(
            f"run {url} still {state} after {timeout_s:g}s: it keeps running on the cluster; follow it in the UI "
            "or wait longer with --timeout"
        ) from None
    state = str(run.state)
    if state != SUCCEEDED:
        detail = getattr(getattr(run, "error", None), "message", None)
        reason = f" ({detail})" if detail else ""
        raise PipelineError(f"run {url} ended {state}{reason}: open the link to see which task failed and its logs")
    return state


def _check_days(days: Sequence[str]) -> None:
    if not days:
        raise PipelineError("no days to backfill: START must be on or before END")
    try:
        parsed = [dt.date.fromisoformat(day) for day in days]
    except ValueError as error:
        raise PipelineError(f"backfill days must be YYYY-MM-DD ({error}): pass --start/--end as YYYY-MM-DD") from None
    if any(later <= earlier for earlier, later in itertools.pairwise(parsed)):
        raise PipelineError("backfill days must be strictly increasing: pass --start before --end, each day once")


def backfill(
    session: KfpSession,
    ref: PipelineRef,
    experiment: str,
    days: Sequence[str],
    arguments_for: Callable[[str], Arguments],
    run_name_for: Callable[[str], str] = lambda day: f"backfill {day}",
    timeout_s: float = 3600.0,
    poll_s: float = 10.0,
    progress: Progress = _ignore,
) -> list[str]:
    """One run per day, in order, each waited for before the next is submitted; stops at the first failure.

    Returns the run ids. On a failure or timeout the error names the day, the run link and the command
    that resumes from that day (the days before it succeeded and need no rerun).
    """
    _check_days(days)
    run_ids: list[str] = []
    for index, day in enumerate(days):
        run_id = submit_run(session, ref, experiment, run_name_for(day), arguments_for(day))
        run_ids.append(run_id)
        progress(f"{day}: submitted {run_url(session.host, run_id)}")
        try:
            wait_for_run(session, run_id, timeout_s=timeout_s, poll_s=poll_s, progress=progress)
        except PipelineError as error:
            done = {0: "", 1: f"{days[0]} succeeded; "}.get(index, f"{days[0]}..{days[index - 1]} succeeded; ")
            raise PipelineError(
                f"backfill stopped at {day}: {error} ({done}fix it, then rerun "
                f"`make backfill RUNNER=kfp START={day} END={days[-1]}`)"
            ) from error
        progress(f"{day}: {SUCCEEDED}")
    return run_ids
