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

import sys
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from kfp import dsl, kubernetes

from components import kfp_components as c
from components.common.config import Settings
from components.common.deployment import STAGES, WAREHOUSE_SECRET, WAREHOUSE_URL_ENV, StageImages

PIPELINES = ("daily", "inference")
# A recurring run's slot (RFC 3339, UTC), resolved by the KFP backend from 2.17.0 on. kfp.local can't resolve it, so
# local runs build the pipelines with "" here (they always pass run_date).
SCHEDULE_TIME = dsl.PIPELINE_JOB_SCHEDULE_TIME_UTC_PLACEHOLDER
# On a cluster: the warehouse URL comes from the Secret's `url` key as $FLIGHTS_WAREHOUSE_URL (never a parameter), and
# the artifact root with the model registry is this volume (k8s/, make warehouse). Local runs ignore both.
ARTIFACTS_PVC = "flights-artifacts"
ARTIFACTS_MOUNT = "/mnt/flights"
CLUSTER_ARTIFACT_ROOT = f"{ARTIFACTS_MOUNT}/artifacts"
WAREHOUSE_JOBS = ("ingest", "predict", "monitor")
REGISTRY_JOBS = ("train", "evaluate", "promote", "predict", "monitor")
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
    stage, job = (component, component) if component in STAGES else ("ingest", "run-date")
    task.set_container_image(build.images.image(stage)).set_display_name(name).set_caching_options(cache)
    needs = RESOURCES[job]
    task.set_cpu_request(needs.cpu_request).set_cpu_limit(needs.cpu_limit)
    task.set_memory_request(needs.memory_request).set_memory_limit(needs.memory_limit)
    if build.on_cluster:
        task.set_retry(**CLUSTER_RETRY)
    if job in WAREHOUSE_JOBS:
        kubernetes.use_secret_as_env(task, secret_name=WAREHOUSE_SECRET, secret_key_to_env={"url": WAREHOUSE_URL_ENV})
    if job in REGISTRY_JOBS:
        kubernetes.mount_pvc(task, pvc_name=ARTIFACTS_PVC, mount_path=ARTIFACTS_MOUNT)
    return task


def _head(build: Build, run_date: Any, replay_year: Any, warehouse_url: Any, window: Any, validate: Any) -> Any:
    """The day (the run_date parameter, else the scheduled slot), then its flights and the window's, validated and
    featurized; returns the day and the three tasks (called inside a pipeline)."""
    when = c.run_date_of(run_date=run_date, scheduled_time=build.schedule_time, replay_year=replay_year)
    day = _stage(build, "resolve the run date", when).output
    flights = _stage(build, "ingest flights", c.ingest(run_date=day, warehouse_url=warehouse_url, window=window))
    history, scoring = flights.outputs["history"], flights.outputs["scoring"]
    valid = _stage(
        build, "validate flights", c.validate(run_date=day, validate=validate, history=history, scoring=scoring),
        cache=True,
    )  # fmt: skip
    valid_history, valid_scoring = valid.outputs["valid_history"], valid.outputs["valid_scoring"]
    feats = _stage(
        build, "build features", c.features(run_date=day, valid_history=valid_history, valid_scoring=valid_scoring),
        cache=True,
    )  # fmt: skip
    return day, flights, valid, feats


def _tail(build: Build, day: Any, warehouse_url: Any, artifact_root: Any, valid: Any, feats: Any) -> Any:
    """Score the day with the champion, then monitor it; returns both tasks (called inside a pipeline)."""
    stores = {"run_date": day, "warehouse_url": warehouse_url, "artifact_root": artifact_root}
    features = feats.outputs["scoring_features"]
    scores = _stage(
        build, "score the day",
        c.predict(**stores, scoring_features=features, valid_scoring=valid.outputs["valid_scoring"]),
    )  # fmt: skip
    health = _stage(build, "monitor drift and outcomes", c.monitor(**stores, scoring_features=features).after(scores))
    return scores, health


