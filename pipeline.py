"""The flight-disruption pipelines, defined once with the KFP v2 SDK, and the command line that runs them.

    daily:      ingest -> validate -> features -> train -> evaluate -> promote -> predict -> monitor
    inference:  ingest -> validate -> features ----------------------------------> predict -> monitor

Both share one head (the day's flights and the window before it, validated and featurized) and one tail (score the
day with the champion, then monitor). The same definitions run on one machine (``--runner local``: each stage in
this venv; ``--runner docker``: each in its own image) and compile to the YAML a KFP cluster runs. Every stage's
settings group crosses KFP as one typed value (a dict parameter), defaulting to the config it was compiled with.
``python pipeline.py --help`` (or the ``flight-delay`` console script) lists the commands.
(No ``from __future__ import annotations`` here: KFP reads the pipelines' real annotation objects.)
"""

import json
import sys
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from kfp import dsl, kubernetes

from components import kfp_components as c
from components.common.config import Settings
from components.common.deployment import (
    ALERT_WEBHOOK_ENV,
    ALERTS_SECRET,
    ALERTS_SECRET_KEY,
    CLUSTER_TRACKING_URI,
    STAGES,
    TRACKING_URI_ENV,
    WAREHOUSE_SECRET,
    WAREHOUSE_URL_ENV,
    StageImages,
)

PIPELINES = ("daily", "inference")
# A recurring run's slot (RFC 3339, UTC), resolved by the KFP backend from 2.17.0 on. kfp.local can't resolve it, so
# local runs build the pipelines with "" here (they always pass run_date).
SCHEDULE_TIME = dsl.PIPELINE_JOB_SCHEDULE_TIME_UTC_PLACEHOLDER
# On a cluster: the warehouse URL comes from the Secret's `url` key as $FLIGHTS_WAREHOUSE_URL (never a parameter), and
# every task reaches the MLflow tracking server (k8s/mlflow) over HTTP as $MLFLOW_TRACKING_URI; no task mounts a
# volume. Local runs pass both as parameters (a DuckDB file, a SQLite tracking store under the artifact root).
WAREHOUSE_JOBS = ("ingest", "predict", "monitor")
# The tasks that are not stages run in a stage's image, with small resources.
TRACKING_TASKS = {"start_run": "ingest", "log_validation": "validate", "finish_run": "ingest"}
# Transient errors (a lost connection, a restarting server, a locked file) are retried inside the stage, where they
# happen. What only the orchestrator can retry is a pod lost to eviction or a failed node; KFP can't tell that from a
# permanent error (Argo's retryStrategy retries any failure), so on a cluster every task gets ONE more attempt after
# 30 s, and a permanent error costs one extra pod start, never minutes. backoff_max_duration is Argo's total window
# from the first attempt, sized for the longest stage. kfp.local runs get no retry policy: no pods to lose there.
CLUSTER_RETRY = {"num_retries": 1, "backoff_duration": "30s", "backoff_factor": 2.0, "backoff_max_duration": "3600s"}


class Resources(NamedTuple):
    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str


# Per stage, from `make bench` peaks on the 90-day window (a few hundred MB) with room for a 365-day window.
# The launcher's own overhead (about 100 MB) is in the memory figures. CPU requests are what lets a task schedule on
# a 2-CPU kind node: Kubernetes' own pods request 0.95 CPU there and KFP 2.17's 0.67, the kind overlay's PostgreSQL
# and MLflow server 0.2, which leaves 0.18 CPU for a task pod (and KFP's driver pods, 0.1 each). The limits are
# what a task uses when the node has CPUs free; on a shared managed cluster, raise train's and evaluate's requests.
RESOURCES = {
    "tracking": Resources("50m", "256Mi", "250m", "512Mi"),
    "ingest": Resources("100m", "512Mi", "1", "2Gi"),
    "validate": Resources("100m", "1Gi", "1", "4Gi"),
    "features": Resources("100m", "512Mi", "1", "2Gi"),
    "train": Resources("100m", "1Gi", "2", "4Gi"),
    "evaluate": Resources("100m", "1Gi", "2", "4Gi"),
    "promote": Resources("100m", "256Mi", "500m", "1Gi"),
    "predict": Resources("100m", "1Gi", "1", "2Gi"),
    "monitor": Resources("100m", "512Mi", "1", "2Gi"),
}
# scikit-learn's HistGradientBoosting (train, evaluate) and the champion's predictions use OpenMP, which starts one
# thread per core of the node whatever the pod's CPU limit; throttled, those spinning threads collapse (one fit:
# 3 s with one thread, 280 s with the default on an oversubscribed machine). On a cluster they get as many threads
# as their CPU limit allows.
OPENMP_JOBS = ("train", "evaluate", "predict")
OPENMP_THREADS_ENV = "OMP_NUM_THREADS"


def openmp_threads(cpu_limit: str) -> int:
    """The whole CPUs of a Kubernetes CPU quantity ("2", "1.5", "500m"), at least 1."""
    cpus = float(cpu_limit[:-1]) / 1000 if cpu_limit.endswith("m") else float(cpu_limit)
    return max(1, int(cpus))


