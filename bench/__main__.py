"""``python -m bench [--smoke] [--out PATH]``: measure, print a table, write JSON records.

Every measurement runs in its own child process (``bench/tasks.py``), so it has its own start-up and peak RSS;
project path and baseline run side by side in the same invocation, and the table reports medians of
``--repeat`` runs. Ratios are what count on a noisy 2-core machine, not absolute seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import data
from bench.tasks import STAGES, paths

Record = dict[str, Any]
OUTCOME_COLUMNS = ("dep_time", "dep_delay", "arr_time", "arr_delay", "air_time", "disrupted")
DEMO_DATE = "2013-06-15"
YEAR_END = "2013-12-31"


class Bench:
    """Runs child tasks, collects records, prints the table."""

    def __init__(self, repeat: int, smoke: bool, out: Path | None = None) -> None:
        self.repeat, self.smoke, self.out = repeat, smoke, out
        self.records: list[Record] = []
        self.skipped: list[str] = []

    # --- running -----------------------------------------------------------------------------

    def child(self, task: str, job: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
        """Run one task in a fresh process; its result plus ``wall_seconds``."""
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-m", "bench.tasks", task, json.dumps(job, default=str)],
                stdout=out,
                stderr=err,
                env={**os.environ, **(env or {})},
            )
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            wall = time.perf_counter() - started
            out.seek(0)
            err.seek(0)
            lines = out.read().strip().splitlines()
            if process.returncode != 0 or not lines:
                tail = err.read().strip().splitlines()[-5:]
                raise RuntimeError(f"bench task {task} failed ({process.returncode}): " + " | ".join(tail))
        result: dict[str, Any] = json.loads(lines[-1])
        result["wall_seconds"] = wall
        result["peak_rss_mb"] = usage.ru_maxrss / 1024
        return result

    def repeated(
        self, task: str, make_job: Callable[[int], dict[str, Any]], times: int | None = None
    ) -> list[dict[str, Any]]:
        """The task ``times`` times (default ``--repeat``), each with its own job."""
        return [self.child(task, make_job(rep)) for rep in range(times or self.repeat)]

    def add(
        self,
        name: str,
        value: float | None,
        unit: str,
        baseline: float | None = None,
        peak_rss_mb: float | None = None,
        *,
        higher_is_better: bool = False,
        **extra: Any,
    ) -> None:
        """One measurement; ``ratio`` is always ``value / baseline`` (``higher_is_better`` says which way is good)."""
        ratio = (value / baseline) if value is not None and baseline else None
        record = {
            "name": name,
            "value": _round(value),
            "unit": unit,
            "baseline": _round(baseline),
            "ratio": _round(ratio),
            "peak_rss_mb": _round(peak_rss_mb),
            "higher_is_better": higher_is_better,
            **{key: _round(v) if isinstance(v, float) else v for key, v in extra.items()},
        }
        self.records.append(record)
        print(_row(record), flush=True)
        self.save()

    def save(self, **extra: Any) -> None:
        """Write the records so far (a long run that is stopped still leaves its measurements)."""
        if self.out is None:
            return
        document = {
            "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "mode": "smoke" if self.smoke else "full",
            "repetitions": self.repeat,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "synthetic_note": "scales above 1x and replicated scoring rows are SYNTHETIC (benchmarks only)",
            "skipped": self.skipped,
            **extra,
            "records": self.records,
        }
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.out.write_text(json.dumps(document, indent=2) + "\n")

    def skip(self, what: str, reason: str) -> None:
        """A measurement that could not run here, with why."""
        self.skipped.append(f"{what}: {reason}")
        self.records.append(
            {
                "name": what,
                "value": None,
                "unit": "skipped",
                "baseline": None,
                "ratio": None,
                "peak_rss_mb": None,
                "skipped": reason,
            }
        )
        print(f"  SKIPPED {what}: {reason}", flush=True)
        self.save()


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4 if abs(value) < 10 else 1)
    return value


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


HEADER = f"{'measurement':<66} {'value':>10} {'unit':<7} {'baseline':>10} {'ratio':>7} {'peak MB':>8}"


def _row(record: Record) -> str:
    return (
        f"{record['name'][:66]:<66} {_fmt(record['value']):>10} {record['unit'][:7]:<7} "
        f"{_fmt(record['baseline']):>10} {_fmt(record['ratio']):>7} {_fmt(record['peak_rss_mb']):>8}"
    )


def median(values: list[float]) -> float:
    """The median of some repetitions."""
    return float(statistics.median(values))


def _fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _day_before(day: str, days: int) -> str:
    return str(dt.date.fromisoformat(day) - dt.timedelta(days=days))


# --- measurements ------------------------------------------------------------------------------


def measure_startup(bench: Bench, reps: int) -> dict[str, float]:
    """(6) Each stage's start-up: KFP's executor plus the stage's imports, in a fresh interpreter, warm."""
    env = {**os.environ, "_KFP_RUNTIME": "true"}  # what KFP's component command sets

    def timed(code: str, command: list[str] | None = None) -> float:
        runs = []
        for _ in range(reps):
            started = time.perf_counter()
            subprocess.run(command or [sys.executable, "-c", code], check=True, env=env, capture_output=True)
            runs.append(time.perf_counter() - started)
        return median(runs)

    bare = timed("pass")
    startup: dict[str, float] = {}
    for stage in STAGES:
        code = f"import kfp.dsl.executor_main, components.common.stage, components.{stage}.shell"
        startup[stage] = timed(code)
        bench.add(
            f"start-up {stage}: executor + imports (local, warm)",
            startup[stage],
            "s",
            bare,
            None,
            target="<= 1.5 s",
            interpreter_seconds=bare,
        )
    _startup_in_images(bench, reps)
    return startup


