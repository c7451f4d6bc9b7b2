"""`make doctor`: each cluster precondition checked on its own, one line per problem.

The KFP API server can't run on these machines (no Kubernetes backend), so this talks to a stand-in HTTP
server implementing the subset of the v2beta1 REST API the SDK uses. The kind node and kubectl are replaced
by a command runner that returns recorded outputs; one test runs the real `docker exec` against a node that
does not exist.
"""

import json
import os
import shutil
import subprocess
from collections.abc import Sequence

import pytest

import cluster
from cluster.doctor import CommandResult
from tests.mlflow_server import MlflowServer
from tests.support.kfp_standin import KfpStandIn

KIND = "flight-delay"
NODE = "flight-delay-control-plane"
IMAGES = ["flight-delay/ingest:0123456789ab", "flight-delay/train:0123456789ab"]
HINT = "start `kubectl -n kubeflow port-forward svc/ml-pipeline-ui 8080:80` or set KFP_HOST"


def _crictl(*tags: str) -> str:
    return json.dumps({"images": [{"id": f"sha256:{i}", "repoTags": [tag], "size": "1"} for i, tag in enumerate(tags)]})


LOADED = _crictl(*(f"docker.io/{image}" for image in IMAGES), "registry.k8s.io/pause:3.10")


class FakeRunner:
    """Answers `docker exec ... crictl images` and `kubectl get secret` from recorded outputs."""

    def __init__(self, crictl: CommandResult, kubectl: CommandResult) -> None:
        self.answers = {"docker": crictl, "kubectl": kubectl}
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> CommandResult:
        self.calls.append(list(argv))
        return self.answers[argv[0]]


LOADED_RESULT = CommandResult(0, LOADED, "")
SECRET_FOUND = CommandResult(0, "secret/flights-warehouse\n", "")


def _runner(crictl: CommandResult = LOADED_RESULT, kubectl: CommandResult = SECRET_FOUND) -> FakeRunner:
    return FakeRunner(crictl, kubectl)


def test_all_good_is_an_empty_list(standin: KfpStandIn) -> None:
    runner = _runner()
    assert cluster.doctor(standin.host, "kubeflow", KIND, IMAGES, runner=runner, sdk_version="2.17.3") == []
    assert runner.calls == [
        ["docker", "exec", NODE, "crictl", "images", "-o", "json"],
        ["kubectl", "-n", "kubeflow", "get", "secret", "flights-warehouse", "-o", "name"],
    ]


def test_unreachable_kfp(closed_port_host: str) -> None:
    problems = cluster.doctor(closed_port_host, "kubeflow", KIND, IMAGES, runner=_runner(), sdk_version="2.17.3")
    assert problems == [f"KFP not reachable at {closed_port_host}: {HINT}"]


def test_version_skew() -> None:
    with KfpStandIn(tag_name="2.14.0") as standin:
        problems = cluster.doctor(standin.host, "kubeflow", KIND, IMAGES, runner=_runner(), sdk_version="2.17.3")
    assert problems == [
        "KFP backend 2.14.0 is older than 2.17.0 (the schedule-time placeholder and latest-version recurring runs "
        "need it; SDK is 2.17.3): reinstall KFP with `make cluster-down cluster`"
    ]


def test_images_missing_on_the_kind_node(standin: KfpStandIn) -> None:
    only_ingest = CommandResult(0, _crictl(f"docker.io/{IMAGES[0]}"), "")
    problems = cluster.doctor(standin.host, "kubeflow", KIND, IMAGES, runner=_runner(crictl=only_ingest))
    assert problems == [f"images missing on kind node {NODE}: {IMAGES[1]}: run `make build load`"]


def test_kind_node_missing(standin: KfpStandIn) -> None:
    no_node = CommandResult(1, "", f"Error response from daemon: No such container: {NODE}\n")
    problems = cluster.doctor(standin.host, "kubeflow", KIND, IMAGES, runner=_runner(crictl=no_node))
    assert problems == [
        f"kind node {NODE} not found: create the cluster with `make cluster` (or set KIND_CLUSTER; "
        "on a managed cluster, OVERLAY=managed skips this check)"
    ]


def test_no_kind_cluster_skips_the_image_check(standin: KfpStandIn) -> None:
    runner = _runner()
    assert cluster.doctor(standin.host, "kubeflow", None, IMAGES, runner=runner) == []
    assert [call[0] for call in runner.calls] == ["kubectl"]


def test_warehouse_secret_missing(standin: KfpStandIn) -> None:
    missing = CommandResult(1, "", 'Error from server (NotFound): secrets "flights-warehouse" not found\n')
    problems = cluster.doctor(standin.host, "kubeflow", KIND, IMAGES, runner=_runner(kubectl=missing))
    assert problems == [
        "warehouse Secret flights-warehouse missing in namespace kubeflow: create it with `make warehouse` "
        "(see k8s/ for the Secret template)"
    ]


