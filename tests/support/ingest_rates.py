"""Rows/s of the 90-day window through the project's ingest path, DuckDB vs PostgreSQL, side by side.

    .venv/bin/python -m tests.support.ingest_rates [--repeats 5]

Both backends run ``components.ingest.shell.write_history`` (the same SQL file, streamed as Arrow record
batches into parquet) on the same data; PostgreSQL is a throwaway local server (tests/support/postgres.py).
Medians of interleaved repeats; a quick check, the benchmark (bench/) is the real measurement.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from components.common.config import WindowSettings
from components.common.warehouse.seed import seed_warehouse
from components.ingest.shell import write_history
from tests.support.postgres import throwaway_postgres

START, END = dt.date(2013, 3, 17), dt.date(2013, 6, 15)  # the 90 days before the demo day


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch, throwaway_postgres() as postgres_url:
        folder = Path(scratch)
        duckdb_url = f"duckdb:///{folder / 'warehouse.duckdb'}"
        seed_warehouse(duckdb_url)
        seed_warehouse(postgres_url)
        urls = {"duckdb": duckdb_url, "postgresql (ADBC)": postgres_url}
        seconds: dict[str, list[float]] = {name: [] for name in urls}
        rows = 0
        for repeat in range(args.repeats + 1):  # the first round warms caches and is not counted
            for name, url in urls.items():
                started = time.perf_counter()
                rows, _ = write_history(url, START, END, WindowSettings(), folder / f"{name[:6]}.parquet")
                if repeat:
                    seconds[name].append(time.perf_counter() - started)
        print(f"90-day window {START}..{END}: {rows} rows, median of {args.repeats}, written to parquet")
        for name, times in seconds.items():
            median = statistics.median(times)
            print(f"  {name:<18} {median:6.3f} s  {rows / median:>10,.0f} rows/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
