"""Write-back: one day's rows of a pipeline table replaced in one transaction, so a rerun replaces, never duplicates.

The tables' DDL comes from their pandera models (:mod:`components.schemas.tables`), so the table, the artifact and
the frame that fills it can't disagree. A table created by older code gets the model's new columns
(``ALTER TABLE ... ADD COLUMN IF NOT EXISTS``, nullable, on both backends) before its first write; the columns the
model dropped stay, NULL in new rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import zlib

import pyarrow as pa

from components.common.warehouse.connection import Session, session
from components.common.warehouse.retries import with_retries
from components.schemas.tables import TABLES, add_columns_sql, create_table_sql


def _replace_postgres(opened: Session, table: str, day_column: str, day: dt.date, rows: pa.Table) -> None:
    connection = opened.connection
    # One writer per (table, day) at a time: two concurrent runs of a day serialize here, so the later one
    # deletes the earlier one's rows and exactly one set remains.
    lock_key = zlib.crc32(f"{table}:{day.isoformat()}".encode())
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock($1)", [lock_key])
            cursor.execute(create_table_sql(table))
            cursor.execute(f"SELECT * FROM {table} LIMIT 0")
            for statement in add_columns_sql(table, cursor.fetch_arrow_table().schema.names):
                cursor.execute(statement)
            cursor.execute(f"SELECT * FROM {table} LIMIT 0")
            present = [field.remove_metadata() for field in cursor.fetch_arrow_table().schema]
            schema = pa.schema([field for field in present if field.name in rows.column_names])
            cursor.execute(f"DELETE FROM {table} WHERE {day_column} = $1", [day])
            if rows.num_rows:
                cursor.adbc_ingest(table, rows.select(schema.names).cast(schema), mode="append")
        connection.commit()
    except BaseException:
        with contextlib.suppress(Exception):
            connection.rollback()
        raise


def _replace_duckdb(opened: Session, table: str, day_column: str, day: dt.date, rows: pa.Table) -> None:
    connection = opened.connection
    connection.execute(create_table_sql(table))
    present = [column[0] for column in connection.execute(f"SELECT * FROM {table} LIMIT 0").description]
    for statement in add_columns_sql(table, present):
        connection.execute(statement)
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


def replace_day_rows(url: str, table: str, day: dt.date, rows: pa.Table) -> None:
    """Replace one day's rows of ``table`` (one of :data:`~components.schemas.tables.TABLES`) in one transaction:
    a rerun replaces, never duplicates."""
    day_column = TABLES[table].day_column

    def work() -> None:
        with session(url, read_only=False) as opened:
            replace = _replace_postgres if opened.location.is_postgres else _replace_duckdb
            replace(opened, table, day_column, day, rows)

    with_retries(url, work)
