"""The tables the pipeline writes to the warehouse, one pandera model each, and everything derived from it.

Each model is the single definition of its table: the DDL both backends run (:func:`create_table_sql`), the Arrow
schema a row batch is built with (:func:`arrow_schema`) and the checks a frame passes before it is written. Every
datetime column of these tables holds a day (``DATE``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
import pyarrow
from pandera.typing import Series

from components.contracts import MONITORING_TABLE, PREDICTIONS_TABLE
from components.schemas.artifacts import KNOWN_CARRIERS, NYC_ORIGINS, StrictModel


class Predictions(StrictModel):
    """One probability per flight scheduled on the run date, and the model that made it (``flight_predictions``)."""

    run_date: Series[pd.Timestamp]
    flight_id: Series[str] = pa.Field(unique=True)
    carrier: Series[str] = pa.Field(isin=list(KNOWN_CARRIERS))
    flight: Series[int] = pa.Field(gt=0)
    origin: Series[str] = pa.Field(isin=list(NYC_ORIGINS))
    dest: Series[str]
    sched_dep_time: Series[int] = pa.Field(ge=0, le=2359)
    p_disrupted: Series[float] = pa.Field(ge=0.0, le=1.0)
    model_version: Series[str]


class MonitoringHistory(StrictModel):
    """The ``flight_monitoring`` table: one row per scored day (its alerts, and the day before checked).

    ``alerts`` is the day's alerts as a JSON list (``components.monitor.checks.Alert``), with their counts by kind.
    They are nullable for a table created before alerts were recorded: its old rows have none (see ``add_columns_sql``).
    """

    run_date: Series[pd.Timestamp] = pa.Field(unique=True)
    model_version: Series[str]
    scored_flights: Series[int] = pa.Field(ge=0)
    alerts: Series[str] = pa.Field(nullable=True)
    alerts_drift: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    alerts_quality: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    alerts_outcome: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    checked_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    checked_flights: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    checked_roc_auc: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    checked_brier: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    checked_observed_rate: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    checked_mean_predicted: Series[float] = pa.Field(nullable=True, ge=0, le=1)

    @pa.dataframe_check
    @classmethod
    def checked_date_is_the_day_before(cls, frame: pd.DataFrame) -> pd.Series:
        expected = pd.to_datetime(frame["run_date"]) - pd.Timedelta(days=1)
        return frame["checked_date"].isna() | (pd.to_datetime(frame["checked_date"]) == expected)


@dataclass(frozen=True)
class Table:
    """A warehouse table written by the pipeline: its model, its key, and the column a day's rows are found by."""

    name: str
    model: type[pa.DataFrameModel]
    primary_key: tuple[str, ...]
    day_column: str = "run_date"


TABLES = {
    PREDICTIONS_TABLE: Table(PREDICTIONS_TABLE, Predictions, ("run_date", "flight_id")),
    MONITORING_TABLE: Table(MONITORING_TABLE, MonitoringHistory, ("run_date",)),
}
# pandera dtype name -> (SQL type both backends take, Arrow type).
_TYPES = {
    "STRING": ("VARCHAR", pyarrow.string()),
    "INT64": ("BIGINT", pyarrow.int64()),
    "FLOAT64": ("DOUBLE PRECISION", pyarrow.float64()),
    "BOOL": ("BOOLEAN", pyarrow.bool_()),
    "DATETIME": ("DATE", pyarrow.date32()),
}


def _types(table: Table) -> list[tuple[str, str, pyarrow.DataType, bool]]:
    """(column, SQL type, Arrow type, nullable) for each column of the table's model, in order."""
    columns = []
    for name, column in table.model.to_schema().columns.items():
        kind = type(column.dtype).__name__.upper()
        if kind not in _TYPES:
            raise TypeError(f"{table.name}.{name}: no SQL type for pandera dtype {column.dtype}")
        sql, arrow = _TYPES[kind]
        columns.append((name, sql, arrow, bool(column.nullable)))
    return columns


def create_table_sql(name: str) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for one of :data:`TABLES`, generated from its model (portable SQL)."""
    table = TABLES[name]
    lines = [f"    {column} {sql}{'' if nullable else ' NOT NULL'}" for column, sql, _, nullable in _types(table)]
    lines.append(f"    PRIMARY KEY ({', '.join(table.primary_key)})")
    return f"CREATE TABLE IF NOT EXISTS {table.name} (\n" + ",\n".join(lines) + "\n)"


def add_columns_sql(name: str, present: list[str]) -> list[str]:
    """``ALTER TABLE ... ADD COLUMN IF NOT EXISTS`` for each of the model's columns a table created by older code lacks.

    Both backends run it as it is; an added column is nullable (the table's old rows have no value) and its old rows
    read NULL. Columns the model no longer has stay, and are left NULL by new rows (they must be nullable).
    """
    table = TABLES[name]
    return [
        f"ALTER TABLE {table.name} ADD COLUMN IF NOT EXISTS {column} {sql}"
        for column, sql, _, _ in _types(table)
        if column not in present
    ]


def arrow_schema(name: str) -> pyarrow.Schema:
    """The Arrow schema of one of :data:`TABLES`' rows, generated from its model."""
    return pyarrow.schema(
        [pyarrow.field(column, arrow, nullable) for column, _, arrow, nullable in _types(TABLES[name])]
    )
