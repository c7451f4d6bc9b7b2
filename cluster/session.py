"""Connecting to a KFP API server: a fast reachability probe, then the real `kfp.Client`.

The SDK's own constructor has no timeout and retries a failing healthz for 25 s, so `connect` first asks
`/apis/v2beta1/healthz` itself with a short timeout and turns every way that can fail into one line.
The same healthz answers the backend version: the API server returns ``tag_name``; the UI's proxy
(`svc/ml-pipeline-ui`, what a port-forward reaches) wraps it as ``apiServerTagName``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import kfp
import urllib3
from kfp import Client
from kfp import client as client_module
from kfp.client.set_volume_credentials import ServiceAccountTokenVolumeCredentials
from packaging.version import InvalidVersion, Version

from components.common.errors import PipelineError

DEFAULT_HOST = "http://localhost:8080"
DEFAULT_NAMESPACE = "kubeflow"
HEALTHZ_PATH = "/apis/v2beta1/healthz"
PORT_FORWARD_HINT = "start `kubectl -n kubeflow port-forward svc/ml-pipeline-ui 8080:80` or set KFP_HOST"
# dsl.PIPELINE_JOB_SCHEDULE_TIME_UTC_PLACEHOLDER resolves to the scheduled slot from this backend on, and
# recurring runs without a pinned version (always the latest) stopped crashing the API server in 2.17.
MINIMUM_BACKEND = Version("2.17.0")
SDK_VERSION: str = kfp.__version__
# Credentials, for KFP behind authentication: a bearer token in KFP_TOKEN (a managed cluster's identity token), else
# the projected ServiceAccount token a pod has (the CronJob's, audience pipelines.kubeflow.org), else none.
TOKEN_ENV = "KFP_TOKEN"


def _credentials() -> dict[str, Any]:
    """The `kfp.Client` keyword arguments that authenticate it, if any."""
    if os.environ.get(TOKEN_ENV):
        return {"existing_token": os.environ[TOKEN_ENV]}
    token_path = os.environ.get(client_module.KF_PIPELINES_SA_TOKEN_ENV) or client_module.KF_PIPELINES_SA_TOKEN_PATH
    if os.path.isfile(token_path):
        return {"credentials": ServiceAccountTokenVolumeCredentials(token_path)}
    return {}


@dataclass(frozen=True)
class KfpSession:
    """A connected `kfp.Client` and the host it talks to (run links are built from the host)."""

    client: Client
    host: str
    namespace: str


def normalize_host(host: str) -> str:
    """`host` without a trailing slash; a one-line error unless it is an http(s) URL."""
    cleaned = host.strip().rstrip("/")
    if not cleaned.startswith(("http://", "https://")) or cleaned in {"http:", "https:"}:
        raise PipelineError(f"KFP host {host!r} is not an http(s) URL: pass --host http://HOST:PORT or set KFP_HOST")
    return cleaned


def _fetch_healthz(host: str, timeout_s: float) -> dict[str, Any]:
    url = f"{host}{HEALTHZ_PATH}"
    token = os.environ.get(TOKEN_ENV)
    headers = {"Authorization": f"Bearer {token}"} if token else None
    try:
        response = urllib3.request("GET", url, headers=headers, timeout=urllib3.Timeout(total=timeout_s), retries=False)
    except urllib3.exceptions.HTTPError as error:
        raise PipelineError(f"KFP not reachable at {host}: {PORT_FORWARD_HINT}") from error
    if response.status != 200:
        raise PipelineError(
            f"KFP at {host} answered HTTP {response.status} on {HEALTHZ_PATH}: "
            "check `kubectl -n kubeflow get pods` (ml-pipeline, ml-pipeline-ui) and that --host points at KFP"
        )
    try:
        body = json.loads(response.data)
    except ValueError as error:
        raise PipelineError(
            f"{host}{HEALTHZ_PATH} did not answer JSON, so this is not a KFP endpoint: point --host or KFP_HOST at KFP"
        ) from error
    if not isinstance(body, dict):
        raise PipelineError(f"{host}{HEALTHZ_PATH} did not answer a JSON object: point --host or KFP_HOST at KFP")
    if body.get("apiServerReady") is False:
        raise PipelineError(
            f"KFP UI at {host} is up but its API server is not ready: wait for "
            "`kubectl -n kubeflow rollout status deploy/ml-pipeline`, then retry"
        )
    return body


@contextlib.contextmanager
def quiet_sdk() -> Iterator[None]:
    """Silence the SDK's own prints ("Run details: ...") and its client warning: callers print the links."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        yield


def connect(host: str, namespace: str = DEFAULT_NAMESPACE, timeout_s: float = 5.0) -> KfpSession:
    """Probe healthz with a short timeout, then build the real `kfp.Client` for `host`."""
    cleaned = normalize_host(host)
    _fetch_healthz(cleaned, timeout_s)
    try:
        with quiet_sdk():
            client = Client(host=cleaned, namespace=namespace, **_credentials())
    except (urllib3.exceptions.HTTPError, TimeoutError) as error:
        raise PipelineError(f"KFP not reachable at {cleaned}: {PORT_FORWARD_HINT}") from error
    return KfpSession(client=client, host=cleaned, namespace=namespace)


def backend_version(session: KfpSession, timeout_s: float = 5.0) -> str:
    """The backend's release tag from healthz (``tag_name``, or ``apiServerTagName`` through the UI proxy)."""
    body = _fetch_healthz(session.host, timeout_s)
    tag = body.get("tag_name", body.get("apiServerTagName"))
    return str(tag) if tag else "unknown"


def _parse(version: str) -> Version | None:
    try:
        return Version(version.strip().removeprefix("v"))
    except InvalidVersion:
        return None


def version_skew(sdk: str, backend: str) -> str | None:
    """None when SDK and backend share major.minor and the backend is new enough; else one line saying what to do."""
    sdk_version, backend_parsed = _parse(sdk), _parse(backend)
    if backend_parsed is None:
        return (
            f"KFP backend version {backend!r} can't be compared with SDK {sdk}: "
            f"install a released KFP {MINIMUM_BACKEND.major}.{MINIMUM_BACKEND.minor}.x (`make cluster`)"
        )
    if backend_parsed < MINIMUM_BACKEND:
        return (
            f"KFP backend {backend} is older than {MINIMUM_BACKEND} (the schedule-time placeholder and "
            f"latest-version recurring runs need it; SDK is {sdk}): reinstall KFP with `make cluster-down cluster`"
        )
    if sdk_version is None:
        return f"KFP SDK version {sdk!r} is not a release: reinstall the SDK with `make install`"
    if (sdk_version.major, sdk_version.minor) != (backend_parsed.major, backend_parsed.minor):
        return (
            f"KFP SDK {sdk} and backend {backend} differ in major.minor: install KFP "
            f"{sdk_version.major}.{sdk_version.minor}.x on the cluster (`make cluster-down cluster`) or pin "
            f"kfp=={backend_parsed.major}.{backend_parsed.minor}.* in pyproject.toml"
        )
    return None


def require_backend(session: KfpSession) -> None:
    """Refuse to go on when the backend is known to be older than `MINIMUM_BACKEND` ('unknown' tags pass)."""
    backend = backend_version(session)
    parsed = _parse(backend)
    if parsed is not None and parsed < MINIMUM_BACKEND:
        skew = version_skew(SDK_VERSION, backend)
        raise PipelineError(skew or f"KFP backend {backend} is older than {MINIMUM_BACKEND}")


def run_url(host: str, run_id: str) -> str:
    """The KFP UI link of a run."""
    return f"{host.rstrip('/')}/#/runs/details/{run_id}"
