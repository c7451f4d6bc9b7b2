"""The exit task's alerts against a real webhook (an HTTP server on loopback) and MLflow's real SQLite store: what is
sent when a run succeeds, fails or carries the monitor's alerts; nothing when no webhook is set; and a webhook that
does not answer, or answers with an error, costs one WARNING line without its URL's secret, never the run."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from components.common import alerts, run_tracking
from components.common.deployment import ALERT_WEBHOOK_ENV
from components.common.stage import ERROR_MARK
from tests.support import tracking
from tests.support.webhook import SECRET_PATH, closed_port_url, webhook_server

PAYLOAD_KEYS = {"text", "state", "pipeline", "run_date", "kfp_run_id", "mlflow_run_id", "tracking_uri", "alerts",
                "tracking_error"}  # fmt: skip
MONITOR_ALERTS = [
    {"kind": "drift", "input": "wind_gust", "message": "PSI 0.41 against the training window (limit 0.25)"},
    {"kind": "quality", "input": "dep_hour", "message": "3.1% missing, 0.2% on a usual day"},
    {"kind": "outcome", "input": "roc_auc", "message": "yesterday's ROC AUC 0.58, below 0.60"},
]


@pytest.fixture(scope="module")
def uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One real store for the module (each test opens runs under a KFP run id of its own)."""
    return tracking.local_uri(tmp_path_factory.mktemp("alerts") / "artifacts")


def _open_run(uri: str, **tags: str) -> tuple[str, str]:
    """A pipeline run's MLflow run, opened as the first task opens it; returns (KFP run id, MLflow run id)."""
    kfp_run_id = f"kfp-{uuid.uuid4().hex[:8]}"
    _, run_id = run_tracking.start({
        "run_date": "2013-06-15", "scheduled_time": "", "replay_year": 0, "tracking_uri": uri, "pipeline": "daily",
        "code_version": "abc123", "images": "{}", "kfp_run_id": kfp_run_id,
        "window": {"window_days": 90, "holdout_days": 7}, "validate": {"max_quarantine_share": 0.02},
    })  # fmt: skip
    for key, value in tags.items():
        tracking.client(uri).set_tag(run_id, key, value)
    return kfp_run_id, run_id


def _finish(uri: str, kfp_run_id: str, state: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(
        run_tracking.finish({"tracking_uri": uri, "kfp_run_id": kfp_run_id, "status": {"state": state}})
    )
    return result


def _status(uri: str, run_id: str) -> str:
    return str(tracking.client(uri).get_run(run_id).info.status)


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if " WARNING run_date=" in line]


