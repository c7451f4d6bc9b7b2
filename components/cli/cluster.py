"""The cluster commands: ``submit``, ``schedule``, ``unschedule``, ``scheduled-run``, ``doctor``, and
``run``/``backfill --runner kfp``.

A thin layer over ``cluster/`` (the real ``kfp.Client``): compile the pipeline for the built images, upload it as a
version named after the code revision, then start, wait for or schedule runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import logging
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kfp import compiler

from components.cli.images import stage_images
from components.common.config import Settings, load_settings
from components.common.deployment import STAGES, WAREHOUSE_SECRET, code_version
from components.common.errors import PipelineError
from components.contracts import days_between, parse_run_date, resolve_run_date

PipelineBuilder = Callable[..., Any]


def cluster_arguments(parameters: dict[str, Any], replay_year: int) -> dict[str, Any]:
    """A cluster run's parameters: no warehouse URL (the Secret gives it) and no artifact root (the volume's)."""
    return {
        **{name: value for name, value in parameters.items() if name not in ("warehouse_url", "artifact_root")},
        "replay_year": replay_year,
    }


def _cluster_day(text: str | None, settings: Settings, replay_year: int) -> str:
    """The day a submitted run is for: ``--date`` (or ``today``, UTC), else the config's demo day."""
    if text == "today":
        return resolve_run_date("", dt.datetime.now(dt.UTC).isoformat(), replay_year)
    return resolve_run_date(text or settings.default_date.isoformat(), "", replay_year)


def _upload(session: Any, args: argparse.Namespace, settings: Settings, build_pipeline: PipelineBuilder) -> Any:
    """Compile the pipeline for the built images and upload it as a version named after the code revision (and the
    compiled spec's digest, so a rebuilt dirty tree never reuses a stale version)."""
    import cluster

    images = stage_images(args, settings, built=True, default_tag=code_version())
    if images.tag in ("latest", "unknown", ""):
        raise PipelineError(
            f"image tag '{images.tag}' does not name a code revision (KFP's cache ignores image digests): "
            "build with `make build` and pass IMAGE_TAG=<git sha>"
        )
    with tempfile.TemporaryDirectory(prefix="flight-delay-submit-") as scratch:
        package = Path(scratch) / f"{args.pipeline}.yaml"
        compiler.Compiler().compile(build_pipeline(args.pipeline, images, settings), str(package))
        digest = hashlib.sha256(package.read_bytes()).hexdigest()[:8]
        return cluster.upload_pipeline_version(
            session, package, f"flight-delay-{args.pipeline}", f"{images.tag}-{digest}"
        )


def _doctor(args: argparse.Namespace) -> int:
    import cluster
    from cluster.doctor import shown_uri

    images = stage_images(args, load_settings(args.config), built=True, default_tag=code_version())
    wanted = [images.image(stage) for stage in (*STAGES, "submit", "mlflow")]
    tracking_uri = args.tracking_uri
    problems = cluster.doctor(args.host, args.namespace, args.kind_cluster or None, wanted, tracking_uri=tracking_uri)
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    if problems:
        return 1
    where = f"on kind node {args.kind_cluster}-control-plane" if args.kind_cluster else "(not checked: no kind cluster)"
    print(
        f"ok: KFP at {args.host}, images {images.repo}/<stage>:{images.tag} {where}, Secret {WAREHOUSE_SECRET}, "
        f"MLflow at {shown_uri(tracking_uri)}"
    )
    return 0


def _unschedule(session: Any, args: argparse.Namespace) -> int:
    import cluster

    if cluster.unschedule(session, args.name, args.experiment):
        print(f"removed the recurring run '{args.name}'")
    else:
        print(f"no recurring run named '{args.name}' in experiment '{args.experiment}': nothing to remove")
    return 0


def _scheduled_run(session: Any, args: argparse.Namespace, log: logging.Logger) -> int:
    """The first run of the recurring run: its link, slot and run date on one line, then waited for like submit."""
    import cluster

    def progress(line: str) -> None:
        log.info("%s", line)

    run = cluster.wait_for_scheduled_run(session, args.name, args.experiment, args.start_timeout, progress=progress)
    url = cluster.run_url(session.host, run.run_id)
    print(f"recurring run '{args.name}' started {url}: scheduled at {run.scheduled_at}, run date {run.run_date}")
    print(f"run {cluster.wait_for_run(session, run.run_id, args.timeout, progress=progress)}: {url}")
    return 0


def _schedule(session: Any, args: argparse.Namespace, parameters: dict[str, Any], ref: Any) -> int:
    import cluster

    scheduled = cluster.schedule(
        session, args.name, ref.pipeline_id, args.experiment, args.cron, cluster_arguments(parameters, args.replay_year)
    )
    print(
        f"recurring run '{args.name}' {scheduled.action}: cron '{args.cron}' (UTC), one run at a time, no "
        f"catch-up, the latest version of flight-delay-{args.pipeline}, run date = the scheduled day"
        + (f" replayed in {args.replay_year}" if args.replay_year else "")
    )
    return 0


def _days(args: argparse.Namespace, settings: Settings) -> list[str]:
    if args.command == "submit":
        return [_cluster_day(args.date, settings, args.replay_year)]
    if args.command == "run":
        return [_cluster_day(args.date, settings, args.replay_year)]
    if args.command == "backfill":
        return [day.isoformat() for day in days_between(parse_run_date(args.start), parse_run_date(args.end))]
    return []


def cluster_main(
    args: argparse.Namespace, log: logging.Logger, build_pipeline: PipelineBuilder, parameters: Callable[..., Any]
) -> int:
    """Run one cluster command; ``parameters(name, settings, run_date)`` gives a run's parameters."""
    import cluster

    if args.command == "doctor":
        return _doctor(args)
    settings = load_settings(args.config) if hasattr(args, "config") else Settings()
    if args.command == "schedule":  # the flags, else the config's schedule; the cron checked before any upload
        args.name = args.name or settings.schedule.name
        args.cron = cluster.validate_cron(args.cron or settings.schedule.cron)
    days = _days(args, settings)  # bad dates fail before anything is contacted
    session = cluster.connect(args.host, args.namespace)
    if args.command == "unschedule":
        return _unschedule(session, args)
    if args.command == "scheduled-run":
        return _scheduled_run(session, args, log)
    skew = cluster.version_skew(cluster.SDK_VERSION, cluster.backend_version(session))
    if skew and args.command != "schedule":  # schedule refuses an old backend itself
        log.warning("%s", skew)
    ref = _upload(session, args, settings, build_pipeline)
    if args.command == "schedule":
        return _schedule(session, args, parameters(args.pipeline, settings, ""), ref)

    def arguments_for(day: str) -> dict[str, Any]:
        return cluster_arguments(parameters(args.pipeline, settings, day), 0)

    if args.command == "submit":
        run_id = cluster.submit_run(session, ref, args.experiment, f"{args.pipeline} {days[0]}", arguments_for(days[0]))
        print(f"submitted {args.pipeline} for {days[0]}: {cluster.run_url(session.host, run_id)}", flush=True)
        if args.wait:
            state = cluster.wait_for_run(session, run_id, args.timeout, progress=lambda line: log.info("%s", line))
            print(f"run {state}: {cluster.run_url(session.host, run_id)}")
        return 0
    cluster.backfill(
        session, ref, args.experiment, days, arguments_for,
        run_name_for=lambda day: f"{args.pipeline} {day}", timeout_s=args.timeout,
        progress=lambda line: log.info("%s", line),
    )  # fmt: skip
    return 0
