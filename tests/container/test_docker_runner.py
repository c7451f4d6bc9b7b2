"""The whole ``daily`` pipeline on ``kfp.local.DockerRunner``, each stage in its own image: against the local runner
(the same day gives the same predictions, both with the SQLite store under the bind-mounted artifact root), and
against a real MLflow tracking server over HTTP (the containers reach it on the host's network)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

import pipeline
from components.common.warehouse.seed import seed_warehouse
from tests.container.conftest import RUN_DATE
from tests.mlflow_server import MlflowServer
from tests.support import tracking

pytestmark = pytest.mark.docker

# A two-week window and a smaller model than configs/local.yaml's: the same code paths, in a fraction of the time.
CONFIG = "window:\n  window_days: 14\n  holdout_days: 7\ntrain:\n  max_iter: 60\n"


def _run(
    tmp_path: Path, runner: str, images: pipeline.StageImages, tracking_uri: str | None = None
) -> tuple[dict[str, Any], pd.DataFrame]:
    """One daily run on a fresh warehouse and artifact root (and the store at ``tracking_uri``, else the local one
    under the artifact root); its summary and its predictions."""
    folder = tmp_path / runner
    folder.mkdir()
    config = folder / "config.yaml"
    config.write_text(CONFIG)
    summary, url = folder / "summary.json", f"duckdb:///{folder}/warehouse/warehouse.duckdb"
    seed_warehouse(url)
    store = ["--tracking-uri", tracking_uri] if tracking_uri else []
    code = pipeline.main(
        ["-q", "run", "--runner", runner, "--date", RUN_DATE, "--config", str(config), "--warehouse-url", url,
         "--artifact-root", str(folder / "artifacts"), "--image-repo", images.repo, "--image-tag", images.tag,
         "--summary", str(summary), *store]
    )  # fmt: skip
    assert code == 0
    report = json.loads(summary.read_text())
    predictions = pq.read_table(report["outputs"]["predictions"]).to_pandas()
    return report, predictions.sort_values("flight_id").reset_index(drop=True)


def test_daily_on_docker_gives_the_local_runners_predictions(tmp_path: Path, images: pipeline.StageImages) -> None:
    docker_report, docker_predictions = _run(tmp_path, "docker", images)
    local_report, local_predictions = _run(tmp_path, "local", images)

    assert len(docker_predictions) == docker_report["predictions"] > 0
    assert docker_predictions["flight_id"].tolist() == local_predictions["flight_id"].tolist()
    pd.testing.assert_series_equal(docker_predictions["p_disrupted"], local_predictions["p_disrupted"], rtol=1e-9)
    for role in ("challenger", "baseline"):
        assert docker_report["metrics"][role] == pytest.approx(local_report["metrics"][role], rel=1e-9)
    assert docker_report["promotion"]["promoted"] == local_report["promotion"]["promoted"] is True
    # The containers wrote the SQLite store under the bind-mounted artifact root, as the calling user ...
    uri = tracking.local_uri(tmp_path / "docker" / "artifacts")
    [run] = tracking.runs(uri)
    assert run.info.status == "FINISHED"
    assert run.data.metrics["challenger_roc_auc"] == pytest.approx(docker_report["metrics"]["challenger"]["roc_auc"])
    assert tracking.champion(uri) == docker_report["model_version"]
    assert set(docker_predictions["model_version"]) == {docker_report["model_version"]}
    store = tmp_path / "docker" / "artifacts" / "mlflow"
    assert {path.stat().st_uid for path in [store, *store.rglob("*")]} == {os.getuid()}
    # ... and every task ran in its own image: train records its image in the version's lineage.
    [version] = [v for v in tracking.versions(uri) if str(v.version) == docker_report["model_version"]]
    assert version.tags["image"] == images.image("train")


def test_a_missing_image_is_one_line_and_nothing_runs(
    tmp_path: Path, images: pipeline.StageImages, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_warehouse(f"duckdb:///{tmp_path}/warehouse.duckdb")
    capsys.readouterr()
    code = pipeline.main(
        ["run", "--runner", "docker", "--date", RUN_DATE, "--warehouse-url", f"duckdb:///{tmp_path}/warehouse.duckdb",
         "--artifact-root", str(tmp_path / "artifacts"), "--image-repo", images.repo, "--image-tag", "no-such-tag"]
    )  # fmt: skip
    assert code == 2
    [error] = capsys.readouterr().err.strip().splitlines()
    assert error == (
        f"error: image(s) {', '.join(f'{images.repo}/{s}:no-such-tag' for s in pipeline.c.STAGES)} not found: "
        "run `make build IMAGE_TAG=no-such-tag` or pass --image-tag"
    )
    assert not (tmp_path / "artifacts").exists()


def test_a_stage_failing_in_its_container_is_one_line_and_writes_nothing(
    tmp_path: Path, images: pipeline.StageImages, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"duckdb:///{tmp_path}/warehouse.duckdb"
    seed_warehouse(url)
    with duckdb.connect(f"{tmp_path}/warehouse.duckdb") as connection:  # ~10% of flights get an impossible distance
        connection.execute("UPDATE flights SET distance = -1 WHERE flight % 10 = 0")
    capsys.readouterr()  # only what the run prints counts (seeding logs through an earlier test's handler)
    code = pipeline.main(
        ["-q", "run", "--runner", "docker", "--date", "2013-07-01", "--warehouse-url", url,
         "--artifact-root", str(tmp_path / "artifacts"), "--image-repo", images.repo, "--image-tag", images.tag]
    )  # fmt: skip
    assert code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert re.fullmatch(
        r"error: stage validate failed: \d+ of \d+ (history|scoring) rows \(\d+\.\d%\) break row rules, over the "
        r"limit of 2\.0%: see the quarantine artifact, fix the source data or raise "
        r"validate\.max_quarantine_share \(full log: .+\.log\)",
        line,
    ), line
    # No run folder is left; the store (made before any task ran) has the run, closed FAILED, and no model.
    assert list((tmp_path / "artifacts").iterdir()) == [tmp_path / "artifacts" / "mlflow"]
    uri = tracking.local_uri(tmp_path / "artifacts")
    assert [(run.info.status, run.data.tags["run_date"]) for run in tracking.runs(uri)] == [("FAILED", "2013-07-01")]
    assert tracking.versions(uri) == []
    assert tracking.champion(uri) is None


@pytest.mark.postgres
def test_daily_on_docker_against_a_tracking_server(
    tmp_path: Path, images: pipeline.StageImages, mlflow_server: MlflowServer
) -> None:
    """Every container reaches the tracking server over HTTP: the run, its metrics, the registered version and the
    champion alias are on the server (the model files in its artifact store), nothing in a local store."""
    before = {run.info.run_id for run in tracking.runs(mlflow_server.uri)}

    report, predictions = _run(tmp_path, "docker", images, mlflow_server.uri)

    [run] = [run for run in tracking.runs(mlflow_server.uri) if run.info.run_id not in before]
    assert run.info.status == "FINISHED"
    assert run.data.tags["run_date"] == RUN_DATE
    assert run.data.tags["pipeline"] == "daily"
    for metric in ("challenger_roc_auc", "baseline_brier", "scored_flights", "mean_p_disrupted"):
        assert metric in run.data.metrics, metric
    assert run.data.metrics["scored_flights"] == report["predictions"] == len(predictions) > 0
    version = report["model_version"]
    [registered] = [v for v in tracking.versions(mlflow_server.uri) if str(v.version) == version]
    assert registered.run_id == run.info.run_id  # registered by this run
    assert registered.tags["image"] == images.image("train")
    assert tracking.champion(mlflow_server.uri) == version
    assert report["promotion"]["champion_version"] == version
    assert set(predictions["model_version"]) == {version}  # predictions name the MLflow version
    assert list(mlflow_server.artifacts.rglob(f"{registered.tags['fingerprint']}/model/model.pkl"))
    assert not (tmp_path / "docker" / "artifacts" / "mlflow").exists()
