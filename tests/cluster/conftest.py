"""Fixtures for the cluster client tests: a compiled pipeline package and a fresh KFP API stand-in per test.

The KFP API server can't run on these machines (no Kubernetes backend), so this talks to a stand-in HTTP
server implementing the subset of the v2beta1 REST API the SDK uses.
"""

# No `from __future__ import annotations`: KFP reads the component annotations as types when decorating.
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from kfp import compiler, dsl, kubernetes

import cluster
from tests.support.kfp_standin import KfpStandIn

PIPELINE = "flight-delay-daily"
EXPERIMENT = "flight-delay"


@dsl.container_component
def _report(run_date: str) -> dsl.ContainerSpec:
    return dsl.ContainerSpec(image="flight-delay/ingest:0123456789ab", command=["echo", run_date])


@dsl.pipeline(name="tiny-daily")
def _tiny_daily(run_date: str = "2013-06-01", replay_year: int = 2013) -> None:
    task = _report(run_date=run_date)
    kubernetes.use_secret_as_env(
        task, secret_name="flights-warehouse", secret_key_to_env={"url": "FLIGHTS_WAREHOUSE_URL"}
    )


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real compiled KFP package: pipeline spec plus the kfp-kubernetes platform spec (two YAML documents)."""
    path = tmp_path_factory.mktemp("package") / "tiny_daily.yaml"
    compiler.Compiler().compile(_tiny_daily, str(path))
    return path


@pytest.fixture
def standin() -> Iterator[KfpStandIn]:
    with KfpStandIn() as server:
        yield server


@pytest.fixture
def session(standin: KfpStandIn) -> cluster.KfpSession:
    return cluster.connect(standin.host)


@pytest.fixture
def ref(session: cluster.KfpSession, package: Path) -> cluster.PipelineRef:
    return cluster.upload_pipeline_version(session, package, PIPELINE, "0123456789ab")


@pytest.fixture
def closed_port_host() -> str:
    """A loopback URL nothing listens on (the port was just free)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
