"""Parquet and JSON artifacts: round trips, atomic replace, one-line errors naming the path."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from components.common import artifacts
from components.common.artifacts import read_frame, read_table, write_batches, write_table
from components.common.errors import PipelineError
from components.common.files import atomic_path, read_json, remove_stray_temporaries, write_json

UNREADABLE = "is not a readable parquet file"


def _table(rows: int = 50) -> pa.Table:
    return pa.table(
        {
            "flight_id": [f"20130501-UA-{n}-EWR-0600" for n in range(rows)],
            "p_disrupted": [n / rows for n in range(rows)],
            "sched_dep_time": pa.array(range(rows), pa.int64()),
            "tailnum": ["N14228" if n % 3 else None for n in range(rows)],
        }
    )


def _unreadable_message(path: Path) -> re.Pattern[str]:
    return re.compile(rf"history {re.escape(str(path))} {UNREADABLE} \(.+\): rerun the stage that writes it")


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_round_trip_keeps_schema_and_values(tmp_path: Path) -> None:
    table = _table()
    path = tmp_path / "nested" / "history.parquet"

    write_table(table, path)

    assert read_table(path, "history").equals(table)
    assert _leftovers(path.parent) == []


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.parquet"
    old = _table(5)
    write_table(old, path)

    def write_half_then_fail(table: pa.Table, where: Path, **_: object) -> None:
        Path(where).write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(artifacts.pq, "write_table", write_half_then_fail)

    with pytest.raises(OSError, match="disk full"):
        write_table(_table(50), path)

    assert read_table(path, "history").equals(old)
    assert _leftovers(tmp_path) == []


def _write_half_then_die(path: Path) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text("half")
        raise RuntimeError("killed")


def test_atomic_path_publishes_only_on_success(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"

    with pytest.raises(RuntimeError, match="killed"):
        _write_half_then_die(path)
    assert not path.exists()

    with atomic_path(path) as temporary:
        temporary.write_text("whole")
    assert path.read_text() == "whole"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_missing_file_is_one_line_error_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "history.parquet"

    with pytest.raises(PipelineError) as raised:
        read_table(path, "history")

    assert str(raised.value) == f"history {path} does not exist: rerun the stage that writes it"


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("truncated", lambda data: data[: len(data) // 2]),
        ("not parquet", lambda data: b"flight_id,p_disrupted\nx,0.5\n"),
        ("empty", lambda data: b""),
    ],
)
def test_damaged_file_is_one_line_error_naming_the_path(
    tmp_path: Path, name: str, damage: Callable[[bytes], bytes]
) -> None:
    path = tmp_path / "history.parquet"
    write_table(_table(), path)
    path.write_bytes(damage(path.read_bytes()))

    with pytest.raises(PipelineError) as raised:
        read_table(path, "history")

    assert _unreadable_message(path).fullmatch(str(raised.value)), name
    assert "\n" not in str(raised.value)


def test_flipped_byte_in_a_page_fails_the_checksum(tmp_path: Path) -> None:
    path = tmp_path / "history.parquet"
    write_table(_table(1000), path)
    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF  # inside the first column's data page, well before the footer
    path.write_bytes(bytes(data))

    with pytest.raises(PipelineError) as raised:
        read_table(path, "history")

    assert _unreadable_message(path).fullmatch(str(raised.value))
    assert "checksum" in str(raised.value).lower()


def test_json_round_trip(tmp_path: Path) -> None:
    document = {"version": "20130615-abc", "metrics": {"roc_auc": 0.7}, "rows": [1, 2]}
    path = tmp_path / "lineage.json"

    write_json(document, path)

    assert read_json(path, "lineage") == document


def test_missing_json_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "lineage.json"

    with pytest.raises(PipelineError) as raised:
        read_json(path, "lineage")

    assert str(raised.value) == f"lineage {path} does not exist"


def test_broken_json_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "lineage.json"
    path.write_text('{"version": ')

    with pytest.raises(PipelineError) as raised:
        read_json(path, "lineage")

    assert str(raised.value) == f"lineage {path} is not valid JSON (Expecting value)"


def test_schema_mismatch_on_read_is_one_line_error_naming_the_path(tmp_path: Path) -> None:
    import pandera.pandas as pandera

    schema = pandera.DataFrameSchema({"flight_id": pandera.Column(str), "carrier": pandera.Column(str)})
    path = tmp_path / "flights.parquet"
    write_table(_table(), path)
    with pytest.raises(PipelineError) as error:
        read_frame(path, "scoring features", schema)
    assert str(error.value) == (
        f"scoring features {path} does not match its schema (column_in_dataframe carrier): "
        "rerun the stage that writes it"
    )


# --- streaming writes and leftovers of killed writers --------------------------------------------


def _reader(*sizes: int) -> pa.RecordBatchReader:
    schema = pa.schema([("x", pa.int64())])
    batches = [pa.record_batch([pa.array(range(size), pa.int64())], schema=schema) for size in sizes]
    return pa.RecordBatchReader.from_batches(schema, iter(batches))


def test_write_batches_streams_one_row_group_per_batch(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"

    assert write_batches(_reader(3, 0, 4), path) == 7

    assert pq.ParquetFile(path).metadata.num_row_groups == 2
    assert read_table(path, "out").column("x").to_pylist() == [0, 1, 2, 0, 1, 2, 3]


def test_write_batches_of_nothing_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"^no rows: fix it$"):
        write_batches(_reader(0), tmp_path / "out.parquet", empty_error="no rows: fix it")

    assert list(tmp_path.iterdir()) == []


def test_stray_temporaries_of_dead_writers_are_removed(tmp_path: Path) -> None:
    dead = tmp_path / ".history.parquet.999999999.k2j3.tmp"
    dead.write_bytes(b"half")
    mine = tmp_path / f".history.parquet.{os.getpid()}.k2j3.tmp"
    mine.write_bytes(b"half")
    other = tmp_path / ".notes.tmp"
    other.write_text("not ours")

    assert remove_stray_temporaries(tmp_path) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, other.name])
    assert remove_stray_temporaries(tmp_path / "missing") == []
