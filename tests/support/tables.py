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