def test_a_succeeded_run_without_alerts_is_one_post_naming_the_day_and_state(
    uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    kfp_run_id, run_id = _open_run(uri)
    with webhook_server() as webhook:
        monkeypatch.setenv(ALERT_WEBHOOK_ENV, webhook.url)
        assert _finish(uri, kfp_run_id, "SUCCEEDED") == {"state": "SUCCEEDED", "closed_runs": [run_id]}
    [request] = webhook.received
    assert (request.method, request.path, request.headers["Content-Type"]) == ("POST", SECRET_PATH, "application/json")
    payload = request.body
    assert set(payload) == PAYLOAD_KEYS
    assert {key: payload[key] for key in PAYLOAD_KEYS - {"text"}} == {
        "state": "SUCCEEDED", "pipeline": "daily", "run_date": "2013-06-15", "kfp_run_id": kfp_run_id,
        "mlflow_run_id": run_id, "tracking_uri": uri, "alerts": [], "tracking_error": None,
    }  # fmt: skip
    first, *rest = payload["text"].splitlines()
    assert first == "flight-delay daily run for 2013-06-15: SUCCEEDED, no alerts"
    assert rest == [f"MLflow run {run_id} in {uri}; KFP run {kfp_run_id}"]
    assert _status(uri, run_id) == "FINISHED"  # closed first, then told


def test_a_failed_run_says_so(uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    kfp_run_id, run_id = _open_run(uri)
    with webhook_server() as webhook:
        monkeypatch.setenv(ALERT_WEBHOOK_ENV, webhook.url)
        _finish(uri, kfp_run_id, "FAILED")
    [payload] = webhook.posts
    assert (payload["state"], payload["run_date"], payload["mlflow_run_id"]) == ("FAILED", "2013-06-15", run_id)
    lines = payload["text"].splitlines()
    assert lines[0] == "flight-delay daily run for 2013-06-15: FAILED, no alerts"
    assert "The run did not succeed: its KFP run's logs name the task that failed." in lines
    assert _status(uri, run_id) == "FAILED"


def test_the_monitors_alerts_are_sent_from_the_runs_tag(uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    kfp_run_id, _ = _open_run(uri, alerts=json.dumps(MONITOR_ALERTS))
    with webhook_server() as webhook:
        monkeypatch.setenv(ALERT_WEBHOOK_ENV, webhook.url)
        _finish(uri, kfp_run_id, "SUCCEEDED")
    [payload] = webhook.posts
    assert payload["alerts"] == MONITOR_ALERTS
    lines = payload["text"].splitlines()
    assert lines[0] == "flight-delay daily run for 2013-06-15: SUCCEEDED, 3 alerts"
    assert lines[1:4] == [f"- {a['kind']} on {a['input']}: {a['message']}" for a in MONITOR_ALERTS]


def test_nothing_is_sent_when_no_webhook_is_set(uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    kfp_run_id, run_id = _open_run(uri)
    monkeypatch.delenv(ALERT_WEBHOOK_ENV, raising=False)
    with webhook_server() as webhook:
        assert _finish(uri, kfp_run_id, "SUCCEEDED")["closed_runs"] == [run_id]
    assert webhook.received == []


@pytest.mark.parametrize(("answer", "attempts", "reason"), [(500, 2, "HTTP 500"), (404, 1, "HTTP 404")])
def test_a_webhook_answering_an_error_is_one_warning_and_the_run_is_unchanged(
    uri: str, answer: int, attempts: int, reason: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """A 5xx is tried once more (it may pass), a 4xx is not; either way the exit task ends normally."""
    kfp_run_id, run_id = _open_run(uri)
    with webhook_server(status=answer) as webhook:
        monkeypatch.setenv(ALERT_WEBHOOK_ENV, webhook.url)
        assert _finish(uri, kfp_run_id, "SUCCEEDED") == {"state": "SUCCEEDED", "closed_runs": [run_id]}
    assert len(webhook.posts) == attempts
    err = capsys.readouterr().err
    [warning] = _warnings(err)
    assert f"alert webhook at 127.0.0.1:{webhook.port}: not delivered after {attempts} attempt(s) ({reason}" in warning
    assert "stage=finish" in warning
    assert "secret-token" not in err
    assert "/hooks/" not in err
    assert _status(uri, run_id) == "FINISHED"


def test_an_unreachable_webhook_is_one_warning_and_the_run_is_unchanged(
    uri: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    kfp_run_id, run_id = _open_run(uri)
    url = closed_port_url()
    monkeypatch.setenv(ALERT_WEBHOOK_ENV, url)
    assert _finish(uri, kfp_run_id, "FAILED") == {"state": "FAILED", "closed_runs": [run_id]}
    err = capsys.readouterr().err
    [warning] = _warnings(err)
    assert f"alert webhook at {alerts.host_of(url)}: not delivered after 2 attempt(s) (" in warning
    assert "Connection refused" in warning
    assert "secret-token" not in err
    assert _status(uri, run_id) == "FAILED"


def test_a_webhook_that_is_not_an_http_url_is_one_warning(monkeypatch: pytest.MonkeyPatch, uri: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """On a cluster the URL comes from a Secret nobody validated: a bad one is not sent, and not shown."""
    kfp_run_id, _ = _open_run(uri)
    monkeypatch.setenv(ALERT_WEBHOOK_ENV, "hooks.example.com/secret-token")
    _finish(uri, kfp_run_id, "SUCCEEDED")
    err = capsys.readouterr().err
    [warning] = _warnings(err)
    assert "is not an http(s):// URL: no alert sent" in warning
    assert "secret-token" not in err


def test_a_tracking_store_that_cant_be_read_still_sends_what_is_known(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The exit task fails (it could not close the run), but the webhook hears that the run ended, and why."""
    with webhook_server() as webhook:
        monkeypatch.setenv(ALERT_WEBHOOK_ENV, webhook.url)
        with pytest.raises(SystemExit) as raised:
            _finish("ftp://user:pw@host/store", "kfp-x", "FAILED")
    assert raised.value.code == 1
    [payload] = webhook.posts
    assert (payload["state"], payload["run_date"], payload["mlflow_run_id"]) == ("FAILED", None, None)
    assert payload["tracking_uri"] == "ftp://user:***@host/store"
    assert "unknown scheme 'ftp'" in payload["tracking_error"]
    assert payload["text"].splitlines()[0] == "flight-delay pipeline run for an unknown day: FAILED, no alerts"
    assert "pw@" not in json.dumps(payload)
    assert any(ERROR_MARK in line for line in capsys.readouterr().err.splitlines())


@pytest.mark.parametrize("tag", ["not json", '{"kind": "drift"}', '["a line"]'])
def test_an_alerts_tag_that_is_not_a_list_of_objects_is_reported_not_dropped(tag: str) -> None:
    [alert] = alerts.parse_alerts({"alerts": tag})
    assert (alert["kind"], alert["input"]) == ("unreadable", "alerts")


@pytest.mark.parametrize(
    ("url", "valid"),
    [("https://hooks.slack.com/services/T/B/x", True), ("http://127.0.0.1:8080/hook", True), ("", False),
     ("ftp://host/x", False), ("https:///no-host", False), ("https://host:99999/x", False),
     ("https://host/with space", False), ("hooks.example.com/x", False)],
)  # fmt: skip
def test_only_http_urls_with_a_host_are_webhooks(url: str, valid: bool) -> None:
    assert alerts.is_webhook_url(url) is valid


def test_the_logged_host_never_carries_the_path_or_credentials() -> None:
    assert alerts.host_of("https://user:pw@hooks.example.com:8443/services/secret") == "hooks.example.com:8443"
    assert alerts.host_of("https://hooks.example.com/services/secret") == "hooks.example.com"


def test_the_payload_is_json_and_its_text_a_chat_message(tmp_path: Path) -> None:
    """The documented shape without any store: what build_payload gives for a run's tags."""
    payload = alerts.build_payload(
        "SUCCEEDED", "kfp-1", "http://mlflow:5000", "run-1",
        {"run_date": "2013-07-01", "pipeline": "inference", "alerts": json.dumps(MONITOR_ALERTS[:1])},
    )  # fmt: skip
    assert json.loads(json.dumps(payload)) == payload
    assert payload["text"].splitlines() == [
        "flight-delay inference run for 2013-07-01: SUCCEEDED, 1 alert",
        "- drift on wind_gust: PSI 0.41 against the training window (limit 0.25)",
        "MLflow run run-1 in http://mlflow:5000; KFP run kfp-1",
    ]
