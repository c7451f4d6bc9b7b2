"""Reads: the SQL files run with bound parameters, results as Arrow (a stream of record batches, bounded memory)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa

from components.common.warehouse.connection import session
from components.common.warehouse.retries import with_retries
from components.common.warehouse.sql import read_sql
from components.contracts import SOURCE_TABLES


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


def read_table_rows(url: str, table: str) -> pa.Table:
    """Every row of a warehouse table, in a stable order (for checks and tests)."""

    def work() -> pa.Table:
        with session(url) as opened:
            opened.require_tables((table,))
            return opened.execute(f"SELECT * FROM {table} ORDER BY 1, 2")

    return with_retries(url, work)
