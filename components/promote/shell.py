"""Promote: apply the policy to the evaluation; move the registry's ``champion`` alias, or not at all.

Every decision is recorded on the pipeline run's MLflow run (``decision.*`` tags and ``decision.json``), one run per
pipeline run, so a rerun of a day adds a record and never overwrites one. An empty registry's champion is the
naive baseline (registered by evaluate) when the challenger misses the floors.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from components.common import registry, tracking
from components.common.config import PromoteSettings
from components.common.errors import PipelineError
from components.common.files import read_json, write_json
from components.common.logging import get_logger
from components.common.stage import InputFile, StageReport, TrackedRequest
from components.evaluate.evaluation import Evaluation
from components.promote.core import Decision, decide, floors_failure

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion


class Request(TrackedRequest):
    """The challenger's evaluation in; the champion alias moved, or not, and the decision recorded."""

    promote: PromoteSettings = PromoteSettings()
    model_version: str
    evaluation: InputFile
    baseline: InputFile  # the baseline evaluate saved: registered only when it must serve an empty registry
    refit: InputFile  # the challenger's recipe refit on the whole window (train saved it): what serves once promoted


class Report(StageReport):
    """What was decided and why; ``champion_version`` is the model serving after the decision."""

    challenger: str
    promoted: bool
    policy: str = "paired"  # the promote.policy the decision was made under
    reason: str
    champion_version: str | None
    champion_role: str | None
    previous_champion: str | None


def _decide(evaluation: Evaluation, request: Request, serving: ModelVersion | None) -> Decision:
    day = request.run_date
    champion_version = str(serving.version) if serving is not None else None
    if evaluation.champion_version != champion_version:
        return Decision(False, f"the champion changed to {champion_version} after evaluation: rerun {day}")
    is_baseline = serving is not None and serving.tags.get(registry.ROLE_TAG) == "baseline"
    champion = evaluation.champion
    age = None
    if serving is not None and not is_baseline:
        age = (day - dt.date.fromisoformat(serving.tags["train_end"])).days
    same = request.model_version in (champion_version, serving.tags.get(registry.REFIT_OF_TAG) if serving else None)
    decision = decide(
        evaluation.challenger.model_dump(),
        evaluation.baseline.model_dump(),
        None if is_baseline or champion is None else champion.model_dump(),
        same,
        age,
        request.promote,
        evaluation.comparison,
    )
    if is_baseline and decision.promote:
        return Decision(True, decision.reason.replace("no champion yet", "the baseline serves"))
    return decision


def _refit_card(uri: str, challenger: str, lineage: dict[str, object]) -> str:
    """The refit version's description: what it is, then its challenger's model card (the holdout figures)."""
    card = registry.version(uri, challenger).description or ""
    head = (
        f"Refit of version {challenger} on the whole window ({lineage['train_start']} to {lineage['train_end']}, "
        f"{lineage['train_rows']} flights): the same data, parameters and code plus the holdout days. The holdout "
        f"figures below are version {challenger}'s, on days this refit has seen.\n\n"
    )
    return head + card


def _register_refit(request: Request, uri: str, run_id: str) -> tuple[str, str]:
    """Register the challenger's refit on the whole window (promote's champion in its place); its version and the
    last day it has seen."""
    saved, lineage = registry.saved_at(request.refit, "train")
    target, _ = registry.register_saved(uri, run_id, saved, lineage[registry.FINGERPRINT_TAG], lineage)
    registry.set_version_tags(uri, target, {"passed_floors": "true"})
    registry.describe_version(uri, target, _refit_card(uri, request.model_version, lineage))
    return target, str(lineage["train_end"])


def record(uri: str, run_id: str, decision: dict[str, object]) -> None:
    """A decision as tags of the run (what the MLflow UI lists) and as ``decision.json`` (the whole record)."""
    scalars = {key: value for key, value in decision.items() if not isinstance(value, dict)}
    tracking.log(uri, run_id, tags={f"decision.{key}": value for key, value in scalars.items()})
    with tempfile.TemporaryDirectory(prefix="flights-decision-") as scratch:
        path = Path(scratch) / "decision.json"
        write_json(decision, path)
        tracking.log_files(uri, run_id, {"decision.json": path})


def run(request: Request) -> Report:
    """Decide, move the alias when the policy says so, and record the decision on the run."""
    day, model_version = request.run_date, request.model_version
    uri = tracking.resolve_tracking_uri(request.tracking_uri)
    evaluation = Evaluation.model_validate(read_json(request.evaluation, "evaluation"))
    if evaluation.challenger_version != model_version:
        raise PipelineError(
            f"the evaluation is of version {evaluation.challenger_version}, not {model_version}: rerun evaluate"
        )
    serving = registry.champion(uri)
    previous = str(serving.version) if serving is not None else None
    decision = _decide(evaluation, request, serving)
    target = model_version if decision.promote else None
    reason = decision.reason
    passed = (
        floors_failure(evaluation.challenger.model_dump(), evaluation.baseline.model_dump(), request.promote) is None
    )
    with tracking.stage_run(uri, request.tracking_run_id, f"{day} promote", request.run_tags("promote")) as run_id:
        if target is None and serving is None:  # an empty registry: the baseline serves until a challenger passes
            saved, lineage = registry.saved_at(request.baseline, "evaluate")
            target, _ = registry.register_saved(uri, run_id, saved, evaluation.baseline_fingerprint, lineage)
            reason = f"no champion yet; {reason}: the baseline (version {target}) serves until a challenger passes"
        registry.set_version_tags(uri, model_version, {"passed_floors": str(passed).lower()})
        if decision.promote:  # the challenger's recipe, refit up to the day before, serves in its place
            target, seen_to = _register_refit(request, uri, run_id)
            reason = f"{reason}; version {target} (its refit on the whole window, to {seen_to}) serves"
        if target is not None:
            registry.set_champion(uri, target)
        champion_now = target or previous
        record(
            uri,
            run_id,
            {
                "run_date": day.isoformat(),
                "challenger": model_version,
                "policy": request.promote.policy,
                "previous_champion": previous,
                "champion": champion_now,
                "moved": target is not None and target != previous,
                "promoted": decision.promote,
                "passed_floors": passed,
                "reason": reason,
                "metrics": json.loads(evaluation.model_dump_json(include={"challenger", "champion", "baseline"})),
                "decided_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            },
        )
    role = None
    if champion_now is not None:
        role = registry.version(uri, champion_now).tags.get(registry.ROLE_TAG)
    get_logger().info("%s: %s; serving version %s", "promoted" if decision.promote else "kept", reason, champion_now)
    return Report(
        challenger=model_version,
        promoted=decision.promote,
        policy=request.promote.policy,
        reason=reason,
        champion_version=champion_now,
        champion_role=role,
        previous_champion=previous,
    )