TRACKED_STAGES = ("train", "evaluate", "promote", "predict", "monitor")


def measure_tracking_startup(bench: Bench, reps: int) -> None:
    """(6b) What MLflow adds to a stage's start-up: its imports plus opening an existing SQLite store, measured
    beside the same stage's start-up without them (the baseline), in fresh interpreters, interleaved."""
    from components.common import tracking

    store = _fresh(data.BENCH_DIR / "tracking") / "mlflow" / "mlflow.db"
    uri = f"sqlite:///{store}"
    tracking.ensure_experiment(uri)  # an existing store, as every run after the first one finds it
    env = {**os.environ, "_KFP_RUNTIME": "true"}
    for stage in TRACKED_STAGES:
        plain = f"import kfp.dsl.executor_main, components.common.stage, components.{stage}.shell"
        tracked = f"{plain}\nfrom components.common import tracking\ntracking.ensure_experiment({uri!r})"
        times: dict[str, list[float]] = {plain: [], tracked: []}
        for _ in range(reps):
            for code, into in times.items():
                started = time.perf_counter()
                subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)
                into.append(time.perf_counter() - started)
        bench.add(
            f"start-up {stage} + MLflow client and store (local, warm)",
            median(times[tracked]),
            "s",
            median(times[plain]),
            None,
            note="baseline: the same stage's start-up without MLflow; the difference is what MLflow adds",
        )


def startup_from_chain(bench: Bench, chain: dict[str, dict[str, Any]]) -> dict[str, float]:
    """(6), cheaply: each stage's imports as timed inside its chain process, plus KFP's executor start-up."""
    env = {**os.environ, "_KFP_RUNTIME": "true"}
    started = time.perf_counter()
    code = "import kfp.dsl.executor_main, components.common.stage"
    subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)
    base = time.perf_counter() - started
    startup = {}
    for stage, result in chain.items():
        startup[stage] = base + result["import_seconds"]
        bench.add(
            f"start-up {stage}: executor + imports (local, warm)",
            startup[stage],
            "s",
            base,
            None,
            target="<= 1.5 s",
            note="baseline: interpreter + KFP executor alone",
        )
    _startup_in_images(bench, 1, ("ingest",))  # one image keeps the smoke run short
    return startup


def _startup_in_images(bench: Bench, reps: int, stages: tuple[str, ...] = STAGES) -> None:
    repo, tag = os.environ.get("IMAGE_REPO", "flight-delay"), os.environ.get("IMAGE_TAG", "dev")
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "info"], check=False, capture_output=True).returncode != 0:
        bench.skip("start-up in images", "no Docker engine reachable (docker info failed)")
        return
    for stage in stages:
        image = f"{repo}/{stage}:{tag}"
        if subprocess.run([docker, "image", "inspect", image], check=False, capture_output=True).returncode != 0:
            bench.skip(f"start-up {stage} in {image}", "image not built here (make build)")
            continue
        code = f"import kfp.dsl.executor_main, components.common.stage, components.{stage}.shell"
        runs: list[float] = []
        bare: list[float] = []
        for _ in range(reps):
            for command, into in ((code, runs), ("pass", bare)):
                started = time.perf_counter()
                subprocess.run(
                    [docker, "run", "--rm", "-e", "_KFP_RUNTIME=true", "--entrypoint", "python3", image, "-c", command],
                    check=True,
                    capture_output=True,
                )
                into.append(time.perf_counter() - started)
        bench.add(
            f"start-up {stage} in its image (docker run, warm)",
            median(runs),
            "s",
            median(bare),
            None,
            target="<= 1.5 s",
            note="baseline: docker run of `python3 -c pass` in the same image",
        )


