"""Parquet artifacts: zstd, page checksums written and verified, atomic replace, schema on both sides."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from components.common.errors import PipelineError


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success fsync it and rename it into place.

    On failure the temporary file is removed, so readers see the old file or the new one, never half.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_table(table: pa.Table, path: Path) -> None:
    """Write an Arrow table to ``path`` atomically, with page checksums."""
    with atomic_path(path) as temporary:
        pq.write_table(table, temporary, compression="zstd", write_page_checksum=True)


def read_table(path: Path, what: str) -> pa.Table:
    """Read a parquet artifact, verifying page checksums; a bad file is a one-line error."""
    if not path.is_file():
        raise PipelineError(f"{what} {path} does not exist: rerun the stage that writes it")
    try:
        return pq.read_table(path, page_checksum_verification=True)
    except (pa.ArrowException, OSError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise PipelineError(
            f"{what} {path} is not a readable parquet file ({reason}): rerun the stage that writes it"
        ) from None


def read_frame(path: Path, what: str, schema: Any = None) -> Any:
    """Read a parquet artifact into pandas (dates as timestamps), through its pandera schema when given."""
    frame = read_table(path, what).to_pandas(date_as_object=False)
    return frame if schema is None else schema.validate(frame, lazy=True)


def write_json(document: Any, path: Path) -> None:
    """Write a JSON document atomically."""
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")


def read_json(path: Path, what: str) -> Any:
    """Read a JSON document; a missing or broken file is a one-line error."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise PipelineError(f"{what} {path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise PipelineError(
            f"{what} {path} is not valid JSON ({error.msg if hasattr(error, 'msg') else error})"
        ) from None
