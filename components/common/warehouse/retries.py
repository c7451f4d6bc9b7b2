"""Which warehouse errors are transient, and retrying those (and only those) with backoff.

Transient: the server is down or restarting, the connection broke, a serialization failure or deadlock, a
DuckDB file locked by another writer. Everything else (a missing table or database, bad SQL, a failed login)
is permanent and fails on the first attempt.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import duckdb
import pyarrow as pa
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from components.common.errors import PipelineError, TransientError
from components.common.logging import get_logger
from components.common.warehouse.url import parse_warehouse_url

DEFAULT_ATTEMPTS = 4
# SQLSTATE classes/codes worth another attempt: connection exceptions, serialization failure, deadlock,
# admin/crash shutdown, cannot connect now, too many connections.
_TRANSIENT_SQLSTATES = ("08", "40001", "40P01", "57P01", "57P02", "57P03", "53300")
_PERMANENT_CONNECT_TEXT = ("does not exist", "authentication failed", "no pg_hba.conf entry", "role ")

T = TypeVar("T")


def _sqlstate(error: BaseException) -> str:
    return str(getattr(error, "sqlstate", None) or "")


def first_line(error: BaseException) -> str:
    """An error's message on one line, without the drivers' status prefixes."""
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
        first_line(error) if error else "?",
        state.attempt_number,
        wait,
    )


def with_retries(url: str, work: Callable[[], T]) -> T:
    """Run ``work`` (which talks to the warehouse at ``url``), retrying transient errors with backoff.

    What still fails becomes one line naming the warehouse, the cause and the fix: a :class:`TransientError` when
    the attempts ran out on a transient error, a :class:`PipelineError` at once for a permanent one.
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
            raise TransientError(
                f"warehouse {location.display} failed {tries} time(s) with a transient error ({first_line(error)}): "
                "check that the database server is up and reachable, then rerun"
            ) from None
        raise PipelineError(f"warehouse {location.display} error: {first_line(error)}") from None
