"""Alerts from the real pipelines on the local runner: the config's webhook (a real HTTP server on loopback) hears
how each run ended, from the exit handler kfp.local runs: a failed inference run, a succeeded daily run of the same
day, then the next day with its temperatures reported in Celsius (an alert), one POST each, never a pipeline
parameter, and nothing left in the CLI's environment afterwards."""

import json
import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

import pipeline
from components.common.alerts import parse_alerts
from components.common.deployment import ALERT_WEBHOOK_ENV
from tests.pipeline.conftest import DAY, NEXT_DAY
from tests.support import tracking
from tests.support.webhook import SECRET_PATH, webhook_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def told(seeded_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two real runs of DAY with the webhook in the config: inference on an empty registry (it fails at predict: no
    champion), then daily (it succeeds). What the webhook received, and the runs' MLflow store."""
    root = tmp_path_factory.mktemp("alerts")
    warehouse = root / "warehouse.duckdb"
    warehouse.write_bytes(seeded_warehouse.read_bytes())
    year, month, day = (int(part) for part in NEXT_DAY.split("-"))
    with duckdb.connect(str(warehouse)) as connection:  # the next day's thermometers switch to Celsius
        connection.execute(
            "UPDATE weather SET temp = (temp - 32) * 5 / 9 WHERE year = ? AND month = ? AND day = ?", [year, month, day]
        )
    stores = ["--warehouse-url", f"duckdb:///{warehouse}", "--artifact-root", str(root / "artifacts")]
    options = ["--date", DAY, *stores]
    before = os.environ.get(ALERT_WEBHOOK_ENV)
    with webhook_server() as webhook:
        config = root / "config.yaml"
        config.write_text(f'alert_webhook_url: "{webhook.url}"\n')
        failed = pipeline.main(["-q", "run", "--pipeline", "inference", "--config", str(config), *options])
        succeeded = pipeline.main(["-q", "run", "--config", str(config), *options])
        alerted = pipeline.main(["-q", "run", "--config", str(config), "--date", NEXT_DAY, *stores])
    return {"codes": (failed, succeeded, alerted), "webhook": webhook, "uri": tracking.local_uri(root / "artifacts"),
            "environment": (before, os.environ.get(ALERT_WEBHOOK_ENV))}  # fmt: skip


def test_each_run_is_one_post_with_its_state_and_day(told: dict[str, Any]) -> None:
    assert told["codes"] == (2, 0, 0)
    webhook = told["webhook"]
    assert [request.path for request in webhook.received] == [SECRET_PATH] * 3
    failed, succeeded, _ = webhook.posts
    assert (failed["state"], failed["pipeline"], failed["run_date"]) == ("FAILED", "inference", DAY)
    assert (succeeded["state"], succeeded["pipeline"], succeeded["run_date"]) == ("SUCCEEDED", "daily", DAY)
    assert failed["text"].startswith(f"flight-delay inference run for {DAY}: FAILED")
    assert succeeded["text"].startswith(f"flight-delay daily run for {DAY}: SUCCEEDED")
    assert succeeded["alerts"] == []


def test_a_day_with_an_alert_sends_it_naming_the_input(told: dict[str, Any]) -> None:
    alerted = told["webhook"].posts[2]
    assert (alerted["state"], alerted["run_date"]) == ("SUCCEEDED", NEXT_DAY)
    assert "temp" in {alert["input"] for alert in alerted["alerts"]}
    assert {alert["kind"] for alert in alerted["alerts"] if alert["input"] == "temp"} <= {"drift", "quality"}
    assert alerted["text"].startswith(f"flight-delay daily run for {NEXT_DAY}: SUCCEEDED, ")
    assert " on temp: " in alerted["text"]


def test_the_posts_name_the_mlflow_runs_closed_before_them(told: dict[str, Any]) -> None:
    runs = tracking.runs(told["uri"])  # oldest first
    assert [(run.info.status, run.data.tags["pipeline"]) for run in runs] == [
        ("FAILED", "inference"), ("FINISHED", "daily"), ("FINISHED", "daily"),
    ]  # fmt: skip
    for run, payload in zip(runs, told["webhook"].posts, strict=True):
        assert payload["mlflow_run_id"] == run.info.run_id
        assert payload["kfp_run_id"] == run.data.tags["kfp_run_id"]
        assert payload["tracking_uri"] == told["uri"]
        # Whatever the monitor raised on the run (its `alerts` tag) is what was sent, one line each.
        assert payload["alerts"] == parse_alerts(run.data.tags)
        for alert in payload["alerts"]:
            assert f"{alert['kind']} on {alert['input']}: " in payload["text"]
        assert json.loads(json.dumps(payload)) == payload


def test_the_webhook_is_set_for_the_run_only(told: dict[str, Any]) -> None:
    before, after = told["environment"]
    assert after == before
