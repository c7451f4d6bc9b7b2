"""Connecting to KFP and comparing versions, against the real `kfp.Client`.

The KFP API server can't run on these machines (no Kubernetes backend), so this talks to a stand-in HTTP
server implementing the subset of the v2beta1 REST API the SDK uses.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

import cluster
from components.common.errors import PipelineError
from tests.support.kfp_standin import KfpStandIn

HINT = "start `kubectl -n kubeflow port-forward svc/ml-pipeline-ui 8080:80` or set KFP_HOST"


def test_connect_returns_a_real_client_for_the_host(standin: KfpStandIn) -> None:
    session = cluster.connect(standin.host + "/")
    assert session.host == standin.host
    assert type(session.client).__module__ == "kfp.client.client"
    assert session.client.get_kfp_healthz().multi_user is False


def test_unreachable_host_is_one_line_naming_the_fix(closed_port_host: str) -> None:
    with pytest.raises(PipelineError) as caught:
        cluster.connect(closed_port_host)
    assert str(caught.value) == f"KFP not reachable at {closed_port_host}: {HINT}"


def test_a_host_that_accepts_but_never_answers_times_out_fast() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections queue in the backlog; nothing ever answers
        host = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(PipelineError) as caught:
            cluster.connect(host, timeout_s=0.2)
        assert time.monotonic() - started < 5
    assert str(caught.value) == f"KFP not reachable at {host}: {HINT}"


def test_a_host_that_is_not_a_url_is_refused_before_any_request() -> None:
    with pytest.raises(PipelineError) as caught:
        cluster.connect("localhost:8080")
    assert str(caught.value) == (
        "KFP host 'localhost:8080' is not an http(s) URL: pass --host http://HOST:PORT or set KFP_HOST"
    )


def test_an_unhealthy_api_server_names_the_status() -> None:
    with KfpStandIn(healthz_status=503) as standin, pytest.raises(PipelineError) as caught:
        cluster.connect(standin.host)
    assert str(caught.value) == (
        f"KFP at {standin.host} answered HTTP 503 on /apis/v2beta1/healthz: check `kubectl -n kubeflow get pods` "
        "(ml-pipeline, ml-pipeline-ui) and that --host points at KFP"
    )


def test_ui_proxy_with_its_api_server_down_is_reported() -> None:
    with KfpStandIn(via_ui_proxy=True, api_server_ready=False) as standin, pytest.raises(PipelineError) as caught:
        cluster.connect(standin.host)
    assert str(caught.value) == (
        f"KFP UI at {standin.host} is up but its API server is not ready: wait for "
        "`kubectl -n kubeflow rollout status deploy/ml-pipeline`, then retry"
    )


@pytest.mark.parametrize("via_ui_proxy", [False, True], ids=["api-server", "ui-proxy"])
def test_backend_version_reads_the_tag_directly_or_through_the_ui(via_ui_proxy: bool) -> None:
    with KfpStandIn(tag_name="2.17.3", via_ui_proxy=via_ui_proxy) as standin:
        assert cluster.backend_version(cluster.connect(standin.host)) == "2.17.3"


@pytest.mark.parametrize(
    ("sdk", "backend", "expected"),
    [
        ("2.17.3", "2.17.0", None),
        ("2.17.3", "v2.17.1", None),
        (
            "2.17.3",
            "2.14.0",
            "KFP backend 2.14.0 is older than 2.17.0 (the schedule-time placeholder and latest-version recurring runs "
            "need it; SDK is 2.17.3): reinstall KFP with `make cluster-down cluster`",
        ),
        (
            "2.17.3",
            "2.18.0",
            "KFP SDK 2.17.3 and backend 2.18.0 differ in major.minor: install KFP 2.17.x on the cluster "
            "(`make cluster-down cluster`) or pin kfp==2.18.* in pyproject.toml",
        ),
        (
            "2.17.3",
            "unknown",
            "KFP backend version 'unknown' can't be compared with SDK 2.17.3: install a released KFP 2.17.x "
            "(`make cluster`)",
        ),
    ],
    ids=["same", "same-with-v", "older-than-minimum", "newer-minor", "unknown"],
)
def test_version_skew(sdk: str, backend: str, expected: str | None) -> None:
    assert cluster.version_skew(sdk, backend) == expected


def test_run_url_is_the_ui_run_page() -> None:
    assert cluster.run_url("http://localhost:8080/", "abc") == "http://localhost:8080/#/runs/details/abc"


def test_credentials_come_from_kfp_token_else_the_projected_token_else_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from kfp.client.set_volume_credentials import ServiceAccountTokenVolumeCredentials

    from cluster.session import _credentials

    token_file = tmp_path / "token"
    monkeypatch.delenv("KFP_TOKEN", raising=False)
    monkeypatch.setenv("KF_PIPELINES_SA_TOKEN_PATH", str(token_file))
    assert _credentials() == {}  # no token file: standalone KFP needs none

    token_file.write_text("projected-token")
    credentials = _credentials()["credentials"]
    assert isinstance(credentials, ServiceAccountTokenVolumeCredentials)
    assert credentials._get_token() == "projected-token"

    monkeypatch.setenv("KFP_TOKEN", "bearer-token")
    assert _credentials() == {"existing_token": "bearer-token"}
