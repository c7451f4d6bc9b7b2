"""The container suite's fixtures: a Docker engine, the built stage images, and small real inputs.

The inputs are made once per session on the host, by the stages' own command lines on a freshly seeded
warehouse with a two-week window (a few MB of parquet): every stage image then runs on them, read-only.
Without an engine or the images the tests skip with the reason; with ``REQUIRE_DOCKER=1`` (CI) they fail.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import duckdb
import pyarrow.parquet as pq
import pytest

import pipeline
from components.common.deployment import STAGES, code_version
from components.common.warehouse.seed import seed_warehouse
from tests.support import tracking
from tests.support.required import unavailable

RUN_DATE = "2013-08-15"  # a day whose first challenger beats the baseline on this small window: the refit serves
WINDOW_DAYS = 14
HOLDOUT_DAYS = 7
MAX_ITER = 40  # a small model: the suite checks the images, not the model
# The settings groups as the stages' command lines take them: JSON, missing keys at their defaults.
WINDOW = json.dumps({"window_days": WINDOW_DAYS, "holdout_days": HOLDOUT_DAYS})
TRAIN = json.dumps({"max_iter": MAX_ITER})
MISSING_COLUMN = "carrier"  # the column the broken "missing column" inputs lack
STORE_ROOT = "artifacts"  # the artifact root (of the local MLflow store) the host-side stages write


def _unavailable(reason: str) -> NoReturn:
    unavailable(reason, "REQUIRE_DOCKER", "the container tests")


@pytest.fixture(scope="session")
def docker_cli() -> str:
    """The docker CLI, with an engine that answers."""
    executable = shutil.which("docker")
    if executable is None:
        _unavailable("no docker CLI on PATH: install Docker to run the container tests")
    if subprocess.run([executable, "info"], capture_output=True, check=False).returncode != 0:
        _unavailable("no Docker engine answers (docker info failed): start dockerd, then make test-containers")
    return executable


@pytest.fixture(scope="session")
def images(docker_cli: str) -> pipeline.StageImages:
    """The stage images under test: IMAGE_REPO/IMAGE_TAG as `make test-containers` passes them (or the git commit)."""
    found = pipeline.StageImages(
        os.environ.get("IMAGE_REPO") or "flight-delay", os.environ.get("IMAGE_TAG") or code_version()
    )
    missing = [
        found.image(stage)
        for stage in (*STAGES, "submit")
        if subprocess.run(
            [docker_cli, "image", "inspect", found.image(stage)], capture_output=True, check=False
        ).returncode
        != 0
    ]
    if missing:
        _unavailable(f"image(s) not built: {', '.join(missing)}: run make build IMAGE_TAG={found.tag}")
    return found


def _user() -> list[str]:
    """The image's own non-root user; a non-root caller's uid instead, so it can read what the stage wrote."""
    return [] if os.getuid() == 0 else ["--user", f"{os.getuid()}:{os.getgid()}"]


def docker_run(
    docker_cli: str,
    image: str,
    mounts: list[str],
    *command: str,
    network: str = "none",
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``docker run`` as a restricted pod would run it: read-only root, a tmpfs /tmp, no capabilities, no network
    (unless ``network``), no privilege escalation; ``mounts`` as ``HOST:CONTAINER[:ro]``."""
    hardening = ["--read-only", "--tmpfs", "/tmp:rw,nosuid,nodev,size=256m", "--network", network, "--cap-drop", "ALL"]
    volumes = [part for mount in mounts for part in ("--volume", mount)]
    variables = [part for name, value in (env or {}).items() for part in ("--env", f"{name}={value}")]
    return subprocess.run(
        [
            docker_cli,
            "run",
            "--rm",
            *hardening,
            "--security-opt",
            "no-new-privileges",
            *_user(),
            *volumes,
            *variables,
            image,
            *command,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _cli(stage: str, **options: object) -> dict[str, object]:
    """Run a stage's command line in this process (``model_version=v`` is ``--model-version v``); its JSON report."""
    from components.common.stage import main

    argv = [part for name, value in options.items() for part in (f"--{name.replace('_', '-')}", str(value))]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(stage, argv) == 0
    report: dict[str, object] = json.loads(out.getvalue())
    return report


def _break_parquet(source: Path, folder: Path) -> None:
    """``<name>-missing-column.parquet`` (no ``carrier``) and ``<name>-corrupt.parquet`` (bytes overwritten)."""
    table = pq.read_table(source).drop_columns([MISSING_COLUMN])
    pq.write_table(table, folder / f"{source.stem}-missing-column.parquet")
    data = bytearray(source.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    (folder / f"{source.stem}-corrupt.parquet").write_bytes(bytes(data))


@dataclass(frozen=True)
class StageInputs:
    """Everything a stage reads, in one folder mounted read-only at ``/in``; MLflow store snapshots beside it."""

    folder: Path
    model_version: str

    @property
    def store_root(self) -> Path:
        """The artifact root the store snapshots were written under (the locations they record)."""
        return self.folder / STORE_ROOT


@pytest.fixture(scope="session")
def stage_inputs(tmp_path_factory: pytest.TempPathFactory, images: pipeline.StageImages) -> StageInputs:
    """Real inputs for every stage: ingest, validate, features, train, evaluate and promote run here, on the host."""
    folder = tmp_path_factory.mktemp("stage-inputs")
    url = f"duckdb:///{folder}/warehouse.duckdb"
    seed_warehouse(url)
    files = {name: folder / f"{name}.parquet" for name in ("history", "scoring", "valid_history", "valid_scoring")}
    files |= {name: folder / f"{name}.parquet" for name in ("quarantine", "history_features", "scoring_features")}

    def pick(*names: str) -> dict[str, Path]:
        return {name: files[name] for name in names}

    _cli("ingest", run_date=RUN_DATE, warehouse_url=url, window=WINDOW, **pick("history", "scoring"))
    _cli("validate", run_date=RUN_DATE, **pick("history", "scoring", "valid_history", "valid_scoring", "quarantine"))
    _cli("features", run_date=RUN_DATE, **pick("valid_history", "valid_scoring", "history_features"),
         **pick("scoring_features"))  # fmt: skip
    # MLflow store snapshots (each stage on its own, in a run of its own): after train (evaluate's input), after
    # evaluate (promote's; its evaluation is /in/evaluation.json), after promote (predict's and monitor's).
    artifacts = folder / STORE_ROOT
    common = {"run_date": RUN_DATE, "history_features": files["history_features"],
              "tracking_uri": tracking.local_uri(artifacts)}  # fmt: skip
    version = str(
        _cli("train", **common, window=WINDOW, train=TRAIN, model=folder / "model.pkl", refit=folder / "refit")[
            "model_version"
        ]
    )
    shutil.copytree(artifacts, folder / "artifacts-trained")
    _cli("evaluate", **common, window=WINDOW, model_version=version, report=folder / "report.html",
         card=folder / "card.md", evaluation=folder / "evaluation.json", baseline=folder / "baseline")  # fmt: skip
    shutil.copytree(artifacts, folder / "artifacts-evaluated")
    _cli("promote", run_date=RUN_DATE, tracking_uri=common["tracking_uri"], model_version=version,
         evaluation=folder / "evaluation.json", baseline=folder / "baseline", refit=folder / "refit")  # fmt: skip
    shutil.copytree(artifacts, folder / "artifacts-promoted")

    broken = folder / "broken"
    broken.mkdir()
    for name in ("history", "valid_history", "history_features", "scoring_features", "valid_scoring"):
        _break_parquet(folder / f"{name}.parquet", broken)
    shutil.copyfile(folder / "warehouse.duckdb", broken / "warehouse-missing-column.duckdb")
    with contextlib.closing(duckdb.connect(str(broken / "warehouse-missing-column.duckdb"))) as connection:
        connection.execute(f"ALTER TABLE flights DROP COLUMN {MISSING_COLUMN}")
    data = bytearray((folder / "warehouse.duckdb").read_bytes())
    (broken / "warehouse-corrupt.duckdb").write_bytes(bytes(data[: len(data) // 3]))
    (broken / "evaluation-corrupt.json").write_text("{not json")
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return StageInputs(folder, version)
