"""Alerts that reach someone: the pipelines' exit task posts how the run ended, and the monitor's alerts, to a webhook.

The webhook's URL is ``$FLIGHTS_ALERT_WEBHOOK_URL`` (locally the CLI sets it from the config's ``alert_webhook_url``;
on a cluster it comes from the optional Secret ``flights-alerts``, key ``webhook-url``). Unset or empty: nothing is
sent. Every pipeline run that reaches its exit task sends one POST with a JSON body (``Content-Type:
application/json``)::

    {
      "text": "...",                the same as a chat message (Slack, Mattermost and Teams incoming webhooks show it)
      "state": "SUCCEEDED",         KFP's final state of the run: SUCCEEDED, FAILED, CANCELED, ...
      "pipeline": "daily",          daily or inference      } null when the run ended before its MLflow run
      "run_date": "2013-06-15",     the day the run was for } was opened (e.g. a day with no flights)
      "kfp_run_id": "...",
      "mlflow_run_id": "...",       null, as above
      "tracking_uri": "...",        the tracking store, never with its password
      "alerts": [                   the monitor's (the MLflow run's tag ``alerts``); [] when it raised none
        {"kind": "drift", "input": "wind_gust", "message": "..."}, ...
      ],
      "tracking_error": null        why the MLflow run could not be read, when it could not (the rest is still sent)
    }

A webhook that does not answer, or answers with an error, costs one WARNING line naming only the URL's host (a
webhook's URL is its credential) and never changes how the run ended. A timeout, a refused connection, a 429 or a
5xx is tried once more after a second; a 4xx is not.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from components.common import tracking
from components.common.deployment import ALERT_WEBHOOK_ENV
from components.common.errors import PipelineError
from components.common.logging import get_logger

ALERTS_TAG = "alerts"  # the MLflow run's tag the monitor writes: a JSON list of {"kind", "input", "message", ...}
TIMEOUT_SECONDS = 5.0
ATTEMPTS = 2
_RETRIED_HTTP = (429, 500, 502, 503, 504)


def webhook_url() -> str:
    """The webhook's URL from the environment (the exit task's entry reads it here); empty when unset."""
    return os.environ.get(ALERT_WEBHOOK_ENV, "").strip()


def is_webhook_url(url: str) -> bool:
    """Whether ``url`` is an http(s) URL with a host."""
    if any(character.isspace() or not character.isprintable() for character in url):
        return False
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a malformed host or port
        return False


def host_of(url: str) -> str:
    """The URL's host (and port), the only part of a webhook's URL that may be logged."""
    try:
        parts = urlsplit(url)
        return f"{parts.hostname}:{parts.port}" if parts.port else (parts.hostname or "(no host)")
    except ValueError:
        return "(malformed URL)"


def parse_alerts(tags: Mapping[str, str]) -> list[dict[str, Any]]:
    """The monitor's alerts from a run's tags; a tag that is not a JSON list of objects is reported as one alert."""
    raw = tags.get(ALERTS_TAG)
    if not raw:
        return []
    try:
        found = json.loads(raw)
    except ValueError:
        found = None
    if not isinstance(found, list) or not all(isinstance(alert, dict) for alert in found):
        return [{"kind": "unreadable", "input": ALERTS_TAG,
                 "message": "the run's alerts tag is not a JSON list of objects: see the MLflow run"}]  # fmt: skip
    return found


def chat_text(payload: Mapping[str, Any]) -> str:
    """The payload as a chat message: the day, the state and the alert count, one line per alert, then the runs."""
    alerts = payload["alerts"]
    count = f"{len(alerts)} alert{'' if len(alerts) == 1 else 's'}" if alerts else "no alerts"
    pipeline = payload["pipeline"] or "pipeline"
    lines = [f"flight-delay {pipeline} run for {payload['run_date'] or 'an unknown day'}: {payload['state']}, {count}"]
    lines += [f"- {item.get('kind', '?')} on {item.get('input', '?')}: {item.get('message', '')}" for item in alerts]
    if str(payload["state"]).upper() != "SUCCEEDED":
        lines.append("The run did not succeed: its KFP run's logs name the task that failed.")
    if payload["tracking_error"]:
        lines.append(f"Its MLflow run could not be read: {payload['tracking_error']}")
    where = (
        f"MLflow run {payload['mlflow_run_id']} in {payload['tracking_uri']}"
        if payload["mlflow_run_id"]
        else "no MLflow run"
    )
    lines.append(f"{where}; KFP run {payload['kfp_run_id']}")
    return "\n".join(lines)


def build_payload(
    state: str,
    kfp_run_id: str,
    tracking_uri: str,
    run_id: str | None = None,
    tags: Mapping[str, str] | None = None,
    tracking_error: str | None = None,
) -> dict[str, Any]:
    """The documented payload (see the module's docstring) of a run that ended in ``state``."""
    tags = tags or {}
    payload: dict[str, Any] = {
        "state": str(state),
        "pipeline": tags.get("pipeline"),
        "run_date": tags.get("run_date"),
        "kfp_run_id": kfp_run_id,
        "mlflow_run_id": run_id,
        "tracking_uri": tracking.shown(tracking_uri) if tracking_uri else None,
        "alerts": parse_alerts(tags),
        "tracking_error": tracking_error,
    }
    return {"text": chat_text(payload), **payload}


def _worth_retrying(error: BaseException) -> bool:
    if isinstance(error, urllib.error.HTTPError):
        return error.code in _RETRIED_HTTP
    return isinstance(error, (OSError, http.client.HTTPException))  # refused, reset, timed out, a broken answer


def _post(request: urllib.request.Request, timeout: float) -> None:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # send() checked: http(s) only
            response.read()
    except urllib.error.HTTPError as error:
        error.close()
        raise


def _reason(error: BaseException, url: str) -> str:
    """The error on one line, with nothing of the URL but its host."""
    if isinstance(error, urllib.error.HTTPError):
        text = f"HTTP {error.code} {error.reason}"
    elif isinstance(error, urllib.error.URLError):
        text = str(error.reason)
    else:
        text = str(error) or type(error).__name__
    text = " ".join(text.split())[:200].replace(url, host_of(url))
    path = urlsplit(url).path
    return text.replace(path, "/...") if len(path) > 1 else text


def send(url: str, payload: Mapping[str, Any], timeout: float = TIMEOUT_SECONDS) -> bool:
    """POST ``payload`` as JSON to the webhook; whether it was delivered. Never raises for the webhook's sake."""
    log = logging.LoggerAdapter(get_logger(), {"run_date": payload.get("run_date") or "-"})
    host = host_of(url)
    if not is_webhook_url(url):
        log.warning("alert webhook (host %s) is not an http(s):// URL: no alert sent", host)
        return False
    from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_fixed

    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "flight-delay-alerts"},
    )  # fmt: skip
    retrying = Retrying(
        retry=retry_if_exception(_worth_retrying), stop=stop_after_attempt(ATTEMPTS), wait=wait_fixed(1), reraise=True
    )
    try:
        retrying(_post, request, timeout)
    except (OSError, http.client.HTTPException) as error:
        attempts = retrying.statistics.get("attempt_number", 1)
        log.warning(
            "alert webhook at %s: not delivered after %d attempt(s) (%s); the run's result is unchanged",
            host, attempts, _reason(error, url),
        )  # fmt: skip
        return False
    except ValueError:  # what urllib refuses in a URL is_webhook_url let through; its message quotes the URL
        log.warning("alert webhook at %s: the URL is malformed; no alert sent", host)
        return False
    log.info("alert sent to the webhook at %s (%s)", host, payload.get("state"))
    return True


def notify(url: str, state: str, kfp_run_id: str, tracking_uri: str, tracking_error: str | None = None) -> bool:
    """Tell the webhook at ``url`` how the KFP run ended (nothing when ``url`` is empty); whether it was delivered.

    The day, the pipeline and the alerts come from the MLflow run the first task tagged with the KFP run's id. When
    the tracking store can't be read (or ``tracking_error`` says it could not be closed), what is known is sent.
    """
    if not url:
        return False
    run_id, tags = None, {}
    if tracking_error is None:
        try:
            found = tracking.runs_with(tracking_uri, f"tags.kfp_run_id = '{kfp_run_id}'", max_results=1)
        except PipelineError as error:
            tracking_error = str(error)
        else:
            if found:
                run_id, tags = str(found[0].info.run_id), dict(found[0].data.tags)
    return send(url, build_payload(state, kfp_run_id, tracking_uri, run_id, tags, tracking_error))
