"""The tests' MLflow tracking server (tests/mlflow_server.py) is the real thing: over HTTP, the client in .venv
(mlflow-skinny) creates an experiment and a run, logs a metric and an artifact, and reads them back; the artifact
goes through the server (``mlflow-artifacts:/``) to its artifacts folder and the run's data into PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from mlflow.tracking import MlflowClient

from tests.mlflow_server import MlflowServer, healthy

pytestmark = pytest.mark.postgres


def test_a_run_round_trips_through_the_server(mlflow_server: MlflowServer, tmp_path: Path) -> None:
    client = MlflowClient(tracking_uri=mlflow_server.uri)
    name = f"smoke-{uuid.uuid4().hex[:8]}"
    experiment_id = client.create_experiment(name)
    experiment = client.get_experiment(experiment_id)
    assert experiment.artifact_location.startswith("mlflow-artifacts:/")  # served, no shared filesystem

    run = client.create_run(experiment_id, run_name="smoke")
    client.log_metric(run.info.run_id, "roc_auc", 0.75, step=1)
    (tmp_path / "note.txt").write_text("disrupted means arr_delay >= 15 or missing\n")
    client.log_artifact(run.info.run_id, str(tmp_path / "note.txt"), artifact_path="notes")
    client.set_terminated(run.info.run_id)

    found = client.get_run(run.info.run_id)
    assert found.data.metrics == {"roc_auc": 0.75}
    assert found.info.status == "FINISHED"
    assert [item.path for item in client.list_artifacts(run.info.run_id, "notes")] == ["notes/note.txt"]
    downloaded = Path(client.download_artifacts(run.info.run_id, "notes/note.txt", str(tmp_path / "back")))
    assert downloaded.read_text() == (tmp_path / "note.txt").read_text()
    assert list(mlflow_server.artifacts.rglob("note.txt")), "the artifact is not in the server's artifacts folder"
    with psycopg.connect(mlflow_server.backend_uri) as connection:
        stored = connection.execute("SELECT name FROM runs WHERE run_uuid = %s", [run.info.run_id]).fetchall()
    assert stored == [("smoke",)], "the run is not in the PostgreSQL backend store"


def test_the_server_answers_health_and_a_closed_port_does_not(mlflow_server: MlflowServer) -> None:
    assert healthy(mlflow_server.uri)
    assert mlflow_server.backend_uri.startswith("postgresql://mlflow:")
    assert not healthy("http://127.0.0.1:9")
