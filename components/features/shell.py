"""Features: validated flights in, model inputs out, one Arrow record batch at a time.

Features are row-wise, so the stage streams: each batch of validated flights is checked, featurized, checked
and appended to the output, and peak memory is one batch whatever the window (``--window-days``) or warehouse
size. (Whole-frame uniqueness of ``flight_id`` was checked by the validate stage, which sees every row.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from components.common.artifacts import appending, iter_batches, open_parquet, validate_frame
from components.common.logging import get_logger
from components.common.stage import InputFile, OutputFile, StageReport, StageRequest
from components.features.core import build_features
from components.schemas import FeatureFrame, HistoryFlights, LabelledFeatures, ScoringFlights

BATCH_ROWS = 131_072  # rows per batch: per-call overhead amortized, memory bounded


class Request(StageRequest):
    """Validated history and scoring set in; their model inputs out."""

    valid_history: InputFile
    valid_scoring: InputFile
    history_features: OutputFile
    scoring_features: OutputFile


class Report(StageReport):
    """How many rows of features each set got."""

    history_rows: int
    scoring_rows: int


def _featurize(source: Path, target: Path, input_schema: Any, output_schema: Any, what: str) -> int:
    flights_file = open_parquet(source, what)
    rows = 0
    with appending(target) as append:
        for batch in iter_batches(flights_file, source, what, BATCH_ROWS):
            flights = validate_frame(batch.to_pandas(date_as_object=False), input_schema, what, source)
            features = output_schema.validate(build_features(flights), lazy=True)
            append(pa.Table.from_pandas(features, preserve_index=False))
            rows += len(features)
        if rows == 0:  # no rows: an empty file with the output's columns
            empty = validate_frame(flights_file.schema_arrow.empty_table().to_pandas(), input_schema, what, source)
            append(pa.Table.from_pandas(output_schema.validate(build_features(empty), lazy=True), preserve_index=False))
    get_logger().info("%s: %d rows x %d features", what, rows, len(output_schema.to_schema().columns))
    return rows


def run(request: Request) -> Report:
    """Build training features (with label) and scoring features (without)."""
    return Report(
        history_rows=_featurize(
            request.valid_history, request.history_features, HistoryFlights, LabelledFeatures, "validated history"
        ),
        scoring_rows=_featurize(
            request.valid_scoring, request.scoring_features, ScoringFlights, FeatureFrame, "validated scoring set"
        ),
    )
