"""Warehouse addresses, SQLAlchemy-style: ``duckdb:///relative/path``, ``duckdb:////absolute/path`` or
``postgresql://user[:password]@host[:port]/database``. Standard library only: no database driver is imported."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from components.common.deployment import WAREHOUSE_URL_ENV
from components.common.errors import PipelineError

POSTGRES_SCHEMES = ("postgresql", "postgres")
_URL_HINT = "use duckdb:///path/to/file.duckdb or postgresql://user@host:port/database"


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
        return masked(self.url) if self.is_postgres else str(self.path)

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


def masked(url: str) -> str:
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
        raise PipelineError(f"warehouse URL '{masked(url)}' has no scheme: {_URL_HINT}")
    if scheme in POSTGRES_SCHEMES:
        parts = urlsplit(url)
        if not parts.hostname or not parts.path.strip("/"):
            raise PipelineError(
                f"warehouse URL '{masked(url)}' needs a host and a database name: "
                "use postgresql://user@host:port/database"
            )
        return WarehouseUrl("postgresql", url=url)
    if scheme != "duckdb":
        raise PipelineError(f"warehouse URL scheme '{scheme}' is not supported: {_URL_HINT}")
    if not rest.startswith("/") or rest == "/":
        raise PipelineError(f"warehouse URL '{url}' has no file path: use duckdb:///path/to/file.duckdb")
    return WarehouseUrl(scheme, Path(rest[1:]))