def measure_daily(bench: Bench, startup: dict[str, float]) -> None:
    """(1) Warm daily run on the local KFP runner vs the same shells in one process."""
    url = data.warehouse_url(1)
    root = data.BENCH_DIR / "runs"
    kfp_runs, one_runs = [], []
    for rep in range(bench.repeat):  # interleaved: both see the same machine load
        job = {"warehouse_url": url, "run_date": DEMO_DATE}
        kfp_runs.append(bench.child("daily_kfp", {**job, "folder": str(_fresh(root / f"kfp-{rep}"))}))
        one_runs.append(bench.child("daily_inprocess", {**job, "folder": str(_fresh(root / f"one-{rep}"))}))
    kfp_total = median([r["wall_seconds"] for r in kfp_runs])
    one_total = median([r["wall_seconds"] for r in one_runs])
    bench.add(
        f"daily run {DEMO_DATE}: local KFP runner vs one process [1x real]",
        kfp_total,
        "s",
        one_total,
        max(max(s["peak_rss_mb"] for s in r["stages"].values()) for r in kfp_runs),
        target="ratio <= 2",
        one_process_imports_seconds=median([r["import_seconds"] for r in one_runs]),
    )
    for stage in STAGES:
        kfp_stage = median([r["stages"].get(stage, {}).get("seconds", 0.0) for r in kfp_runs])
        one_stage = median([r["stages"][stage]["seconds"] for r in one_runs])
        bench.add(
            f"  daily stage {stage}: KFP process vs in-process work",
            kfp_stage,
            "s",
            one_stage,
            median([r["stages"].get(stage, {}).get("peak_rss_mb", 0.0) for r in kfp_runs]),
            startup_seconds=startup.get(stage),
            one_process_peak_rss_mb=median([r["stages"][stage]["peak_rss_mb"] for r in one_runs]),
        )
    auc = median([r["stages"]["evaluate"]["roc_auc"] for r in one_runs])
    bench.add(
        f"train default 90-day window {DEMO_DATE}: challenger ROC AUC [1x real]",
        auc,
        "auc",
        higher_is_better=True,
        train_seconds=median([r["stages"]["train"]["seconds"] for r in one_runs]),
    )


def measure_replay(bench: Bench, days: int) -> None:
    """(1b) ``replay`` per day vs the same days' work as one plain script (the stages' shells in a loop), side by
    side, alternating which goes first. The first day of each is left out: it pays the imports and a new store."""
    url = data.warehouse_url(1)
    root = data.BENCH_DIR / "replay"
    job = {"warehouse_url": url, "start": _day_before(DEMO_DATE, 1), "days": days + 1}
    replays, plains = [], []
    for rep in range(bench.repeat):
        order = ("replay", "plain_days") if rep % 2 == 0 else ("plain_days", "replay")
        for task in order:
            result = bench.child(task, {**job, "folder": str(_fresh(root / f"{task}-{rep}"))})
            (replays if task == "replay" else plains).append(result)
    per_day = median([s for r in replays for s in r["day_seconds"][1:]])
    plain = median([s for r in plains for s in r["day_seconds"][1:]])
    bench.add(
        f"replay seconds per day vs one plain script, {days} days from {DEMO_DATE} [1x real]",
        per_day,
        "s",
        plain,
        max(r["peak_rss_mb"] for r in replays),
        target="ratio <= 1.2; peak <= 2 GB; 2013 (275 days) <= 30 min",
        projected_2013_minutes=per_day * 275 / 60,
        plain_peak_rss_mb=max(r["peak_rss_mb"] for r in plains),
    )


