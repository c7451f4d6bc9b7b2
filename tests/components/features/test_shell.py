"""The features stage streams: batch by batch it writes exactly what featurizing everything at once gives."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from components.common.errors import PipelineError
from components.contracts import OUTCOME_COLUMNS
from components.features import shell
from components.features.core import build_features
from components.features.shell import Report, Request
from components.schemas import LabelledFeatures


def _write(frame: pd.DataFrame, path: Path) -> Path:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return path


def _request(history: Path, scoring: Path, out: Path) -> Request:
    return Request(
        run_date="2013-05-21", valid_history=history, valid_scoring=scoring,
        history_features=out / "hf.parquet", scoring_features=out / "sf.parquet",
    )  # fmt: skip


def test_batches_give_the_same_features_as_one_frame(
    tmp_path: Path, history_flights: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shell, "BATCH_ROWS", 16)
    history = _write(history_flights, tmp_path / "history.parquet")
    scoring = _write(history_flights.drop(columns=list(OUTCOME_COLUMNS)).head(5), tmp_path / "scoring.parquet")

    report = shell.run(_request(history, scoring, tmp_path))

    expected = LabelledFeatures.validate(build_features(history_flights), lazy=True)
    written = pq.read_table(tmp_path / "hf.parquet").to_pandas()
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    assert report == Report(history_rows=200, scoring_rows=5)
    assert pq.ParquetFile(tmp_path / "hf.parquet").metadata.num_row_groups == 13  # 200 rows in 16-row batches


def test_an_empty_scoring_set_gives_an_empty_file_with_every_column(
    tmp_path: Path, history_flights: pd.DataFrame
) -> None:
    history = _write(history_flights, tmp_path / "history.parquet")
    scoring = _write(history_flights.drop(columns=list(OUTCOME_COLUMNS)).head(0), tmp_path / "scoring.parquet")

    report = shell.run(_request(history, scoring, tmp_path))

    written = pq.read_table(tmp_path / "sf.parquet")
    assert report.scoring_rows == 0
    assert written.num_rows == 0
    assert "flight_id" in written.column_names
    assert "disrupted" not in written.column_names


def test_a_missing_input_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "absent.parquet"

    with pytest.raises(PipelineError) as failure:
        shell.run(_request(missing, missing, tmp_path))

    assert str(failure.value) == f"validated history {missing} does not exist: rerun the stage that writes it"
    assert list(tmp_path.iterdir()) == []