@dataclass(frozen=True)
class Build:
    """What a pipeline is built for: the stage images, the settings its parameters default to, and where it runs."""

    images: StageImages
    defaults: Settings = field(default_factory=Settings)
    schedule_time: str = SCHEDULE_TIME
    on_cluster: bool = True


def _stage(build: Build, name: str, task: Any, *, cache: bool = False) -> Any:
    """Give a task its stage's image, a display name, caching, resources and (on a cluster) its retry policy, Secret
    and volume, in one place per task. The stage is the component's name; the first task runs in ingest's image."""
    component = task.component_spec.name.replace("-", "_")
    stage, job = (component, component) if component in STAGES else (TRACKING_TASKS[component], "tracking")
    task.set_container_image(build.images.image(stage)).set_display_name(name).set_caching_options(cache)
    needs = RESOURCES[job]
    task.set_cpu_request(needs.cpu_request).set_cpu_limit(needs.cpu_limit)
    task.set_memory_request(needs.memory_request).set_memory_limit(needs.memory_limit)
    if build.on_cluster:
        task.set_retry(**CLUSTER_RETRY)
        task.set_env_variable(TRACKING_URI_ENV, CLUSTER_TRACKING_URI)
        if job in OPENMP_JOBS:
            task.set_env_variable(OPENMP_THREADS_ENV, str(openmp_threads(needs.cpu_limit)))
    if job in WAREHOUSE_JOBS:
        kubernetes.use_secret_as_env(task, secret_name=WAREHOUSE_SECRET, secret_key_to_env={"url": WAREHOUSE_URL_ENV})
    return task


@dataclass(frozen=True)
class Run:
    """What every task after the first one is given: the day, and where and in which MLflow run to track."""

    day: Any
    tracking_uri: Any
    tracking_run_id: Any

    @property
    def tracked(self) -> dict[str, Any]:
        return {"run_date": self.day, "tracking_uri": self.tracking_uri, "tracking_run_id": self.tracking_run_id}


def _start(build: Build, pipeline: str, **values: Any) -> Run:
    """The first task: the day (the run_date parameter, else the scheduled slot), and the MLflow run it opens."""
    images = json.dumps({stage: build.images.image(stage) for stage in STAGES}, sort_keys=True)
    task = c.start_run(
        **values, scheduled_time=build.schedule_time, pipeline=pipeline, images=images,
        kfp_run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER,
    )  # fmt: skip
    opened = _stage(build, "resolve the day, open its MLflow run", task)
    return Run(opened.outputs["run_date"], values["tracking_uri"], opened.outputs["tracking_run_id"])


def _finish(build: Build, tracking_uri: Any) -> Any:
    """The exit task: marks the MLflow run FINISHED or FAILED, whatever happened to the other tasks, then posts how
    the run ended, and the monitor's alerts (read from the MLflow run), to the alert webhook. On a cluster its URL
    is the optional Secret's (no Secret: nothing sent); it is never a parameter, which the KFP UI would show."""
    task = c.finish_run(tracking_uri=tracking_uri, kfp_run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER)
    kubernetes.use_secret_as_env(
        task, secret_name=ALERTS_SECRET, secret_key_to_env={ALERTS_SECRET_KEY: ALERT_WEBHOOK_ENV}, optional=True
    )
    return _stage(build, "close the MLflow run, send the alerts", task)


def _head(build: Build, run: Run, warehouse_url: Any, window: Any, validate: Any) -> Any:
    """The day's flights and the window's, validated (the validation logged on the run) and featurized."""
    day = run.day
    flights = _stage(build, "ingest flights", c.ingest(run_date=day, warehouse_url=warehouse_url, window=window))
    history, scoring = flights.outputs["history"], flights.outputs["scoring"]
    valid = _stage(
        build, "validate flights", c.validate(run_date=day, validate=validate, history=history, scoring=scoring),
        cache=True,
    )  # fmt: skip
    _stage(
        build, "log the validation",
        c.log_validation(**run.tracked, validate_report=_report(valid), quarantine=valid.outputs["quarantine"]),
    )  # fmt: skip
    valid_history, valid_scoring = valid.outputs["valid_history"], valid.outputs["valid_scoring"]
    feats = _stage(
        build, "build features",
        c.features(run_date=day, window=window, valid_history=valid_history, valid_scoring=valid_scoring),
        cache=True,
    )  # fmt: skip
    return flights, valid, feats


def _tail(build: Build, run: Run, warehouse_url: Any, valid: Any, feats: Any) -> Any:
    """Score the day with the champion, then monitor it; returns both tasks (called inside a pipeline)."""
    features = feats.outputs["scoring_features"]
    scores = _stage(
        build, "score the day",
        c.predict(**run.tracked, warehouse_url=warehouse_url, scoring_features=features,
                  valid_scoring=valid.outputs["valid_scoring"]),
    )  # fmt: skip
    health = _stage(
        build, "monitor drift and outcomes",
        c.monitor(**run.tracked, warehouse_url=warehouse_url, scoring_features=features).after(scores),
    )  # fmt: skip
    return scores, health