def run_chain(
    bench: Bench,
    scale: int,
    run_date: str,
    window: int,
    stages: tuple[str, ...],
    folder: Path,
    url: str | None = None,
    tag: str = "",
) -> dict[str, dict[str, Any]]:
    """The stages of a daily run one after another, each in its own process, measured once."""
    _fresh(folder)
    where = f"[{data.label(scale)}, {window}-day window to {run_date}{tag}]"
    job = {
        "warehouse_url": url or data.warehouse_url(scale),
        "run_date": run_date,
        "settings": {"window": {"window_days": window}},
        "folder": str(folder),
    }
    results: dict[str, dict[str, Any]] = {}
    for stage in stages:
        if stage in ("evaluate", "promote"):
            job["model_version"] = results["train"]["report"]["model_version"]
        try:
            result = bench.child("stage", {**job, "stage": stage})
        except RuntimeError as failure:  # a long run goes on; the failure is a record, and the chain stops here
            bench.skip(f"{stage} {where}", str(failure))
            break
        results[stage] = result
        report = result["report"]
        peak = result["peak_rss_mb"]
        if stage == "ingest":
            rows = report["history_rows"]
            bench.add(
                f"ingest {where}",
                rows / result["seconds"],
                "rows/s",
                None,
                peak,
                higher_is_better=True,
                rows=rows,
                seconds=result["seconds"],
                target="peak <= 1.5 GB",
            )
        elif stage == "validate":
            rows = report.get("history_rows") or results["ingest"]["report"]["history_rows"]
            bench.add(
                f"validate {where}",
                rows / result["seconds"],
                "rows/s",
                None,
                peak,
                higher_is_better=True,
                rows=rows,
                seconds=result["seconds"],
            )
        elif stage == "evaluate":
            auc = report["metrics"]["challenger"]["roc_auc"]
            bench.add(
                f"evaluate {where}: challenger ROC AUC",
                auc,
                "auc",
                None,
                peak,
                higher_is_better=True,
                seconds=result["seconds"],
                holdout_rows=report["holdout_rows"],
                baseline_auc=report["metrics"]["baseline"]["roc_auc"],
            )
        else:
            extra = {"train_rows": report["train_rows"]} if stage == "train" else {}
            bench.add(f"{stage} {where}", result["seconds"], "s", None, peak, target="peak <= 4 GB", **extra)
    return results


def measure_ingest_baseline(
    bench: Bench,
    scale: int,
    run_date: str,
    window: int,
    project: dict[str, Any],
    url: str | None = None,
    backend: str = "duckdb",
) -> None:
    """(2) The project's ingest (already measured in the chain) against ``pandas.read_sql`` of the same query."""
    job = {"warehouse_url": url or data.warehouse_url(scale), "start": _day_before(run_date, window), "end": run_date}
    runs = bench.repeated("ingest_pandas", lambda _rep: job, times=1 if window > 400 else None)
    rows = runs[0]["rows"]
    pandas_rate = rows / median([r["seconds"] for r in runs])
    project_rate = project["report"]["history_rows"] / project["seconds"]
    bench.add(
        f"ingest {window}-day window ({backend}) vs pandas.read_sql [{data.label(scale)}]",
        project_rate,
        "rows/s",
        pandas_rate,
        project["peak_rss_mb"],
        higher_is_better=True,
        target="ratio >= 5",
        baseline_peak_rss_mb=max(r["peak_rss_mb"] for r in runs),
        rows=rows,
        note="project: both queries + parquet writes; baseline: pandas.read_sql of the history query alone",
    )


def measure_postgres(bench: Bench, scales: list[int]) -> None:
    """(2) on PostgreSQL: a throwaway server loaded from the benchmark warehouses."""
    try:
        from components.common.warehouse.url import parse_warehouse_url

        parse_warehouse_url("postgresql://bench@127.0.0.1:5432/bench")
        from tests.support.postgres import PostgresServer
    except Exception as missing:  # any reason the PostgreSQL path is not there yet
        bench.skip("ingest on PostgreSQL", f"PostgreSQL support not available in this checkout ({missing})")
        return
    try:
        server = PostgresServer()
    except RuntimeError as missing:  # the helper's "server binaries / user missing" error
        bench.skip("ingest on PostgreSQL", str(missing))
        return
    with server:
        for scale in scales:
            url = server.create_database(f"bench{scale}x")
            _load_postgres(url, scale)
            for run_date, window in ((DEMO_DATE, 90), (YEAR_END, 3650)) if scale > 1 else ((DEMO_DATE, 90),):
                if scale > 1 and window == 90:
                    continue
                folder = data.BENCH_DIR / "chains" / f"pg-{scale}x-{window}"
                chain = run_chain(bench, scale, run_date, window, ("ingest",), folder, url, tag=", postgresql")
                if "ingest" in chain:
                    measure_ingest_baseline(bench, scale, run_date, window, chain["ingest"], url, "postgresql")


