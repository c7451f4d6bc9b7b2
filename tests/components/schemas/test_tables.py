"""The pipeline's warehouse tables are their pandera models: the DDL and the Arrow schema are generated from them,
and both backends create the table the model describes."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from components.contracts import MONITORING_TABLE, PREDICTIONS_TABLE
from components.schemas.tables import TABLES, arrow_schema, create_table_sql


@pytest.mark.parametrize("name", [PREDICTIONS_TABLE, MONITORING_TABLE])
def test_ddl_and_arrow_schema_list_the_models_columns_in_order(name: str) -> None:
    columns = list(TABLES[name].model.to_schema().columns)
    assert arrow_schema(name).names == columns
    ddl = create_table_sql(name)
    assert ddl.startswith(f"CREATE TABLE IF NOT EXISTS {name} (")
    assert [line.split()[0] for line in ddl.splitlines()[1:-2]] == columns


@pytest.mark.parametrize("name", [PREDICTIONS_TABLE, MONITORING_TABLE])
def test_duckdb_creates_the_table_the_model_describes(name: str) -> None:
    with duckdb.connect() as connection:
        connection.execute(create_table_sql(name))
        described = connection.execute(f"DESCRIBE {name}").fetchall()
    model = TABLES[name].model.to_schema().columns
    assert [row[0] for row in described] == list(model)
    nullable = {row[0]: row[2] == "YES" for row in described}
    assert nullable == {column: bool(spec.nullable) for column, spec in model.items()}
    keys = {row[0] for row in described if row[3] == "PRI"}
    assert keys == set(TABLES[name].primary_key)


def test_the_primary_key_refuses_a_second_row_for_a_flight_and_day() -> None:
    row = {"run_date": dt.date(2013, 6, 15), "flight_id": "f", "carrier": "UA", "flight": 1, "origin": "EWR",
           "dest": "ORD", "sched_dep_time": 600, "p_disrupted": 0.5, "model_version": "v"}  # fmt: skip
    with duckdb.connect() as connection:
        connection.register("rows", pa.Table.from_pylist([row, row], arrow_schema(PREDICTIONS_TABLE)))
        connection.execute(create_table_sql(PREDICTIONS_TABLE))
        with pytest.raises(duckdb.ConstraintException):
            connection.execute(f"INSERT INTO {PREDICTIONS_TABLE} SELECT * FROM rows")