def _report(task: Any) -> Any:
    """A task's JSON report (its return value, ``Output`` beside its artifacts)."""
    return task.outputs["Output"]


def build_daily_pipeline(build: Build) -> Any:
    """The ``daily`` pipeline, its parameters defaulting to ``build.defaults``."""
    groups = build.defaults.stage_groups()

    @dsl.pipeline(name="flight-delay-daily", description="Retrain, evaluate, promote, score and monitor one day.")
    def daily(
        run_date: str = "",
        replay_year: int = 0,
        code_version: str = build.images.tag,
        warehouse_url: str = "",
        tracking_uri: str = "",
        window: dict = groups["window"],
        validate: dict = groups["validate"],
        train: dict = groups["train"],
        evaluate: dict = groups["evaluate"],
        promote: dict = groups["promote"],
    ) -> None:
        """1. resolve the day and open its MLflow run; 2. ingest it and the window before it (SQL); 3. validate
        (pandera, quarantine); 4. features; 5. train and register the challenger; 6. evaluate it against the
        champion and a baseline; 7. promote under the written policy; 8. score the day with the champion;
        9. monitor; then close the MLflow run, FINISHED or FAILED, and tell the alert webhook (if one is set). An
        empty run_date means the recurring run's scheduled day; an empty warehouse_url the Secret's; an empty
        tracking_uri $MLFLOW_TRACKING_URI. code_version defaults to the images' tag, compiled in, so a run records
        the version it runs (cluster runs never pass it)."""
        with dsl.ExitHandler(_finish(build, tracking_uri), name="tracked run"):
            run = _start(
                build, "daily", run_date=run_date, replay_year=replay_year, tracking_uri=tracking_uri,
                code_version=code_version, window=window, validate=validate, train=train, evaluate=evaluate,
                promote=promote,
            )  # fmt: skip
            _, valid, feats = _head(build, run, warehouse_url, window, validate)
            history = feats.outputs["history_features"]
            challenger = _stage(
                build, "train challenger",
                c.train(
                    **run.tracked, window=window, train=train, code_version=code_version,
                    image=build.images.image("train"), history_features=history,
                ),
            )  # fmt: skip
            version = challenger.outputs["model_version"]
            evaluation = _stage(
                build, "evaluate challenger",
                c.evaluate(
                    **run.tracked, window=window, evaluate=evaluate, model_version=version, history_features=history,
                ),
            )  # fmt: skip
            decision = _stage(
                build, "promote or keep champion",
                c.promote(
                    **run.tracked, promote=promote, model_version=version,
                    evaluation=evaluation.outputs["evaluation"], baseline=evaluation.outputs["baseline"],
                    refit=challenger.outputs["refit"],
                ),
            )  # fmt: skip
            scores, _ = _tail(build, run, warehouse_url, valid, feats)
            scores.after(decision)

    return daily


def build_inference_pipeline(build: Build) -> Any:
    """The ``inference`` pipeline, its parameters defaulting to ``build.defaults``."""
    groups = build.defaults.stage_groups()

    @dsl.pipeline(name="flight-delay-inference", description="Score one day with the current champion.")
    def inference(
        run_date: str = "",
        replay_year: int = 0,
        code_version: str = build.images.tag,
        warehouse_url: str = "",
        tracking_uri: str = "",
        window: dict = groups["window"],
        validate: dict = groups["validate"],
    ) -> None:
        """1. resolve the day and open its MLflow run; 2. ingest it and the window before it; 3. validate;
        4. features; 5. score the day with the current champion; 6. monitor; then close the MLflow run
        and tell the alert webhook (if one is set)."""
        with dsl.ExitHandler(_finish(build, tracking_uri), name="tracked run"):
            run = _start(
                build, "inference", run_date=run_date, replay_year=replay_year, tracking_uri=tracking_uri,
                code_version=code_version, window=window, validate=validate,
            )  # fmt: skip
            _, valid, feats = _head(build, run, warehouse_url, window, validate)
            _tail(build, run, warehouse_url, valid, feats)

    return inference


def build_pipeline(name: str, images: StageImages, defaults: Settings | None = None, *, on_cluster: bool = True) -> Any:
    """One of :data:`PIPELINES` by name, for a cluster (the default: what ``compile`` writes) or for ``kfp.local``."""
    build = Build(images, defaults or Settings(), SCHEDULE_TIME if on_cluster else "", on_cluster)
    return {"daily": build_daily_pipeline, "inference": build_inference_pipeline}[name](build)


def main(argv: list[str] | None = None) -> int:
    """The command line (``python pipeline.py``, the ``flight-delay`` console script); returns the exit code."""
    from components.cli import main as cli_main

    return cli_main(argv, build_pipeline)


if __name__ == "__main__":
    sys.exit(main())
