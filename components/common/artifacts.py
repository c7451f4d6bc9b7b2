"""Parquet artifacts: zstd, page checksums written and verified, atomic replace, schema on both sides."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from components.common.errors import PipelineError
from components.common.files import atomic_path, disk_errors


def write_table(table: pa.Table, path: Path) -> None:
    """Write an Arrow table to ``path`` atomically, with page checksums."""
    with disk_errors(path), atomic_path(path) as temporary:
        pq.write_table(table, temporary, compression="zstd", write_page_checksum=True)


@contextlib.contextmanager
def appending(path: Path, schema: pa.Schema | None = None) -> Iterator[Callable[[pa.Table | pa.RecordBatch], None]]:
    """Yield ``append(table_or_batch)``: each call adds row groups to ``path``, written atomically on exit.

    The file takes ``schema``, or else the first appended table's (later ones are cast to it); memory stays at
    about one batch. On an error nothing is written; a full disk is one line. Append at least once (an empty
    table gives an empty file with its columns) unless ``schema`` is given.
    """
    with disk_errors(path), atomic_path(path) as temporary:
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


def _unreadable(path: Path, what: str, error: Exception) -> PipelineError:
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    reason = reason.removeprefix(f"Could not open Parquet input source '{path}': ")
    return PipelineError(f"{what} {path} is not a readable parquet file ({reason}): rerun the stage that writes it")


def _require_file(path: Path, what: str) -> None:
    if not path.is_file():
        raise PipelineError(f"{what} {path} does not exist: rerun the stage that writes it")


def read_table(path: Path, what: str, columns: list[str] | None = None) -> pa.Table:
    """Read a parquet artifact (only ``columns`` when given), verifying page checksums; a bad file is a one-line
    error."""
    _require_file(path, what)
    try:
        return pq.read_table(path, columns=columns, page_checksum_verification=True)
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
