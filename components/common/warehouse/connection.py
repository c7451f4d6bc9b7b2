"""One open warehouse connection, per backend, behind the few operations the pipeline needs.

DuckDB (the embedded default) and PostgreSQL through ADBC, read as Arrow record batches (no row-by-row
fetching). No retries here: wrap a whole unit of work in :func:`components.common.warehouse.retries.with_retries`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import duckdb
import pyarrow as pa

from components.common.errors import PipelineError
from components.common.warehouse.retries import first_line, is_transient
from components.common.warehouse.sql import bind, inline
from components.common.warehouse.url import WarehouseUrl, parse_warehouse_url

BATCH_ROWS = 65_536


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
        raise PipelineError(f"cannot open warehouse {location.path}: {first_line(error)}") from None
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


class Session:
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
def session(url: str, *, read_only: bool = True) -> Iterator[Session]:
    """Open the warehouse (no retries here: wrap the whole unit of work in :func:`with_retries`)."""
    location = parse_warehouse_url(url)
    if location.is_postgres:
        with _connect_postgres(location) as connection:
            yield Session(location, connection)
    else:
        with _connect_duckdb(location, read_only) as connection:
            yield Session(location, connection)


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