def _load_postgres(url: str, scale: int) -> None:
    """Seed through the project's own seed, then (for synthetic scales) replace flights and weather."""
    import duckdb
    from adbc_driver_postgresql import dbapi  # type: ignore[import-untyped]

    from components.common import warehouse

    warehouse.seed_warehouse(url)
    if scale == 1:
        return
    with dbapi.connect(url) as connection, duckdb.connect(str(data.warehouse_path(scale)), read_only=True) as source:
        for table in ("flights", "weather"):
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT * FROM {table} LIMIT 0")
                schema = cursor.fetch_arrow_table().schema
                cursor.execute(f"TRUNCATE {table}")
                reader = source.sql(f"SELECT {', '.join(schema.names)} FROM {table}").to_arrow_reader(131_072)
                import pyarrow as pa

                target = pa.schema([field.remove_metadata() for field in schema])
                batches = (batch.cast(target) for batch in reader)
                cursor.adbc_ingest(table, pa.RecordBatchReader.from_batches(target, batches), mode="append")
        connection.commit()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        connection.commit()


def scoring_inputs(chain_folder: Path, copies: int) -> tuple[Path, Path]:
    """Scoring features and flights of ``copies`` copies of a chain's history (SYNTHETIC when copies > 1)."""
    p = paths(chain_folder)
    target = data.BENCH_DIR / "scoring"
    suffix = f"{chain_folder.name}-real" if copies == 1 else f"{chain_folder.name}-SYNTHETIC-{copies}copies"
    features = data.replicate(p["history_features"], target / f"features-{suffix}.parquet", copies, ("disrupted",))
    featured = data.featured_flights(p["valid_history"], p["history_features"], target / f"flights-{chain_folder.name}")
    flights = data.replicate(featured, target / f"flights-{suffix}.parquet", copies, OUTCOME_COLUMNS)
    return features, flights


def measure_scoring(bench: Bench, chain_folder: Path, model_version: str, copies: list[int]) -> None:
    """(5) Scoring: the predict stage's streamed path vs everything at once, at growing row counts."""
    for count in copies:
        features, flights = scoring_inputs(chain_folder, count)
        import pyarrow.parquet as pq

        rows = pq.ParquetFile(features).metadata.num_rows
        job = {
            "artifact_root": str(paths(chain_folder)["artifact_root"]),
            "model_version": model_version,
            "features": str(features),
            "flights": str(flights),
            "run_date": YEAR_END,
        }
        out = data.BENCH_DIR / "scoring"
        stream, whole = [], []
        for _ in range(1 if rows > 1_000_000 else bench.repeat):  # interleaved: both see the same machine load
            stream.append(bench.child("score_stream", {**job, "out": str(out / "predictions-stream.parquet")}))
            whole.append(bench.child("score_all", {**job, "out": str(out / "predictions-all.parquet")}))
        label = "real" if count == 1 else "SYNTHETIC"
        stream_rate = rows / median([r["seconds"] for r in stream])
        whole_rate = rows / median([r["seconds"] for r in whole])
        bench.add(
            f"score {rows / 1e6:.2f}M rows: streamed batches vs all at once [{label}]",
            stream_rate,
            "rows/s",
            whole_rate,
            median([r["peak_rss_mb"] for r in stream]),
            higher_is_better=True,
            rows=rows,
            baseline_peak_rss_mb=median([r["peak_rss_mb"] for r in whole]),
            target="peak <= 1 GB, ratio >= 1, flat in rows",
        )


def measure_runs(bench: Bench, startup: dict[str, float], smoke: bool, skip: set[str]) -> None:
    """The whole-pipeline sections: a daily run, and replay per day."""
    if "daily" not in skip:
        measure_daily(bench, startup)
    if "replay" not in skip:
        measure_replay(bench, 2 if smoke else 7)


