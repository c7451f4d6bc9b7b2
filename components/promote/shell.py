"""Promote: apply the policy to the recorded evaluation; move the champion pointer atomically, or not at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from components.common.config import PromoteSettings
from components.common.logging import get_logger
from components.common.registry import (
    read_champion,
    read_evaluation,
    read_lineage,
    record_decision,
    registry_root,
    remove_stray_staging,
    set_champion,
)
from components.common.stage import StageReport, StageRequest
from components.promote.core import Decision, decide


class Request(StageRequest):
    """The challenger's version (evaluated) in; the champion pointer moved, or not, and the decision recorded."""

    promote: PromoteSettings = PromoteSettings()
    artifact_root: Path
    model_version: str


class Report(StageReport):
    """What was decided and why; ``champion_version`` is the model serving after the decision."""

    challenger: str
    promoted: bool
    reason: str
    champion_version: str | None
    previous_champion: str | None


def run(request: Request) -> Report:
    """Decide, record the decision in the registry's history, and move the pointer when the policy says so."""
    day, model_version, policy = request.run_date, request.model_version, request.promote
    run_date = day.isoformat()
    registry = registry_root(request.artifact_root)
    remove_stray_staging(registry)  # what a killed predecessor left half-written
    evaluation = read_evaluation(registry, model_version)
    metrics = evaluation["metrics"]
    champion = read_champion(registry)
    champion_version = champion["version"] if champion else None
    age = None
    if champion_version is not None:
        age = (day - dt.date.fromisoformat(read_lineage(registry, champion_version)["train_end"])).days
    if evaluation.get("champion_version") != champion_version:
        decision = Decision(False, f"the champion changed to {champion_version} after evaluation: rerun {run_date}")
    else:
        decision = decide(
            metrics["challenger"],
            metrics["baseline"],
            metrics.get("champion"),
            champion_version == model_version,
            age,
            policy,
        )
    record = {
        "run_date": run_date,
        "challenger": model_version,
        "previous_champion": champion_version,
        "promoted": decision.promote,
        "reason": decision.reason,
        "decided_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if decision.promote:
        set_champion(
            registry,
            {
                "version": model_version,
                "run_date": run_date,
                "reason": decision.reason,
                "promoted_at": record["decided_at"],
            },
        )
    record_decision(registry, run_date, record)
    serving = model_version if decision.promote else champion_version
    get_logger().info(
        "%s: %s; serving %s", "promoted" if decision.promote else "kept champion", decision.reason, serving
    )
    return Report(
        challenger=model_version,
        promoted=decision.promote,
        reason=decision.reason,
        champion_version=serving,
        previous_champion=champion_version,
    )
