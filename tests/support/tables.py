"""Small, hand-made warehouse tables for the tests of both backends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pyarrow as pa


def predictions(
    day: dt.date, flight_ids: Sequence[str], p_disrupted: Sequence[float | None] | None = None, model: str = "m1"
) -> pa.Table:
    """A day of ``flight_predictions`` rows for ``flight_ids`` (p_disrupted 0.25 unless given) by ``model``."""
    rows = len(flight_ids)
    return pa.table(
        {
            "run_date": pa.array([day] * rows, pa.date32()),
            "flight_id": list(flight_ids),
            "carrier": ["UA"] * rows,
            "flight": pa.array([1545] * rows, pa.int64()),
            "origin": ["EWR"] * rows,
            "dest": ["IAH"] * rows,
            "sched_dep_time": pa.array([515] * rows, pa.int64()),
            "p_disrupted": pa.array(list(p_disrupted) if p_disrupted is not None else [0.25] * rows, pa.float64()),
            "model_version": [model] * rows,
        }
    )


# flight_monitoring as the code before calibrated monitoring created it (drift as a max PSI and a list of names).
OLD_MONITORING_DDL = """CREATE TABLE flight_monitoring (
    run_date DATE NOT NULL, model_version VARCHAR NOT NULL, scored_flights BIGINT NOT NULL,
    drift_max_psi DOUBLE PRECISION, drifted_features VARCHAR, checked_date DATE, checked_flights BIGINT,
    checked_roc_auc DOUBLE PRECISION, checked_brier DOUBLE PRECISION, checked_observed_rate DOUBLE PRECISION,
    checked_mean_predicted DOUBLE PRECISION, PRIMARY KEY (run_date)
)"""
OLD_MONITORING_ROW = (
    "INSERT INTO flight_monitoring VALUES "
    "('2013-06-14', '1', 790, 6.44, '[\"temp\"]', NULL, NULL, NULL, NULL, NULL, NULL)"
)


def monitoring_row(day: dt.date, alerts: str = "[]", quality: int = 0) -> pa.Table:
    """A day's ``flight_monitoring`` row as monitor writes it (nothing checked the day before)."""
    from components.contracts import MONITORING_TABLE
    from components.schemas.tables import arrow_schema

    row = {"run_date": day, "model_version": "2", "scored_flights": 801, "alerts": alerts, "alerts_drift": 0,
           "alerts_quality": quality, "alerts_outcome": 0}  # fmt: skip
    return pa.Table.from_pylist([row], arrow_schema(MONITORING_TABLE))