def measure_all(bench: Bench, smoke: bool, scales: list[int], skip: set[str]) -> None:
    """Every section, in order; ``skip`` names sections to leave out."""
    repeat = bench.repeat
    chains = data.BENCH_DIR / "chains"
    if smoke:
        # One chain of the demo day's 90-day window through all eight stages, each in its own process: ingest and
        # validation rates, per-stage peaks, each stage's start-up (its imports), and the model scoring uses.
        year_folder = chains / "1x-90-chain"
        year_chain = run_chain(bench, 1, DEMO_DATE, 90, STAGES, year_folder)
        if "ingest" in year_chain:
            measure_ingest_baseline(bench, 1, DEMO_DATE, 90, year_chain["ingest"])
        startup = startup_from_chain(bench, year_chain)
        measure_tracking_startup(bench, 1)
    else:
        startup = measure_startup(bench, repeat) if "startup" not in skip else {}
        if "startup" not in skip:
            measure_tracking_startup(bench, repeat)
        if "ingest" not in skip:
            chain = run_chain(bench, 1, DEMO_DATE, 90, ("ingest",), chains / "1x-90")
            if "ingest" in chain:
                measure_ingest_baseline(bench, 1, DEMO_DATE, 90, chain["ingest"])
        year_folder = chains / "1x-364"
        year_stages = ("ingest", "validate", "features", "train", "evaluate")
        year_chain = run_chain(bench, 1, YEAR_END, 364, year_stages, year_folder) if "year" not in skip else {}
    measure_runs(bench, startup, smoke, skip)
    if "chains" not in skip and 10 in scales:
        for window in (90, 365, 3650):
            chain = run_chain(bench, 10, YEAR_END, window, STAGES, chains / f"10x-{window}")
            if window == 3650 and "ingest" not in skip and "ingest" in chain:
                measure_ingest_baseline(bench, 10, YEAR_END, window, chain["ingest"])
    if "postgres" not in skip and not smoke:  # the smoke run stays under 2 min; PostgreSQL has its own tests
        measure_postgres(bench, [1, *[s for s in scales if s == 10]])
    if "scoring" not in skip:
        version = year_chain["train"]["report"]["model_version"] if "train" in year_chain else None
        measure_scoring_of(bench, year_folder, version or _cached_model(year_folder), [1] if smoke else [1, 10, 30])


def measure_scoring_of(bench: Bench, chain_folder: Path, version: str | None, copies: list[int]) -> None:
    """(5) with the model a chain trained (or one an earlier run of it left)."""
    if version is None:
        bench.skip("score", f"no model in {chain_folder}: run without --skip year")
    else:
        measure_scoring(bench, chain_folder, version, copies)


def _cached_model(chain_folder: Path) -> str | None:
    """The model an earlier run of a chain registered (``--skip year`` reuses it)."""
    from components.common import registry, tracking

    store = paths(chain_folder)["artifact_root"] / "mlflow" / "mlflow.db"
    if not store.is_file():
        return None
    serving = registry.champion(tracking.local_tracking_uri(paths(chain_folder)["artifact_root"]))
    return str(serving.version) if serving is not None else None


def main(argv: list[str] | None = None) -> int:
    """Build the benchmark data, run the measurements, print the table, write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--smoke", action="store_true", help="1x real data only, one repetition, no PostgreSQL (< 2 min)"
    )
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("BENCH_OUT", "build/bench.json")))
    parser.add_argument("--repeat", type=int, default=None, help="repetitions per measurement (default 3; smoke 1)")
    parser.add_argument("--scales", default=None, help="comma-separated synthetic scales (default 10; smoke none)")
    parser.add_argument(
        "--skip", default="", help="comma-separated sections to skip: startup,ingest,year,daily,chains,postgres,scoring"
    )
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if args.smoke else 3)
    scales = [] if args.smoke else [int(s) for s in (args.scales or "10").split(",") if s]
    skip = set(filter(None, args.skip.split(",")))
    bench = Bench(repeat, args.smoke, args.out)
    started = time.perf_counter()
    print(
        f"benchmark ({'smoke' if args.smoke else 'full'}): {repeat} repetition(s), medians; SYNTHETIC = "
        "2013 shifted by whole years with seeded noise (benchmarks only)"
    )
    for scale in [1, *scales]:
        built = time.perf_counter()
        data.build_warehouse(scale)
        print(
            f"  warehouse {data.label(scale)}: {data.flight_count(scale):,} flights "
            f"({data.warehouse_path(scale)}, {time.perf_counter() - built:.1f} s)",
            flush=True,
        )
    print(HEADER)
    measure_all(bench, args.smoke, scales, skip)
    elapsed = time.perf_counter() - started
    bench.save(elapsed_seconds=round(elapsed, 1), complete=True)
    print(f"{len(bench.records)} records in {elapsed:.0f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
