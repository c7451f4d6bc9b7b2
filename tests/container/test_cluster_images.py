"""What the cluster runs besides the stages: the submit image (the CronJob's) and the ingest image's seed command.

Both run as in the cluster's restricted pods: their own user, a read-only root, no network, no capabilities.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml

import pipeline
from components.kfp_components import STAGES
from tests.container.conftest import _unavailable

pytestmark = pytest.mark.docker


def _run(
    docker_cli: str, image: str, *command: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    hardening = ["--read-only", "--tmpfs", "/tmp:rw,nosuid,nodev,size=256m", "--network", "none", "--cap-drop", "ALL"]
    environment = [part for key, value in (env or {}).items() for part in ("--env", f"{key}={value}")]
    return subprocess.run(
        [docker_cli, "run", "--rm", *hardening, "--security-opt", "no-new-privileges", *environment, image, *command],
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


def test_ingest_image_seeds_the_warehouse_named_by_the_environment(
    docker_cli: str, images: pipeline.StageImages, tmp_path: Path
) -> None:
    tmp_path.chmod(0o777)  # the image's own user writes here
    target = tmp_path / "wh.duckdb"
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
            "--volume",
            f"{tmp_path}:/data",
            "--env",
            "FLIGHTS_WAREHOUSE_URL=duckdb:////data/wh.duckdb",
            images.image("ingest"),
            "python3",
            "-m",
            "components.seed",
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
