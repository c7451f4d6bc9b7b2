"""Predict: score the run date with the champion; write parquet and replace the day's warehouse rows.

Scoring streams: features and flights are read in Arrow record batches (``ParquetFile.iter_batches``), each
batch is validated, scored and appended to the predictions file, so peak memory is one batch and the model,
whatever the number of rows (measured in ``bench/``: flat from 0.3M to 10M rows).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from pydantic import BaseModel

from components.common import registry, tracking
from components.common.artifacts import appending, iter_batches, open_parquet, read_table, validate_frame
from components.common.errors import PipelineError
from components.common.logging import get_logger
from components.common.stage import InputFile, OutputFile, StageReport, TrackedRequest
from components.common.warehouse.url import resolve_warehouse_url
from components.common.warehouse.writes import replace_day_rows
from components.contracts import PREDICTIONS_TABLE
from components.predict.core import IDENTITY_COLUMNS, riskiest, score_flights
from components.schemas import FeatureFrame, Predictions, ScoringFlights

BATCH_ROWS = 131_072  # rows per scored batch: large enough to amortize per-call overhead, small enough to bound memory
TOP_COUNT = 5


def _exactly(batches: Iterator[pa.RecordBatch], rows: int, buffer: list[pa.RecordBatch]) -> pa.Table:
    """The next ``rows`` rows of a batch stream (row groups of two files need not line up)."""
    have = sum(batch.num_rows for batch in buffer)
    while have < rows:
        batch = next(batches, None)
        if batch is None:
            break
        buffer.append(batch)
        have += batch.num_rows
    table = pa.Table.from_batches(buffer) if buffer else pa.table({})
    head, rest = table.slice(0, rows), table.slice(rows)
    buffer[:] = rest.to_batches()
    return head


def score_to_parquet(
    model: Any,
    features_path: Path,
    flights_path: Path,
    predictions_path: Path,
    run_date: Any,
    version: str,
    batch_rows: int = BATCH_ROWS,
) -> dict[str, Any]:
    """Score every flight batch by batch and append the predictions to ``predictions_path`` (atomically).

    Features and flights are written by the stages before in the same row order; each batch is matched by
    ``flight_id`` and a mismatch is an error, never a silent misalignment.
    """
    features_file = open_parquet(features_path, "scoring features")
    flights_file = open_parquet(flights_path, "validated scoring set")
    if features_file.metadata.num_rows != flights_file.metadata.num_rows:
        raise PipelineError(
            f"scoring features ({features_file.metadata.num_rows} rows) and the validated scoring set "
            f"({flights_file.metadata.num_rows} rows) differ: rerun the features stage"
        )
    flights_stream = iter_batches(flights_file, flights_path, "validated scoring set", batch_rows)
    pending: list[pa.RecordBatch] = []
    rows, total, top = 0, 0.0, None
    with appending(predictions_path) as append:
        for batch in iter_batches(features_file, features_path, "scoring features", batch_rows):
            features = validate_frame(
                batch.to_pandas(date_as_object=False), FeatureFrame, "scoring features", features_path
            )
            flights_table = _exactly(flights_stream, batch.num_rows, pending)
            flights = validate_frame(
                flights_table.to_pandas(date_as_object=False), ScoringFlights, "validated scoring set", flights_path
            )
            predictions = score_flights(model, features, flights, run_date, version)
            if len(predictions) != batch.num_rows:
                raise PipelineError(
                    f"scoring features and the validated scoring set list different flights near row {rows}: "
                    "rerun the features stage"
                )
            predictions = Predictions.validate(predictions, lazy=True)
            append(pa.Table.from_pandas(predictions, preserve_index=False))
            rows += len(predictions)
            total += float(predictions["p_disrupted"].sum())
            # Only rows at or above the batch's k-th highest probability can enter the running top k.
            cutoff = predictions["p_disrupted"].nlargest(TOP_COUNT).min()
            contenders = predictions[predictions["p_disrupted"] >= cutoff]
            candidates = contenders if top is None else pd.concat([top, contenders], ignore_index=True)
            top = riskiest(candidates, TOP_COUNT).reset_index(drop=True)
        if rows == 0:  # no flights: an empty file with the predictions' schema
            empty = Predictions.validate(
                pd.DataFrame({column: [] for column in Predictions.to_schema().columns}), lazy=True
            )
            append(pa.Table.from_pandas(empty, preserve_index=False))
    return {
        "predictions": rows,
        "mean_p_disrupted": round(total / rows, 4) if rows else None,
        "riskiest": [] if top is None else top.to_dict("records"),
    }


class Request(TrackedRequest):
    """The day's features and validated flights in; one probability per flight out (parquet and the warehouse)."""

    warehouse_url: str = ""  # empty: $FLIGHTS_WAREHOUSE_URL (on a cluster, the Secret's)
    scoring_features: InputFile
    valid_scoring: InputFile
    predictions: OutputFile


class RiskyFlight(BaseModel):
    """One of the day's riskiest flights, as the summary shows it."""

    flight_id: str
    carrier: str
    flight: int
    origin: str
    dest: str
    sched_dep_time: int
    p_disrupted: float


class Report(StageReport):
    """Which model scored the day (its registry version and role), how many flights, and the riskiest few."""

    model_version: str
    model_role: str
    predictions: int
    mean_p_disrupted: float | None
    riskiest: list[RiskyFlight]
    predictions_path: Path


def run(request: Request) -> Report:
    """Score every validated flight of the day with the current champion."""
    day = request.run_date
    warehouse_url = resolve_warehouse_url(request.warehouse_url)
    uri = tracking.resolve_tracking_uri(request.tracking_uri)
    champion = registry.require_champion(uri)
    version, role = str(champion.version), champion.tags.get(registry.ROLE_TAG, "challenger")
    model = registry.load_model(uri, champion)
    scored = score_to_parquet(model, request.scoring_features, request.valid_scoring, request.predictions, day, version)
    # One day's predictions (hundreds of rows) go to the warehouse; the parquet file above is the bulk output.
    table = read_table(request.predictions, "predictions")
    replace_day_rows(
        warehouse_url,
        PREDICTIONS_TABLE,
        day,
        table.set_column(0, "run_date", table.column("run_date").cast(pa.date32())),
    )
    with tracking.stage_run(uri, request.tracking_run_id, f"{day} predict", request.run_tags("predict")) as run_id:
        tracking.log(
            uri,
            run_id,
            metrics={"scored_flights": scored["predictions"], "mean_p_disrupted": scored["mean_p_disrupted"]},
            tags={"scored_by_version": version, "scored_by_role": role},
        )
    get_logger().info("scored %d flights with version %s (%s) into %s", scored["predictions"], version, role,
                      PREDICTIONS_TABLE)  # fmt: skip
    return Report(
        model_version=version,
        model_role=role,
        predictions=scored["predictions"],
        mean_p_disrupted=scored["mean_p_disrupted"],
        riskiest=[
            RiskyFlight(**{k: row[k] for k in IDENTITY_COLUMNS}, p_disrupted=round(float(row["p_disrupted"]), 4))
            for row in scored["riskiest"]
        ],
        predictions_path=request.predictions,
    )
