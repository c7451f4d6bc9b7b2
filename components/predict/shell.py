"""Predict: score the run date with the champion; write parquet and replace the day's warehouse rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from components.common import warehouse
from components.common.errors import PipelineError
from components.common.logging import get_logger
from components.common.parquet import read_frame, write_table
from components.common.registry import load_model, read_champion, registry_root
from components.ingest.core import parse_run_date
from components.predict.core import riskiest, score_flights
from components.schemas import FeatureFrame, Predictions, ScoringFlights


def run(
    warehouse_url: str,
    artifact_root: Path,
    run_date: str,
    scoring_features_path: Path,
    valid_scoring_path: Path,
    predictions_path: Path,
) -> dict[str, Any]:
    """Score every validated flight of the day with the current champion."""
    day = parse_run_date(run_date)
    registry = registry_root(artifact_root)
    champion = read_champion(registry)
    if champion is None:
        raise PipelineError(
            f"no champion model in the registry at {registry}: run the daily pipeline until a model passes the floors"
        )
    features = read_frame(scoring_features_path, "scoring features", FeatureFrame)
    flights = read_frame(valid_scoring_path, "validated scoring set", ScoringFlights)
    model = load_model(registry, champion["version"])
    predictions = Predictions.validate(score_flights(model, features, flights, day, champion["version"]), lazy=True)
    table = pa.Table.from_pandas(predictions, preserve_index=False)
    write_table(table, predictions_path)
    warehouse.replace_day_rows(
        warehouse_url,
        warehouse.PREDICTIONS_TABLE,
        "run_date",
        day,
        table.set_column(0, "run_date", table.column("run_date").cast(pa.date32())),
    )
    get_logger().info(
        "scored %d flights with %s into %s", len(predictions), champion["version"], warehouse.PREDICTIONS_TABLE
    )
    top = riskiest(predictions, 5)
    return {
        "model_version": champion["version"],
        "predictions": len(predictions),
        "mean_p_disrupted": round(float(predictions["p_disrupted"].mean()), 4),
        "riskiest": [
            {
                **{k: row[k] for k in ("flight_id", "carrier", "flight", "origin", "dest", "sched_dep_time")},
                "p_disrupted": round(float(row["p_disrupted"]), 4),
            }
            for row in top.to_dict("records")
        ],
    }
