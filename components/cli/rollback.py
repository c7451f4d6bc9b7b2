"""``pipeline.py rollback``: move the champion alias back to the previous champion, or to a named version.

The previous champion is read from the recorded decisions: the newest run (daily or rollback) that moved the alias
onto today's champion says which version it moved it from. A rollback is a run of its own in the experiment, with
who asked, why, and from which version to which, so the history of the alias stays in MLflow.
"""

from __future__ import annotations

import datetime as dt
import getpass

from components.common import registry, tracking
from components.common.errors import PipelineError


def previous_champion(uri: str, current: str) -> str | None:
    """The version the alias was on before it moved onto ``current`` (``None``: it never moved before)."""
    moves = tracking.runs_with(uri, "tags.`decision.moved` = 'True'")
    for run in moves:
        if run.data.tags.get("decision.champion") == current:
            before = run.data.tags.get("decision.previous_champion")
            return before if before not in (None, "None", "") else None
    return None


def _check_target(uri: str, number: str, current: str) -> None:
    target = registry.version(uri, number)
    if number == current:
        raise PipelineError(f"version {number} is already the champion: nothing to roll back")
    passed = target.tags.get("passed_floors") == "true" or target.tags.get(registry.ROLE_TAG) == "baseline"
    if not passed:
        raise PipelineError(
            f"version {number} never passed the promotion floors (ROC AUC floor, beating the baseline): "
            "roll back to a version that did"
        )


def rollback(uri: str, to: str | None, reason: str) -> dict[str, str]:
    """Move the alias; returns the record written on the rollback's own run."""
    if not reason.strip():
        raise PipelineError("--reason is empty: say why you roll back (it is recorded with the rollback)")
    database = tracking.sqlite_file(uri)
    if database is not None and not database.is_file():
        raise PipelineError(f"no tracking store at {database}: run the daily pipeline first (make run)")
    current = str(registry.require_champion(uri).version)
    target = to or previous_champion(uri, current)
    if target is None:
        raise PipelineError(f"champion version {current} has no previous champion: pass --to VERSION")
    _check_target(uri, target, current)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record = {
        "kind": "rollback",
        "previous_champion": current,
        "champion": target,
        "moved": "True",
        "promoted": "False",
        "reason": reason,
        "decided_by": getpass.getuser(),
        "decided_at": now,
    }
    tags = {"pipeline": "rollback", **{f"decision.{key}": value for key, value in record.items()}}
    run_id = tracking.start_run(uri, f"rollback {current} -> {target}", tags, {})
    status = "FAILED"
    try:
        registry.set_champion(uri, target)
        status = "FINISHED"
    finally:
        tracking.close_run(uri, run_id, status)
    return record
