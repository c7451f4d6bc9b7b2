"""Features: validated flights in, model inputs out, one Arrow record batch at a time.

Two passes over the history. The first reads only the columns the historical rates need and counts them by key
and day (:class:`~components.features.core.OutcomeHistory`: small, whatever the window). The second streams:
each batch of validated flights is checked, featurized, checked and appended to the output, so peak memory is
one batch and the counts. The history's first ``window.rate_days`` days only feed the rates: they are not
training rows. (Whole-frame uniqueness of ``flight_id`` was checked by the validate stage, which sees every row.)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from components.common.artifacts import appending, iter_batches, open_parquet, read_table, validate_frame
from components.common.config import WindowSettings
from components.common.logging import get_logger
from components.common.stage import InputFile, OutputFile, StageReport, StageRequest
from components.contracts import history_window
from components.features.core import OUTCOME_HISTORY_COLUMNS, OutcomeHistory, build_features
from components.schemas import FeatureFrame, HistoryFlights, LabelledFeatures, ScoringFlights

BATCH_ROWS = 131_072  # rows per batch: per-call overhead amortized, memory bounded


class Request(StageRequest):
    """Validated history and scoring set in; their model inputs out."""

    window: WindowSettings = WindowSettings()
    valid_history: InputFile
    valid_scoring: InputFile
    history_features: OutputFile
    scoring_features: OutputFile


class Report(StageReport):
    """How many rows of features each set got."""

    history_rows: int
    scoring_rows: int


def outcome_history(path: Path, rate_days: int) -> OutcomeHistory:
    """The history's disruption counts by key and day (only the columns they need are read)."""
    # the file's columns checked first, so that a broken file gets the stream pass's one-line schema error
    schema = open_parquet(path, "validated history").schema_arrow
    validate_frame(schema.empty_table().to_pandas(), HistoryFlights, "validated history", path)
    table = read_table(path, "validated history", columns=list(OUTCOME_HISTORY_COLUMNS))
    return OutcomeHistory(table.to_pandas(date_as_object=False), rate_days)


def _featurize(
    source: Path,
    target: Path,
    input_schema: Any,
    output_schema: Any,
    what: str,
    history: OutcomeHistory,
    first_day: dt.date | None = None,
) -> int:
    flights_file = open_parquet(source, what)
    rows = 0
    with appending(target) as append:
        for batch in iter_batches(flights_file, source, what, BATCH_ROWS):
            flights = validate_frame(batch.to_pandas(date_as_object=False), input_schema, what, source)
            if first_day is not None:
                flights = flights[pd.to_datetime(flights["flight_date"]) >= pd.Timestamp(first_day)]
            features = output_schema.validate(build_features(flights, history), lazy=True)
            append(pa.Table.from_pandas(features, preserve_index=False))
            rows += len(features)
        if rows == 0:  # no rows: an empty file with the output's columns
            empty = validate_frame(flights_file.schema_arrow.empty_table().to_pandas(), input_schema, what, source)
            features = output_schema.validate(build_features(empty, history), lazy=True)
            append(pa.Table.from_pandas(features, preserve_index=False))
    get_logger().info("%s: %d rows x %d features", what, rows, len(output_schema.to_schema().columns))
    return rows


def run(request: Request) -> Report:
    """Build training features (with label) for the window's days and scoring features (without) for the day."""
    history = outcome_history(request.valid_history, request.window.rate_days)
    first_day, _ = history_window(request.run_date, request.window.window_days)
    return Report(
        history_rows=_featurize(
            request.valid_history,
            request.history_features,
            HistoryFlights,
            LabelledFeatures,
            "validated history",
            history,
            first_day,
        ),
        scoring_rows=_featurize(
            request.valid_scoring,
            request.scoring_features,
            ScoringFlights,
            FeatureFrame,
            "validated scoring set",
            history,
        ),
    )
