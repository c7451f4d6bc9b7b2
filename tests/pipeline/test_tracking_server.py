"""The daily pipeline against a real ``mlflow server`` on loopback, with a real PostgreSQL backend store and served
artifacts (as on a cluster: no shared files between the tasks and the store), on a fresh registry.

The day is 2013-07-01, where the first challenger misses the floors (ROC AUC 0.7831 against the baseline's 0.7876):
the naive baseline is registered as a version of its own and made the champion of the empty registry, so the day is
still scored, and the summary and ``flight_predictions`` say the baseline scored it. A rollback to the challenger,
which never passed the floors, is refused with one line.
"""

import json
from pathlib import Path

import duckdb
import pytest

import pipeline
from tests.mlflow_server import MlflowServer
from tests.support import tracking

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
DAY = "2013-07-01"


def test_a_fresh_registry_is_served_by_the_baseline_through_the_tracking_server(
    mlflow_server: MlflowServer, warehouse_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = mlflow_server.uri
    assert tracking.versions(uri) == [], "this test needs the session's server with an empty registry"
    summary_path = tmp_path / "summary.json"
    argv = ["--quiet", "run", "--date", DAY, "--warehouse-url", f"duckdb:///{warehouse_copy}", "--artifact-root",
            str(tmp_path / "artifacts"), "--tracking-uri", uri, "--summary", str(summary_path)]  # fmt: skip
    assert pipeline.main(argv) == 0
    summary = json.loads(summary_path.read_text())
    metrics = summary["metrics"]
    assert metrics["challenger"]["roc_auc"] < metrics["baseline"]["roc_auc"]  # the floors are missed...
    assert summary["promotion"]["promoted"] is False
    assert "the baseline (version" in summary["promotion"]["reason"]
    assert (summary["model_role"], summary["promotion"]["champion_role"]) == ("baseline", "baseline")

    challenger, baseline = tracking.versions(uri)
    challenger_version, baseline_version = str(challenger.version), str(baseline.version)
    assert (challenger.tags["role"], baseline.tags["role"]) == ("challenger", "baseline")
    assert challenger.tags["passed_floors"] == "false"
    assert tracking.champion(uri) == baseline_version == summary["model_version"]  # ...and yet the day is scored
    with duckdb.connect(str(warehouse_copy), read_only=True) as connection:
        scored = connection.execute(
            "SELECT count(*), min(model_version), max(model_version) FROM flight_predictions WHERE run_date = ?", [DAY]
        ).fetchone()
    assert scored == (summary["predictions"], baseline_version, baseline_version)

    [run] = [r for r in tracking.runs(uri) if r.data.tags.get("pipeline") == "daily"]
    assert (run.info.run_name, run.info.status) == (DAY, "FINISHED")
    assert run.data.metrics["scored_flights"] == summary["predictions"]
    assert run.data.tags["decision.champion"] == baseline_version
    assert run.info.artifact_uri.startswith("mlflow-artifacts:/")  # served by the server, not a shared folder
    client = tracking.client(uri)
    assert {f.path for f in client.list_artifacts(run.info.run_id, "evaluation")} == {
        "evaluation/model_card.md", "evaluation/report.html",
    }  # fmt: skip
    assert not list((tmp_path / "artifacts").glob("mlflow*")), "no local store next to a tracking server"

    capsys.readouterr()
    before = tracking.state(uri)
    assert pipeline.main(["rollback", "--to", challenger_version, "--reason", "try it", "--tracking-uri", uri]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: version {challenger_version} never passed the promotion floors (ROC AUC floor, beating the "
        "baseline): roll back to a version that did"
    )
    assert tracking.state(uri) == before
