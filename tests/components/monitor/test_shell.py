"""The monitor stage end to end on a real MLflow store (SQLite) and a real DuckDB warehouse: a champion whose
reference is its training window, a scored day with a broken input, and where its alerts end up."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from components.common import registry, tracking
from components.common.config import PromoteSettings, TrainSettings
from components.contracts import LABEL
from components.features.profile import profile_features
from components.monitor import shell as monitor
from components.train.core import fit_model, model_inputs

RUN_DATE = dt.date(2013, 5, 20)


@pytest.fixture
def champion(tmp_path: Path, history_features: pd.DataFrame, small_train_settings: TrainSettings) -> str:
    """A tracking store whose champion was trained on the days before the run date, with their profile."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    train = history_features[history_features["flight_date"] < pd.Timestamp(RUN_DATE)]
    run_id = tracking.start_run(uri, "train", {}, {})
    saved = registry.save_model(
        fit_model(train, small_train_settings), tmp_path / "model", profile_features(train), model_inputs(train).head(5)
    )
    version, _ = registry.register_saved(uri, run_id, saved, "fingerprint", {registry.ROLE_TAG: "challenger"})
    registry.set_champion(uri, version)
    return uri


def test_a_broken_input_is_an_alert_on_the_run_in_the_table_and_in_the_report(
    tmp_path: Path, champion: str, history_features: pd.DataFrame, duckdb_warehouse: str
) -> None:
    scored = history_features[history_features["flight_date"] == pd.Timestamp(RUN_DATE)].drop(columns=LABEL)
    features = tmp_path / "scoring_features.parquet"
    pq.write_table(pa.Table.from_pandas(scored.assign(plane_seats=np.nan), preserve_index=False), features)
    run_id = tracking.start_run(champion, str(RUN_DATE), {"run_date": str(RUN_DATE)}, {"promote.min_roc_auc": 0.7})
    request = monitor.Request(
        run_date=RUN_DATE, warehouse_url=duckdb_warehouse, tracking_uri=champion, tracking_run_id=run_id,
        scoring_features=features, drift=tmp_path / "drift.parquet",
    )  # fmt: skip

    report = monitor.run(request)

    assert [(a.kind, a.input, a.check) for a in report.alerts] == [("quality", "plane_seats", "null_share")]
    assert report.yesterday is None  # nothing was scored the day before
    run = tracking.client(champion).get_run(run_id).data
    assert json.loads(run.tags["alerts"]) == [report.alerts[0].model_dump()]
    assert (run.metrics["alerts_drift"], run.metrics["alerts_quality"], run.metrics["alerts_outcome"]) == (0, 1, 0)
    with duckdb.connect(duckdb_warehouse.removeprefix("duckdb:///"), read_only=True) as connection:
        [(alerts, quality)] = connection.execute("SELECT alerts, alerts_quality FROM flight_monitoring").fetchall()
    assert (json.loads(alerts), quality) == ([report.alerts[0].model_dump()], 1)
    statistics = pq.read_table(tmp_path / "drift.parquet").to_pandas()
    assert statistics["alert"].sum() == 1
    assert report.checked_statistics == len(statistics) > 50


def test_the_auc_floor_is_the_days_run_setting_else_the_policys(champion: str) -> None:
    run_id = tracking.start_run(champion, "day", {}, {"promote.min_roc_auc": 0.7})

    assert monitor._roc_auc_floor(champion, run_id) == 0.7
    assert monitor._roc_auc_floor(champion, tracking.start_run(champion, "inference", {}, {})) == 0.6
    assert monitor._roc_auc_floor(champion, "") == PromoteSettings().min_roc_auc