def test_kubectl_without_a_cluster(standin: KfpStandIn) -> None:
    refused = CommandResult(1, "", "The connection to the server localhost:8080 was refused - did you specify...\n")
    problems = cluster.doctor(standin.host, "kubeflow", KIND, IMAGES, runner=_runner(kubectl=refused))
    assert problems == [
        "kubectl can't read Secret flights-warehouse in namespace kubeflow (The connection to the server "
        "localhost:8080 was refused - did you specify...): check `kubectl config current-context`"
    ]


def test_every_check_runs_even_when_the_others_fail(closed_port_host: str) -> None:
    runner = _runner(
        crictl=CommandResult(0, _crictl(), ""),
        kubectl=CommandResult(1, "", 'Error from server (NotFound): secrets "flights-warehouse" not found'),
    )
    problems = cluster.doctor(closed_port_host, "kubeflow", KIND, IMAGES, runner=runner)
    assert problems == [
        f"KFP not reachable at {closed_port_host}: {HINT}",
        f"images missing on kind node {NODE}: {', '.join(IMAGES)}: run `make build load`",
        "warehouse Secret flights-warehouse missing in namespace kubeflow: create it with `make warehouse` "
        "(see k8s/ for the Secret template)",
    ]


def test_missing_tools_are_named() -> None:
    absent = CommandResult(127, "", "docker: command not found")
    assert cluster.check_images(KIND, IMAGES, runner=_runner(crictl=absent)) == [
        f"docker not found, so images on kind node {NODE} can't be checked: install Docker"
    ]
    assert cluster.check_secret("kubeflow", runner=_runner(kubectl=CommandResult(127, "", ""))) == [
        "kubectl not found, so Secret flights-warehouse can't be checked: install kubectl"
    ]


def test_the_real_runner_reports_a_missing_kind_node() -> None:
    """The real `docker exec` against a node that does not exist (there is a Docker engine here, no kind node)."""
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "info"], capture_output=True, check=False).returncode != 0:
        if os.environ.get("REQUIRE_DOCKER") == "1":
            pytest.fail("no Docker engine answers (REQUIRE_DOCKER=1: this test must run here)", pytrace=False)
        pytest.skip("no Docker engine answers: start dockerd to run this test")
    assert cluster.check_images("no-such-kind-cluster", IMAGES) == [
        "kind node no-such-kind-cluster-control-plane not found: create the cluster with `make cluster` "
        "(or set KIND_CLUSTER; on a managed cluster, OVERLAY=managed skips this check)"
    ]


# The MLflow check: a real `mlflow server` (PostgreSQL-backed, tests/mlflow_server.py), and a port nothing answers.
TRACKING_FIX = (
    "start `make ui` (it port-forwards svc/flights-mlflow to http://127.0.0.1:5000; `make warehouse` deploys the "
    "server) or pass --tracking-uri"
)


@pytest.mark.postgres
def test_the_tracking_server_answers(mlflow_server: MlflowServer) -> None:
    assert cluster.check_tracking(mlflow_server.uri, "kubeflow") == []
    assert cluster.check_tracking(f"{mlflow_server.uri}/", "kubeflow") == []


@pytest.mark.postgres
def test_doctor_checks_the_tracking_server_after_the_rest(standin: KfpStandIn, mlflow_server: MlflowServer) -> None:
    runner = _runner()
    assert cluster.doctor(standin.host, "kubeflow", KIND, IMAGES, runner=runner, tracking_uri=mlflow_server.uri) == []


def test_a_closed_tracking_port_is_one_line(closed_port_host: str) -> None:
    problems = cluster.check_tracking(closed_port_host, "kubeflow", timeout=5)
    assert problems == [f"MLflow tracking server not reachable at {closed_port_host} ([Errno 111] Connection refused): "
                        f"{TRACKING_FIX}"]  # fmt: skip


def test_a_tracking_uri_that_is_no_server_is_one_line() -> None:
    assert cluster.check_tracking("sqlite:////tmp/mlflow.db", "kubeflow") == [
        f"tracking URI sqlite:////tmp/mlflow.db is not an MLflow server's http(s)://HOST:PORT: {TRACKING_FIX}"
    ]


def test_credentials_in_the_tracking_uri_never_reach_a_message(closed_port_host: str) -> None:
    with_credentials = closed_port_host.replace("http://", "http://user:s3cret@")
    [problem] = cluster.check_tracking(with_credentials, "kubeflow", timeout=5)
    assert "s3cret" not in problem
    assert problem.startswith(f"MLflow tracking server not reachable at {closed_port_host} (")


def test_a_server_that_is_not_mlflow_is_named(standin: KfpStandIn) -> None:
    """Something else listens there (the KFP stand-in, which has no /health): its HTTP status is named."""
    [problem] = cluster.check_tracking(standin.host, "team-a", timeout=5)
    assert problem.startswith(f"MLflow tracking server at {standin.host} answered /health with HTTP 404")
    assert problem.endswith("see `kubectl -n team-a logs deploy/flights-mlflow`")
