"""Monitor: drift of the day's features against the champion's training window, and yesterday's outcomes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa

from components.common import warehouse
from components.common.logging import get_logger
from components.common.parquet import read_frame, write_table
from components.common.registry import read_champion, read_reference, registry_root
from components.ingest.core import parse_run_date
from components.monitor.core import check_outcomes, population_stability
from components.schemas import Drift, FeatureFrame, MonitoringHistory


def _yesterday(warehouse_url: str, day: dt.date) -> dict[str, Any] | None:
    if not warehouse.table_exists(warehouse_url, warehouse.PREDICTIONS_TABLE):
        return None
    predictions = warehouse.query_arrow(warehouse_url, "predictions_on", {"day": day}, (warehouse.PREDICTIONS_TABLE,))
    if predictions.num_rows == 0:
        return None
    outcomes = warehouse.query_arrow(
        warehouse_url, "flights_between", {"start": day, "end": day + dt.timedelta(days=1)}
    )
    result = check_outcomes(predictions.to_pandas(), outcomes.select(["flight_id", "disrupted"]).to_pandas())
    return {"date": str(day), "model_version": predictions.column("model_version")[0].as_py(), **result}


def run(
    warehouse_url: str, artifact_root: Path, run_date: str, scoring_features_path: Path, drift_path: Path
) -> dict[str, Any]:
    """Compute drift and yesterday's check; keep one row per day in the monitoring table."""
    day = parse_run_date(run_date)
    warehouse_url = warehouse.resolve_warehouse_url(warehouse_url)
    registry = registry_root(artifact_root)
    champion = read_champion(registry)
    features = read_frame(scoring_features_path, "scoring features", FeatureFrame)
    log = get_logger()
    drift = population_stability(read_reference(registry, champion["version"]), features) if champion else None
    checked = _yesterday(warehouse_url, day - dt.timedelta(days=1))
    if drift is not None:
        drift = Drift.validate(drift, lazy=True)  # our own output meets its contract before anyone reads it
        write_table(pa.Table.from_pandas(drift, preserve_index=False), drift_path)
    drifted = drift.loc[drift["drifted"], "feature"].tolist() if drift is not None else []
    row = {
        "run_date": day,
        "model_version": champion["version"] if champion else "",
        "scored_flights": len(features),
        "drift_max_psi": float(drift["psi"].max()) if drift is not None and len(drift) else None,
        "drifted_features": json.dumps(drifted),
        "checked_date": dt.date.fromisoformat(checked["date"]) if checked else None,
        "checked_flights": checked["flights"] if checked else None,
        "checked_roc_auc": checked["roc_auc"] if checked else None,
        "checked_brier": checked["brier"] if checked else None,
        "checked_observed_rate": checked["observed_rate"] if checked else None,
        "checked_mean_predicted": checked["mean_predicted"] if checked else None,
    }
    schema = pa.schema(
        [
            ("run_date", pa.date32()),
            ("model_version", pa.string()),
            ("scored_flights", pa.int64()),
            ("drift_max_psi", pa.float64()),
            ("drifted_features", pa.string()),
            ("checked_date", pa.date32()),
            ("checked_flights", pa.int64()),
            ("checked_roc_auc", pa.float64()),
            ("checked_brier", pa.float64()),
            ("checked_observed_rate", pa.float64()),
            ("checked_mean_predicted", pa.float64()),
        ]
    )
    table = pa.Table.from_pylist([row], schema)
    MonitoringHistory.validate(table.to_pandas(date_as_object=False), lazy=True)
    warehouse.replace_day_rows(warehouse_url, warehouse.MONITORING_TABLE, "run_date", day, table)
    if checked:
        log.info(
            "yesterday (%s): %d flights, roc_auc=%s brier=%s",
            checked["date"],
            checked["flights"],
            checked["roc_auc"],
            checked["brier"],
        )
    else:
        log.info("yesterday (%s) was not scored: nothing to check", day - dt.timedelta(days=1))
    log.info("drift: max PSI %s; drifted: %s", row["drift_max_psi"], drifted or "none")
    return {
        "drift_max_psi": row["drift_max_psi"],
        "drifted_features": drifted,
        "yesterday": checked,
        "yesterday_date": str(day - dt.timedelta(days=1)),
    }
