"""Parquet artifacts: zstd, page checksums written and verified, atomic replace, schema on both sides."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
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
    # The writer's pid is in the name, so a later stage can tell a dead writer's leftovers from a live one's.
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def _disk_errors(path: Path) -> Iterator[None]:
    """A full disk or a read-only folder is one line naming the file and the fix (the temp file is gone)."""
    try:
        yield
    except OSError as error:
        if error.errno is None:
            raise  # not the disk: e.g. the stream being written broke (pyarrow raises those as OSError)
        reason = os.strerror(error.errno)
        raise PipelineError(
            f"cannot write {path} ({reason}): free disk space or choose another --artifact-root, then rerun"
        ) from None


def write_table(table: pa.Table, path: Path) -> None:
    """Write an Arrow table to ``path`` atomically, with page checksums."""
    with _disk_errors(path), atomic_path(path) as temporary:
        pq.write_table(table, temporary, compression="zstd", write_page_checksum=True)


@contextlib.contextmanager
def appending(path: Path, schema: pa.Schema | None = None) -> Iterator[Callable[[pa.Table | pa.RecordBatch], None]]:
    """Yield ``append(table_or_batch)``: each call adds row groups to ``path``, written atomically on exit.

    The file takes ``schema``, or else the first appended table's (later ones are cast to it); memory stays at
    about one batch. On an error nothing is written; a full disk is one line. Append at least once (an empty
    table gives an empty file with its columns) unless ``schema`` is given.
    """
    with _disk_errors(path), atomic_path(path) as temporary:
        writer = None if schema is None else _writer(temporary, schema)

        def append(data: pa.Table | pa.RecordBatch) -> None:
            nonlocal writer
            if writer is None:
                writer = _writer(temporary, data.schema)
            writer.write(data.cast(writer.schema) if isinstance(data, pa.Table) else data)

        try:
            yield append
        finally:
            if writer is not None:
                writer.close()
        if writer is None:
            raise ValueError(f"nothing was appended to {path} and no schema was given")


def _writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    return pq.ParquetWriter(path, schema, compression="zstd", write_page_checksum=True)


def write_batches(reader: pa.RecordBatchReader, path: Path, empty_error: str | None = None) -> int:
    """Stream record batches into ``path`` atomically, one row group per batch; returns the row count.

    Memory stays at about one batch however many rows come. With ``empty_error``, a stream without rows
    raises that ``PipelineError`` and nothing is written.
    """
    rows = 0
    with appending(path, reader.schema) as append:
        for batch in reader:
            if batch.num_rows:
                append(batch)
                rows += batch.num_rows
        if rows == 0 and empty_error is not None:
            raise PipelineError(empty_error)
    return rows


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def writer_pid(name: str) -> int | None:
    """The pid in a temp name ``.<target>.<pid>.<random>[.tmp]``, or ``None`` for any other name."""
    parts = name.removesuffix(".tmp").split(".")
    return int(parts[-2]) if len(parts) >= 4 and parts[-2].isdigit() else None


def remove_stray_temporaries(folder: Path) -> list[Path]:
    """Remove temp files that dead writers left in ``folder`` (``.<name>.<pid>.<random>.tmp``); returns them.

    A temp file of a live process (another run writing now) is left alone.
    """
    if not folder.is_dir():
        return []
    strays = []
    for candidate in folder.glob(".*.tmp"):
        pid = writer_pid(candidate.name)
        if candidate.is_file() and pid is not None and pid != os.getpid() and not pid_alive(pid):
            candidate.unlink(missing_ok=True)
            strays.append(candidate)
    return strays


def _unreadable(path: Path, what: str, error: Exception) -> PipelineError:
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    reason = reason.removeprefix(f"Could not open Parquet input source '{path}': ")
    return PipelineError(f"{what} {path} is not a readable parquet file ({reason}): rerun the stage that writes it")


def _require_file(path: Path, what: str) -> None:
    if not path.is_file():
        raise PipelineError(f"{what} {path} does not exist: rerun the stage that writes it")


def read_table(path: Path, what: str) -> pa.Table:
    """Read a parquet artifact, verifying page checksums; a bad file is a one-line error."""
    _require_file(path, what)
    try:
        return pq.read_table(path, page_checksum_verification=True)
    except (pa.ArrowException, OSError) as error:
        raise _unreadable(path, what, error) from None


def open_parquet(path: Path, what: str) -> pq.ParquetFile:
    """Open a parquet artifact for streaming, verifying page checksums; a bad file is a one-line error."""
    _require_file(path, what)
    try:
        return pq.ParquetFile(path, page_checksum_verification=True)
    except (pa.ArrowException, OSError) as error:
        raise _unreadable(path, what, error) from None


def iter_batches(parquet: pq.ParquetFile, path: Path, what: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The record batches of an open artifact; a page that fails its checksum mid-stream is a one-line error."""
    try:
        yield from parquet.iter_batches(batch_size=batch_rows)
    except (pa.ArrowException, OSError) as error:
        raise _unreadable(path, what, error) from None


def read_frame(path: Path, what: str, schema: Any = None) -> Any:
    """Read a parquet artifact into pandas (dates as timestamps), through its pandera schema when given."""
    frame = read_table(path, what).to_pandas(date_as_object=False)
    return frame if schema is None else validate_frame(frame, schema, what, path)


def validate_frame(frame: Any, schema: Any, what: str, path: Path) -> Any:
    """Validate a frame read from ``path`` (or a batch of it) lazily; a mismatch is a one-line error."""
    import pandera.errors

    try:
        return schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        problems = sorted(
            {
                f"{row.check} {row.failure_case}"
                if row.schema_context == "DataFrameSchema"
                else f"{row.column} {row.check}"
                for row in cases.itertuples()
            }
        )
        raise PipelineError(
            f"{what} {path} does not match its schema ({'; '.join(problems[:5])}): rerun the stage that writes it"
        ) from None


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
