"""The run summary: built from the stages' typed reports, as JSON for automation and as lines for people."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from components.cli.summary import parse_reports, render_summary, summarize
from components.common.config import Settings
from components.common.stage import StageReport
from components.evaluate import shell as evaluate
from components.ingest import shell as ingest
from components.monitor import shell as monitor
from components.monitor.checks import Alert
from components.predict import shell as predict
from components.promote import shell as promote
from components.validate import shell as validate

SETTINGS = Settings().with_overrides(
    warehouse_url="duckdb:////w/warehouse.duckdb", artifact_root="/a", tracking_uri="http://u:secret@mlflow:5000"
)
METRICS = {
    "roc_auc": 0.7636,
    "pr_auc": 0.662,
    "brier": 0.1809,
    "log_loss": 0.5,
    "within_day_roc_auc": 0.70123,
    "top10_lift": 1.8512,
}
PLAIN = {"roc_auc": 0.679, "pr_auc": 0.662, "brier": 0.1809, "log_loss": 0.5}  # no operations metrics: an older run
ALERT = Alert(kind="quality", input="temp", check="off_grid_share", value=0.97, bound=0.02,
              message="temp: 97.0% of the values are off the training window's grid of readings")  # fmt: skip


def _reports(*, daily: bool, yesterday: bool) -> dict[str, StageReport]:
    reports: dict[str, StageReport] = {
        "ingest": ingest.Report(
            history_rows=84273, history_days=90, history_first_day=dt.date(2013, 3, 17),
            history_last_day=dt.date(2013, 6, 14), scoring_rows=801,
        ),
        "validate": validate.Report(
            valid_rows={"history": 84270, "scoring": 801}, quarantined_rows={"history": 3, "scoring": 0},
            masked_readings={"history": {"wind_speed": 1}}, quarantine_reasons={}, validation_report={},
        ),
        "predict": predict.Report(
            model_version="3", model_role="challenger", predictions=801, mean_p_disrupted=0.21,
            predictions_path=Path("/p/predictions"),
            riskiest=[predict.RiskyFlight(flight_id="x", carrier="9E", flight=3523, origin="JFK", dest="ORD",
                                          sched_dep_time=950, p_disrupted=0.9612)],
        ),
        "monitor": monitor.Report(
            alerts=[ALERT] if yesterday else [], checked_statistics=92, yesterday_date=dt.date(2013, 6, 14),
            yesterday=monitor.Outcomes(date=dt.date(2013, 6, 14), model_version="v0", flights=790, observed_rate=0.2,
                                       mean_predicted=0.25, roc_auc=0.61234, brier=0.15) if yesterday else None,
        ),
    }  # fmt: skip
    if daily:
        reports["evaluate"] = evaluate.Report(
            challenger_version="3", champion_version=None, holdout_rows=6615, threshold=0.35,
            metrics={"challenger": METRICS, "champion": None, "baseline": PLAIN},
            top_features={"temp": 0.03}, roc=evaluate.RocCurve(fpr=[0, 1], tpr=[0, 1], thresholds=[1, 0]),
            confusion=[[1, 2], [3, 4]], report=Path("/r/evaluate/report"),
        )  # fmt: skip
        reports["promote"] = promote.Report(
            challenger="3", promoted=True, reason="no champion yet", champion_version="3", champion_role="challenger",
            previous_champion=None,
        )  # fmt: skip
    return reports


def test_a_daily_summary_carries_every_stage_and_is_plain_json() -> None:
    summary = summarize("daily", "2013-06-15", _reports(daily=True, yesterday=True), SETTINGS)

    assert json.loads(json.dumps(summary)) == summary
    assert summary["rows"] == {
        "ingested": {"history": 84273, "scoring": 801},
        "quarantined": {"history": 3, "scoring": 0},
        "masked_readings": {"history": {"wind_speed": 1}},
    }
    assert summary["metrics"]["champion"] is None
    assert summary["metrics"]["baseline"]["roc_auc"] == 0.679
    assert summary["promotion"]["promoted"] is True
    assert (summary["model_version"], summary["model_role"]) == ("3", "challenger")
    assert summary["monitoring"]["outcomes"]["flights"] == 790
    assert summary["monitoring"]["alerts"] == [ALERT.model_dump()]
    assert summary["outputs"]["report"] == "/r/evaluate/report.html"  # the name a browser renders
    assert (
        summary["outputs"]["predictions_table"]
        == "duckdb:////w/warehouse.duckdb flight_predictions (run_date = 2013-06-15)"
    )


def test_an_inference_summary_has_no_metrics_decision_or_report() -> None:
    summary = summarize("inference", "2013-06-15", _reports(daily=False, yesterday=False), SETTINGS)

    assert (summary["metrics"], summary["promotion"], summary["outputs"]["report"]) == (None, None, None)
    text = render_summary(summary)
    assert "Holdout metrics" not in text
    assert "Decision" not in text
    assert "Report:" not in text
    assert "Monitoring: 2013-06-14 was not scored, nothing to check yet" in text
    assert "  alerts: none (92 statistics of the day checked)" in text


def test_rendering_a_daily_summary() -> None:
    text = render_summary(summarize("daily", "2013-06-15", _reports(daily=True, yesterday=True), SETTINGS))

    assert text.splitlines()[:10] == [
        "Run 2013-06-15 (daily)",
        "  ingested    84273 history flights, 801 scheduled today",
        "  quarantined 3 rows; masked implausible readings: {'history': {'wind_speed': 1}}",
        "Holdout metrics",
        "  challenger  ROC AUC 0.7636  PR AUC 0.6620  Brier 0.1809  within-day ROC AUC 0.7012  top-10% lift 1.85",
        "  champion    (none yet)",
        "  baseline    ROC AUC 0.6790  PR AUC 0.6620  Brier 0.1809",
        "Decision: PROMOTED: no champion yet",
        "Scored 801 flights with challenger model version 3; riskiest:",
        "  0.96  9E3523  JFK->ORD at 0950",
    ]
    assert "Monitoring: 2013-06-14 predictions vs outcomes: 790 flights, ROC AUC 0.6123, Brier 0.1500" in text
    lines = text.splitlines()
    monitoring = lines.index(
        "Monitoring: 2013-06-14 predictions vs outcomes: 790 flights, ROC AUC 0.6123, Brier 0.1500"
    )
    assert (
        lines[monitoring + 1]
        == "  quality alert: temp: 97.0% of the values are off the training window's grid of readings"
    )
    assert lines[monitoring + 2].startswith("Report:")  # one line per alert
    assert "Report:      /r/evaluate/report.html" in text
    # The tracking store without its password, and the alias the champion is served by.
    assert text.splitlines()[-1] == (
        "MLflow:      http://u:***@mlflow:5000 "
        "(champion: models:/flight-disruption@champion; `make mlflow-ui` shows it)"
    )


def test_an_unknowable_auc_is_shown_as_such() -> None:
    reports = _reports(daily=False, yesterday=True)
    outcomes = reports["monitor"].yesterday.model_copy(update={"roc_auc": None})  # type: ignore[attr-defined]
    reports["monitor"] = reports["monitor"].model_copy(update={"yesterday": outcomes})
    assert "ROC AUC n/a" in render_summary(summarize("inference", "2013-06-15", reports, SETTINGS))


def test_parse_reports_types_every_stage_output() -> None:
    reports = _reports(daily=True, yesterday=False)
    outputs = {f"{stage}_report": report.model_dump_json() for stage, report in reports.items()}

    assert parse_reports(outputs) == reports


def test_a_report_that_does_not_match_its_stage_is_an_error() -> None:
    outputs: dict[str, Any] = {"ingest_report": json.dumps({"history_rows": 1})}
    with pytest.raises(ValueError, match="ingest"):
        parse_reports(outputs)
