"""The warehouse's SQL: the files in ``sql/`` with ``$name`` parameters, bound in one place for both backends."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# sql/ sits beside components/: in the repository, in the images (/app/sql) and in the wheel (site-packages/sql).
SQL_DIR = Path(__file__).resolve().parents[3] / "sql"
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


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


def statements(sql: str) -> list[str]:
    """The statements of a DDL file (no semicolons inside them), one per entry."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]
