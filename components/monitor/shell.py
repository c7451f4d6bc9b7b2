"""Monitor: drift of the day's features against the champion's training window, and yesterday's outcomes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow as pa
from pydantic import BaseModel

from components.common import tracking
from components.common.artifacts import read_frame, write_table
from components.common.logging import get_logger
from components.common.stage import InputFile, OutputFile, StageReport, TrackedRequest
from components.common.warehouse import reads
from components.common.warehouse.url import resolve_warehouse_url
from components.common.warehouse.writes import replace_day_rows
from components.contracts import MONITORING_TABLE, PREDICTIONS_TABLE
from components.features.profile import population_stability
from components.monitor.core import check_outcomes
from components.schemas import Drift, FeatureFrame, MonitoringHistory
from components.schemas.tables import arrow_schema


class Request(TrackedRequest):
    """The day's features in; its drift table out, and the day's row of the monitoring table."""

    warehouse_url: str = ""  # empty: $FLIGHTS_WAREHOUSE_URL (on a cluster, the Secret's)
    scoring_features: InputFile
    drift: OutputFile


class Outcomes(BaseModel):
    """A scored day's predictions against what happened (``roc_auc`` is ``None`` when one outcome only)."""

    date: dt.date
    model_version: str
    flights: int
    observed_rate: float | None
    mean_predicted: float | None
    roc_auc: float | None
    brier: float | None


class Report(StageReport):
    """Drift of the day, and the day before checked against its outcomes (``None``: it was not scored)."""

    drift_max_psi: float | None
    drifted_features: list[str]
    yesterday: Outcomes | None
    yesterday_date: dt.date


def _yesterday(warehouse_url: str, day: dt.date) -> Outcomes | None:
    if not reads.table_exists(warehouse_url, PREDICTIONS_TABLE):
        return None
    predictions = reads.query_arrow(warehouse_url, "predictions_on", {"day": day}, (PREDICTIONS_TABLE,))
    if predictions.num_rows == 0:
        return None
    outcomes = reads.query_arrow(warehouse_url, "flights_between", {"start": day, "end": day + dt.timedelta(days=1)})
    result = check_outcomes(predictions.to_pandas(), outcomes.select(["flight_id", "disrupted"]).to_pandas())
    return Outcomes(date=day, model_version=predictions.column("model_version")[0].as_py(), **result)


def _monitoring_row(day: dt.date, version: str, scored: int, drift: Any, checked: Outcomes | None) -> pa.Table:
    """The day's row of the monitoring table, built with the table's own schema and checked by its model."""
    drifted = drift.loc[drift["drifted"], "feature"].tolist() if drift is not None else []
    row = {
        "run_date": day,
        "model_version": version,
        "scored_flights": scored,
        "drift_max_psi": float(drift["psi"].max()) if drift is not None and len(drift) else None,
        "drifted_features": json.dumps(drifted),
        "checked_date": checked.date if checked else None,
        **{
            f"checked_{name}": getattr(checked, name) if checked else None
            for name in ("flights", "roc_auc", "brier", "observed_rate", "mean_predicted")
        },
    }
    table = pa.Table.from_pylist([row], arrow_schema(MONITORING_TABLE))
    MonitoringHistory.validate(table.to_pandas(date_as_object=False), lazy=True)
    return table


def run(request: Request) -> Report:
    """Compute drift and yesterday's check; keep one row per day in the monitoring table."""
    day = request.run_date
    warehouse_url = resolve_warehouse_url(request.warehouse_url)
    uri = tracking.resolve_tracking_uri(request.tracking_uri)
    champion = tracking.champion(uri)
    features = read_frame(request.scoring_features, "scoring features", FeatureFrame)
    log = get_logger()
    drift = population_stability(tracking.load_reference(uri, champion), features) if champion else None
    yesterday = day - dt.timedelta(days=1)
    checked = _yesterday(warehouse_url, yesterday)
    if drift is not None:
        drift = Drift.validate(drift, lazy=True)  # our own output meets its contract before anyone reads it
        write_table(pa.Table.from_pandas(drift, preserve_index=False), request.drift)
    table = _monitoring_row(day, str(champion.version) if champion else "", len(features), drift, checked)
    replace_day_rows(warehouse_url, MONITORING_TABLE, day, table)
    if checked:
        log.info(
            "yesterday (%s): %d flights, roc_auc=%s brier=%s",
            yesterday,
            checked.flights,
            checked.roc_auc,
            checked.brier,
        )
    else:
        log.info("yesterday (%s) was not scored: nothing to check", yesterday)
    max_psi, drifted = table.column("drift_max_psi")[0].as_py(), json.loads(table.column("drifted_features")[0].as_py())
    figures = {"drift_max_psi": max_psi, "drifted_features": len(drifted)}
    if checked:
        outcome = ("flights", "roc_auc", "brier", "observed_rate", "mean_predicted")
        figures |= {f"yesterday_{name}": getattr(checked, name) for name in outcome}
    with tracking.stage_run(uri, request.tracking_run_id, f"{day} monitor", request.run_tags("monitor")) as run_id:
        tracking.log(uri, run_id, metrics=figures)
    log.info("drift: max PSI %s; drifted: %s", max_psi, drifted or "none")
    return Report(drift_max_psi=max_psi, drifted_features=drifted, yesterday=checked, yesterday_date=yesterday)
