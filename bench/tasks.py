"""Work run in a child process, so each measurement has its own process, start-up and peak RSS.

``python -m bench.tasks TASK JSON`` prints one JSON line: the task's result, with ``seconds`` (work only, after
imports) and ``peak_rss_mb`` (the process's high-water mark; for several stages in one process, per stage, by
resetting the mark through ``/proc/self/clear_refs`` between stages).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from components.common.deployment import STAGES


def peak_rss_mb() -> float:
    """This process's peak resident set size since start (or the last reset), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> None:
    """Reset the peak-RSS mark (Linux >= 4.0); harmless where unsupported."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def paths(folder: Path) -> dict[str, Path]:
    """Every artifact of one run, by name, under ``folder``."""
    names = (
        "history",
        "scoring",
        "valid_history",
        "valid_scoring",
        "quarantine",
        "history_features",
        "scoring_features",
        "predictions",
        "drift",
    )
    files = {name: folder / f"{name}.parquet" for name in names}
    return {**files, "report": folder / "report.html", "artifact_root": folder / "artifacts"}


def stage_request(stage: str, job: dict[str, Any], state: dict[str, Any]) -> Any:
    """The stage's typed request for the job: every artifact by its name in the job's folder, the settings groups
    (defaults, or the job's), the warehouse and the challenger's version (from an earlier train, else the job's)."""
    from components.cli.inprocess import request_for, stage_values
    from components.common.config import Settings

    folder = Path(job["folder"])
    settings = Settings.model_validate(job.get("settings", {})).with_overrides(
        warehouse_url=job["warehouse_url"], artifact_root=str(paths(folder)["artifact_root"])
    )
    version = state.get("model_version") or job.get("model_version", "")
    return request_for(
        stage, stage_values(folder, settings, job["run_date"], model_version=version, code_version="bench")
    )


def stage_call(stage: str, job: dict[str, Any], state: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """Import a stage's shell and return a call of its ``run`` for the job (what its KFP component does)."""
    from components.common.stage import stage_module

    run = stage_module(stage).run

    def call() -> dict[str, Any]:
        report: dict[str, Any] = run(stage_request(stage, job, state)).model_dump(mode="json")
        return report

    return call


def task_stage(job: dict[str, Any]) -> dict[str, Any]:
    """One stage, as its component runs it: import the shell, then the work."""
    started = time.perf_counter()
    call = stage_call(job["stage"], job, {})
    imported = time.perf_counter()
    report = call()
    return {"import_seconds": imported - started, "seconds": time.perf_counter() - imported, "report": report}


def task_daily_inprocess(job: dict[str, Any]) -> dict[str, Any]:
    """The whole daily run in this one process (the notebook's way): each stage's shell, in order."""
    started = time.perf_counter()
    calls = {}
    state: dict[str, Any] = {}
    for stage in STAGES:
        calls[stage] = stage_call(stage, job, state)
    import_seconds = time.perf_counter() - started
    stages: dict[str, Any] = {}
    for stage in STAGES:
        reset_peak_rss()
        began = time.perf_counter()
        report = calls[stage]()
        stages[stage] = {"seconds": time.perf_counter() - began, "peak_rss_mb": peak_rss_mb()}
        if stage == "train":
            state["model_version"] = report["model_version"]
        if stage == "evaluate":
            stages[stage]["roc_auc"] = report["metrics"]["challenger"]["roc_auc"]
    return {"import_seconds": import_seconds, "seconds": time.perf_counter() - started, "stages": stages}


def task_daily_kfp(job: dict[str, Any]) -> dict[str, Any]:
    """The daily run on the local KFP runner, each stage process sampled for its peak RSS."""
    import threading

    import psutil

    import pipeline
    from components.cli import pipeline_parameters
    from components.cli.local import run_once
    from components.common.config import Settings
    from components.common.deployment import StageImages

    settings = Settings.model_validate(job.get("settings", {})).with_overrides(
        warehouse_url=job["warehouse_url"], artifact_root=str(paths(Path(job["folder"]))["artifact_root"])
    )
    from components.cli import open_tracking_store
    from components.common.tracking import local_tracking_uri

    settings = settings.with_overrides(tracking_uri=local_tracking_uri(Path(settings.artifact_root)))
    daily = pipeline.build_pipeline("daily", StageImages("bench", "bench"), settings, on_cluster=False)
    open_tracking_store(settings)
    values = {"warehouse_url": settings.warehouse_url, "tracking_uri": settings.tracking_uri, "code_version": "bench"}
    parameters = pipeline_parameters(daily, settings, run_date=job["run_date"], **values)
    seen: dict[int, dict[str, Any]] = {}
    done = threading.Event()
    me = psutil.Process()

    def sample() -> None:
        while not done.is_set():
            now = time.perf_counter()
            for child in me.children(recursive=True):
                try:
                    record = seen.get(child.pid)
                    if record is None:
                        argv = child.cmdline()
                        if "--function_to_execute" not in argv:
                            continue
                        name = argv[argv.index("--function_to_execute") + 1]
                        record = seen[child.pid] = {"stage": name, "first": now, "rss": 0.0}
                    record["rss"] = max(record["rss"], child.memory_info().rss / 2**20)
                    record["last"] = now
                except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError, IndexError):
                    continue
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    started = time.perf_counter()
    sampler.start()
    try:
        run_once(daily, parameters, settings, job["run_date"], echo="none")
    finally:
        done.set()
        sampler.join()
    total = time.perf_counter() - started
    stages: dict[str, Any] = {}
    for record in seen.values():
        entry = stages.setdefault(record["stage"], {"seconds": 0.0, "peak_rss_mb": 0.0})
        entry["seconds"] = max(entry["seconds"], record.get("last", record["first"]) - record["first"])
        entry["peak_rss_mb"] = max(entry["peak_rss_mb"], record["rss"])
    return {"seconds": total, "stages": stages, "sampling": "psutil every 50 ms (stage processes of KFP)"}


def _load_model(job: dict[str, Any]) -> Any:
    from components.common import registry, tracking

    uri = tracking.local_tracking_uri(Path(job["artifact_root"]))
    return registry.load_model(uri, registry.version(uri, job["model_version"]))


def task_score_stream(job: dict[str, Any]) -> dict[str, Any]:
    """The predict stage's scoring path: record batches in, predictions appended batch by batch."""
    from components.predict.shell import score_to_parquet

    model = _load_model(job)
    started = time.perf_counter()
    result = score_to_parquet(
        model,
        Path(job["features"]),
        Path(job["flights"]),
        Path(job["out"]),
        dt.date.fromisoformat(job["run_date"]),
        job["model_version"],
    )
    return {"seconds": time.perf_counter() - started, "rows": result["predictions"]}


def task_score_all(job: dict[str, Any]) -> dict[str, Any]:
    """The baseline: the same work all at once (the predict stage before streaming): whole frames, one call."""
    import pyarrow as pa

    from components.common.artifacts import read_frame, write_table
    from components.predict.core import score_flights
    from components.schemas import FeatureFrame, Predictions, ScoringFlights

    model = _load_model(job)
    started = time.perf_counter()
    features = read_frame(Path(job["features"]), "scoring features", FeatureFrame)
    flights = read_frame(Path(job["flights"]), "validated scoring set", ScoringFlights)
    day = dt.date.fromisoformat(job["run_date"])
    predictions = Predictions.validate(score_flights(model, features, flights, day, job["model_version"]), lazy=True)
    write_table(pa.Table.from_pandas(predictions, preserve_index=False), Path(job["out"]))
    return {"seconds": time.perf_counter() - started, "rows": len(predictions)}


def task_ingest_pandas(job: dict[str, Any]) -> dict[str, Any]:
    """The baseline: ``pandas.read_sql`` of the same query (DuckDB's own DBAPI connection, or SQLAlchemy + psycopg)."""
    import re

    import pandas as pd

    from components.common.warehouse.sql import read_sql
    from components.common.warehouse.url import parse_warehouse_url

    sql = read_sql("flights_between")
    from components.common.config import WindowSettings
    from components.ingest.core import flights_params

    day = dt.date.fromisoformat
    params = flights_params(day(job["start"]), day(job["end"]), WindowSettings())
    started = time.perf_counter()
    if job["warehouse_url"].startswith("duckdb:"):
        import duckdb

        path = parse_warehouse_url(job["warehouse_url"]).path
        with duckdb.connect(str(path), read_only=True) as connection:
            connection.execute("SET TimeZone = 'UTC'")
            frame = pd.read_sql(sql, connection, params=params)  # type: ignore[call-overload]
    else:
        import sqlalchemy

        engine = sqlalchemy.create_engine(job["warehouse_url"].replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as connection:
            frame = pd.read_sql(sqlalchemy.text(re.sub(r"\$(\w+)", r":\1", sql)), connection, params=params)
        engine.dispose()
    return {"seconds": time.perf_counter() - started, "rows": len(frame)}


def _days(job: dict[str, Any]) -> list[str]:
    first = dt.date.fromisoformat(job["start"])
    return [(first + dt.timedelta(days=offset)).isoformat() for offset in range(job["days"])]


def task_replay(job: dict[str, Any]) -> dict[str, Any]:
    """``pipeline.py replay`` over the job's days on a fresh artifact root: the seconds of each day (its ledger)."""
    import pipeline

    root = Path(job["folder"]) / "artifacts"
    days = _days(job)
    argv = ["--quiet", "replay", "--start", days[0], "--end", days[-1], "--warehouse-url", job["warehouse_url"]]
    started = time.perf_counter()
    if pipeline.main([*argv, "--artifact-root", str(root)]) != 0:
        raise RuntimeError("replay failed")
    ledger = json.loads((root / "replay" / "ledger.json").read_text())
    return {"seconds": time.perf_counter() - started, "day_seconds": [ledger["days"][d]["seconds"] for d in days]}


def task_plain_days(job: dict[str, Any]) -> dict[str, Any]:
    """The same days' work as one plain Python script: each day's eight stage shells in order, on one store."""
    from components.cli import open_tracking_store
    from components.cli.inprocess import run_stages, stage_values
    from components.common.config import Settings
    from components.common.tracking import local_tracking_uri

    root = Path(job["folder"]) / "artifacts"
    settings = Settings().with_overrides(warehouse_url=job["warehouse_url"], artifact_root=str(root))
    settings = settings.with_overrides(tracking_uri=local_tracking_uri(root))
    open_tracking_store(settings)
    started, seconds = time.perf_counter(), []
    for day in _days(job):
        began = time.perf_counter()
        folder = Path(job["folder"]) / day
        folder.mkdir(parents=True)
        run_stages(STAGES, stage_values(folder, settings, day, code_version="bench"))
        seconds.append(time.perf_counter() - began)
    return {"seconds": time.perf_counter() - started, "day_seconds": seconds}


TASKS = {
    "replay": task_replay,
    "plain_days": task_plain_days,
    "stage": task_stage,
    "daily_inprocess": task_daily_inprocess,
    "daily_kfp": task_daily_kfp,
    "score_stream": task_score_stream,
    "score_all": task_score_all,
    "ingest_pandas": task_ingest_pandas,
}


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.tasks TASK JSON``: run one task, print its result as the last line of stdout."""
    args = sys.argv[1:] if argv is None else argv
    task, job = args[0], json.loads(args[1])
    result = TASKS[task](job)
    result.setdefault("peak_rss_mb", peak_rss_mb())
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