def _report(task: Any) -> Any:
    """A task's JSON report (its return value, ``Output`` beside its artifacts)."""
    return task.outputs["Output"]


class DailyOutputs(NamedTuple):
    ingest_report: str
    validate_report: str
    features_report: str
    train_report: str
    evaluate_report: str
    promote_report: str
    predict_report: str
    monitor_report: str


class InferenceOutputs(NamedTuple):
    ingest_report: str
    validate_report: str
    features_report: str
    predict_report: str
    monitor_report: str


def build_daily_pipeline(build: Build) -> Any:
    """The ``daily`` pipeline, its parameters defaulting to ``build.defaults``."""
    groups = build.defaults.stage_groups()

    @dsl.pipeline(name="flight-delay-daily", description="Retrain, evaluate, promote, score and monitor one day.")
    def daily(
        run_date: str = "",
        replay_year: int = 0,
        code_version: str = "unknown",
        warehouse_url: str = "",
        artifact_root: str = CLUSTER_ARTIFACT_ROOT,
        window: dict = groups["window"],
        validate: dict = groups["validate"],
        train: dict = groups["train"],
        evaluate: dict = groups["evaluate"],
        promote: dict = groups["promote"],
    ) -> DailyOutputs:
        """1. resolve the day; 2. ingest it and the window before it (SQL); 3. validate (pandera, quarantine);
        4. features; 5. train and register the challenger; 6. evaluate it against the champion and a baseline;
        7. promote under the written policy; 8. score the day with the champion; 9. monitor.
        An empty run_date means the recurring run's scheduled day; an empty warehouse_url means the Secret's."""
        day, flights, valid, feats = _head(build, run_date, replay_year, warehouse_url, window, validate)
        history = feats.outputs["history_features"]
        challenger = _stage(
            build, "train challenger",
            c.train(
                run_date=day, window=window, train=train, artifact_root=artifact_root, code_version=code_version,
                image=build.images.image("train"), history_features=history,
            ),
        )  # fmt: skip
        version = challenger.outputs["model_version"]
        evaluation = _stage(
            build, "evaluate challenger",
            c.evaluate(
                run_date=day, window=window, evaluate=evaluate, artifact_root=artifact_root, model_version=version,
                history_features=history,
            ),
        )  # fmt: skip
        decision = _stage(
            build, "promote or keep champion",
            c.promote(run_date=day, promote=promote, artifact_root=artifact_root, model_version=version),
        ).after(evaluation)  # fmt: skip
        scores, health = _tail(build, day, warehouse_url, artifact_root, valid, feats)
        scores.after(decision)
        return DailyOutputs(
            ingest_report=_report(flights), validate_report=_report(valid), features_report=_report(feats),
            train_report=challenger.outputs["report"], evaluate_report=_report(evaluation),
            promote_report=_report(decision), predict_report=_report(scores), monitor_report=_report(health),
        )  # fmt: skip

    return daily


def build_inference_pipeline(build: Build) -> Any:
    """The ``inference`` pipeline, its parameters defaulting to ``build.defaults``."""
    groups = build.defaults.stage_groups()

    @dsl.pipeline(name="flight-delay-inference", description="Score one day with the current champion.")
    def inference(
        run_date: str = "",
        replay_year: int = 0,
        warehouse_url: str = "",
        artifact_root: str = CLUSTER_ARTIFACT_ROOT,
        window: dict = groups["window"],
        validate: dict = groups["validate"],
    ) -> InferenceOutputs:
        """1. resolve the day; 2. ingest it and the window before it; 3. validate; 4. features;
        5. score the day with the current champion; 6. monitor."""
        day, flights, valid, feats = _head(build, run_date, replay_year, warehouse_url, window, validate)
        scores, health = _tail(build, day, warehouse_url, artifact_root, valid, feats)
        return InferenceOutputs(
            ingest_report=_report(flights), validate_report=_report(valid), features_report=_report(feats),
            predict_report=_report(scores), monitor_report=_report(health),
        )  # fmt: skip

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
