"""The benchmark's output contract: every record has the required fields; the checker CI runs catches gaps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import data
from bench.__main__ import Bench
from bench.check import REQUIRED, SECTIONS, main, problems


def _document(bench: Bench) -> dict[str, object]:
    return {"records": bench.records}


@pytest.fixture
def complete() -> Bench:
    """One measured record per section, made the way the benchmark makes them."""
    bench = Bench(repeat=1, smoke=True)
    for section in SECTIONS:
        bench.add(f"{section}something [1x real]", 2.0, "s", 1.0, 300.0)
    return bench


def test_records_carry_every_required_field_and_the_ratio(complete: Bench) -> None:
    record = complete.records[0]

    assert set(REQUIRED) <= set(record)
    assert record["ratio"] == 2.0
    assert problems(_document(complete)) == []


def test_a_record_without_a_field_is_named(complete: Bench) -> None:
    del complete.records[1]["peak_rss_mb"]

    assert problems(_document(complete)) == ["record 1 lacks peak_rss_mb"]


def test_a_section_with_only_skipped_records_is_named(complete: Bench) -> None:
    complete.records = [r for r in complete.records if not r["name"].startswith("score ")]
    complete.skip("score 0.34M rows", "no model")

    assert problems(_document(complete)) == ["no measured 'score' record"]


def test_main_reads_the_file_and_fails_with_one_line(
    tmp_path: Path, complete: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    good, missing = tmp_path / "bench.json", tmp_path / "absent.json"
    good.write_text(json.dumps(_document(complete)))

    assert main([str(good)]) == 0
    assert main([str(missing)]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"benchmark output {missing} is not readable JSON")
    assert error.endswith("run `make bench-smoke`")
    assert "\n" not in error


def test_synthetic_scales_are_labelled_everywhere() -> None:
    assert data.label(1) == "1x real"
    assert "SYNTHETIC" in data.label(10)
    assert data.warehouse_path(10).name.startswith("SYNTHETIC-")
    assert "SYNTHETIC" not in data.warehouse_path(1).name
