"""Streamed scoring: batch by batch it writes exactly what scoring everything at once gives, in bounded batches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.pipeline import Pipeline

from components.common.config import TrainSettings
from components.common.errors import PipelineError
from components.contracts import OUTCOME_COLUMNS
from components.predict.core import riskiest, score_flights
from components.predict.shell import score_to_parquet
from components.train.core import fit_model

RUN_DATE = dt.date(2013, 5, 20)
VERSION = "20130520-0123456789ab"
Featurize = Callable[[pd.DataFrame], pd.DataFrame]


@pytest.fixture
def model(history_features: pd.DataFrame, small_train_settings: TrainSettings) -> Pipeline:
    return fit_model(history_features[history_features["flight_date"] < pd.Timestamp(RUN_DATE)], small_train_settings)


@pytest.fixture
def inputs(tmp_path: Path, history_flights: pd.DataFrame, make_features: Featurize) -> tuple[Path, Path, pd.DataFrame]:
    """Scoring features and flights files (every flight of the history, so there are several batches)."""
    flights = history_flights.drop(columns=list(OUTCOME_COLUMNS)).reset_index(drop=True)
    features = make_features(flights)
    features_path, flights_path = tmp_path / "features.parquet", tmp_path / "flights.parquet"
    pq.write_table(pa.Table.from_pandas(features, preserve_index=False), features_path, row_group_size=7)
    pq.write_table(pa.Table.from_pandas(flights, preserve_index=False), flights_path, row_group_size=11)
    return features_path, flights_path, flights


def test_streamed_scoring_equals_scoring_at_once(
    tmp_path: Path, model: Pipeline, inputs: tuple[Path, Path, pd.DataFrame], make_features: Featurize
) -> None:
    features_path, flights_path, flights = inputs
    out = tmp_path / "predictions.parquet"
    expected = score_flights(model, make_features(flights), flights, RUN_DATE, VERSION)

    report = score_to_parquet(model, features_path, flights_path, out, RUN_DATE, VERSION, batch_rows=16)

    written = pq.read_table(out).to_pandas().sort_values("flight_id", ignore_index=True)
    pd.testing.assert_frame_equal(written, expected, check_dtype=False, check_exact=False)
    assert report["predictions"] == len(flights) == 200
    assert report["mean_p_disrupted"] == pytest.approx(expected["p_disrupted"].mean(), abs=1e-4)
    top = riskiest(expected, 5)
    assert [row["flight_id"] for row in report["riskiest"]] == top["flight_id"].tolist()
    assert pq.ParquetFile(out).metadata.num_row_groups == 13  # one row group per 16-row batch: written as it goes


def test_files_that_list_different_flights_fail_and_write_nothing(
    tmp_path: Path, model: Pipeline, inputs: tuple[Path, Path, pd.DataFrame]
) -> None:
    features_path, _, flights = inputs
    reordered = tmp_path / "reordered.parquet"
    pq.write_table(pa.Table.from_pandas(flights.iloc[::-1], preserve_index=False), reordered)
    out = tmp_path / "predictions.parquet"

    with pytest.raises(PipelineError) as failure:
        score_to_parquet(model, features_path, reordered, out, RUN_DATE, VERSION, batch_rows=16)

    assert str(failure.value) == (
        "scoring features and the validated scoring set list different flights near row 0: rerun the features stage"
    )
    assert list(tmp_path.glob("predictions*")) == []
    assert list(tmp_path.glob(".predictions*")) == []


def test_a_missing_input_is_one_line_and_writes_nothing(
    tmp_path: Path, model: Pipeline, inputs: tuple[Path, Path, pd.DataFrame]
) -> None:
    features_path, _, _ = inputs
    missing, out = tmp_path / "absent.parquet", tmp_path / "predictions.parquet"

    with pytest.raises(PipelineError) as failure:
        score_to_parquet(model, features_path, missing, out, RUN_DATE, VERSION)

    assert str(failure.value) == f"validated scoring set {missing} does not exist: rerun the stage that writes it"
    assert not out.exists()
