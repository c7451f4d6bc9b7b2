"""The stages in one process, in pipeline order, artifacts by name in one folder: the same ``run`` functions."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from components.cli.inprocess import run_stages, stage_values
from components.common.config import Settings
from components.common.deployment import STAGES
from components.common.errors import PipelineError

pytestmark = pytest.mark.slow


def test_the_daily_stages_in_one_process_score_every_flight_of_the_day(duckdb_warehouse: str, tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {"warehouse_url": duckdb_warehouse, "artifact_root": str(tmp_path / "artifacts"),
         "window": {"window_days": 14, "holdout_days": 7}, "train": {"max_iter": 30}}
    )  # fmt: skip
    reports = run_stages(STAGES, stage_values(tmp_path, settings, "2013-06-15"))

    assert list(reports) == list(STAGES)
    assert reports["predict"].model_version == reports["promote"].champion_version  # type: ignore[attr-defined]
    assert pq.read_table(tmp_path / "predictions.parquet").num_rows == reports["ingest"].scoring_rows == 801  # type: ignore[attr-defined]
    with duckdb.connect(duckdb_warehouse.removeprefix("duckdb:///"), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM flight_predictions").fetchone() == (801,)


def test_a_stage_error_stops_the_chain_with_its_one_line(duckdb_warehouse: str, tmp_path: Path) -> None:
    settings = Settings().with_overrides(warehouse_url=duckdb_warehouse, artifact_root=str(tmp_path / "artifacts"))
    with pytest.raises(PipelineError, match="run date 2013-02-01 has 31 day"):
        run_stages(STAGES, stage_values(tmp_path, settings, "2013-02-01"))
    assert not (tmp_path / "history.parquet").exists()


def test_every_settings_group_reaches_its_request_by_its_config_name(tmp_path: Path) -> None:
    """``validate`` is the request field ``validate_`` (BaseModel has a ``validate``): it must not be dropped."""
    from components.cli.inprocess import request_for

    settings = Settings.model_validate({"validate": {"max_quarantine_share": 0.25}, "window": {"window_days": 30}})
    values = stage_values(tmp_path, settings, "2013-06-15")
    assert request_for("validate", values).validate_.max_quarantine_share == 0.25
    assert request_for("ingest", values).window.window_days == 30
