"""Monitor: the day's inputs judged against the champion's training window, and yesterday's outcomes; the alerts.

The checks and their bounds are :mod:`components.monitor.checks`. The alerts go to the day's MLflow run (metrics
``alerts_drift``, ``alerts_quality``, ``alerts_outcome`` and the tag ``alerts``: a JSON list the exit handler sends
on) and to the day's row of ``flight_monitoring``; every input's statistic and bounds are the ``drift`` artifact.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import pandas as pd
import pyarrow as pa
from pydantic import BaseModel

from components.common import registry, tracking
from components.common.artifacts import read_frame, write_table
from components.common.config import PromoteSettings, WindowSettings
from components.common.logging import get_logger
from components.common.stage import InputFile, OutputFile, StageReport, TrackedRequest
from components.common.warehouse import reads
from components.common.warehouse.url import resolve_warehouse_url
from components.common.warehouse.writes import replace_day_rows
from components.contracts import MONITORING_TABLE, PREDICTIONS_TABLE
from components.features.profile import REFERENCE_VERSION
from components.ingest.core import flights_params
from components.monitor.checks import Alert, alerts_tag, count_alerts, judge_day, judge_outcomes
from components.monitor.core import check_outcomes
from components.schemas import Drift, FeatureFrame, MonitoringHistory
from components.schemas.tables import arrow_schema

FLOOR_PARAM = "promote.min_roc_auc"  # the day's run's promotion floor (start_run logs the settings groups)


class Request(TrackedRequest):
    """The day's features in; its statistics table out, and the day's row of the monitoring table."""

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
    """The day's alerts (drift, quality, outcome), and the day before checked (``None``: it was not scored)."""

    alerts: list[Alert]
    checked_statistics: int
    yesterday: Outcomes | None
    yesterday_date: dt.date


def _yesterday(warehouse_url: str, day: dt.date) -> Outcomes | None:
    if not reads.table_exists(warehouse_url, PREDICTIONS_TABLE):
        return None
    predictions = reads.query_arrow(warehouse_url, "predictions_on", {"day": day}, (PREDICTIONS_TABLE,))
    if predictions.num_rows == 0:
        return None
    params = flights_params(day, day + dt.timedelta(days=1), WindowSettings())  # only the outcomes are read
    outcomes = reads.query_arrow(warehouse_url, "flights_between", params)
    result = check_outcomes(predictions.to_pandas(), outcomes.select(["flight_id", "disrupted"]).to_pandas())
    return Outcomes(date=day, model_version=predictions.column("model_version")[0].as_py(), **result)


def _roc_auc_floor(uri: str, run_id: str) -> float:
    """The promotion floor the day's run was configured with (its params), else the default policy's."""
    if run_id:
        with tracking.translated(uri):
            params = tracking.client(uri).get_run(run_id).data.params
        if FLOOR_PARAM in params:
            return float(params[FLOOR_PARAM])
    return PromoteSettings().min_roc_auc


def _reference(uri: str, champion: Any) -> Mapping[str, Any]:
    """The champion's training profile; an old one (no daily statistics) or none at all: nothing to judge against."""
    reference = registry.load_reference(uri, champion) if champion else {}
    if champion and reference.get("version") != REFERENCE_VERSION:
        get_logger().warning(
            "champion version %s has a reference.json from before calibrated monitoring: no drift or quality checks "
            "until a model trained by this code is champion (the next promotion, or `pipeline.py rollback --to`)",
            champion.version,
        )
    return reference


def _monitoring_row(day: dt.date, version: str, scored: int, alerts: list[Alert], checked: Outcomes | None) -> pa.Table:
    """The day's row of the monitoring table, built with the table's own schema and checked by its model."""
    row = {
        "run_date": day,
        "model_version": version,
        "scored_flights": scored,
        "alerts": json.dumps([alert.model_dump() for alert in alerts]),
        **count_alerts(alerts),
        "checked_date": checked.date if checked else None,
        **{
            f"checked_{name}": getattr(checked, name) if checked else None
            for name in ("flights", "roc_auc", "brier", "observed_rate", "mean_predicted")
        },
    }
    table = pa.Table.from_pylist([row], arrow_schema(MONITORING_TABLE))
    MonitoringHistory.validate(table.to_pandas(date_as_object=False), lazy=True)
    return table


def _statistics_table(frame: pd.DataFrame) -> pa.Table:
    """The ``drift`` artifact, checked by its model before anyone reads it."""
    checked = Drift.validate(frame.astype({"value": "float64", "low": "float64", "high": "float64"}), lazy=True)
    return pa.Table.from_pandas(checked, preserve_index=False)


def run(request: Request) -> Report:
    """Judge the day's inputs and yesterday's outcomes; record the alerts on the run and in the monitoring table."""
    day = request.run_date
    warehouse_url = resolve_warehouse_url(request.warehouse_url)
    uri = tracking.resolve_tracking_uri(request.tracking_uri)
    champion = registry.champion(uri)
    features = read_frame(request.scoring_features, "scoring features", FeatureFrame)
    log = get_logger()
    reference = _reference(uri, champion)
    statistics, alerts = judge_day(reference, features)
    yesterday = day - dt.timedelta(days=1)
    checked = _yesterday(warehouse_url, yesterday)
    floor = _roc_auc_floor(uri, request.tracking_run_id)
    alerts += judge_outcomes(checked.model_dump() if checked else None, reference, floor)
    write_table(_statistics_table(statistics), request.drift)
    table = _monitoring_row(day, str(champion.version) if champion else "", len(features), alerts, checked)
    replace_day_rows(warehouse_url, MONITORING_TABLE, day, table)
    if checked:
        shown = (yesterday, checked.flights, checked.roc_auc, checked.brier)
        log.info("yesterday (%s): %d flights, roc_auc=%s brier=%s", *shown)
    else:
        log.info("yesterday (%s) was not scored: nothing to check", yesterday)
    figures: dict[str, float | None] = {**count_alerts(alerts)}
    if checked:
        outcome = ("flights", "roc_auc", "brier", "observed_rate", "mean_predicted")
        figures |= {f"yesterday_{name}": getattr(checked, name) for name in outcome}
    with tracking.stage_run(uri, request.tracking_run_id, f"{day} monitor", request.run_tags("monitor")) as run_id:
        tracking.log(uri, run_id, metrics=figures, tags={"alerts": alerts_tag(alerts)})
    for alert in alerts:
        log.warning("%s alert: %s", alert.kind, alert.message)
    log.info("%d statistics checked; alerts: %s", len(statistics), count_alerts(alerts))
    return Report(alerts=alerts, checked_statistics=len(statistics), yesterday=checked, yesterday_date=yesterday)
