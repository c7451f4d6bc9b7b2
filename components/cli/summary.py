"""A run's summary: built from the stages' typed reports, as JSON for automation and as a few lines for people."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from pydantic import ValidationError

from components.common.config import Settings
from components.common.deployment import CHAMPION_ALIAS, REGISTERED_MODEL, STAGES
from components.common.stage import StageReport, stage_module
from components.common.tracking import shown
from components.contracts import PREDICTIONS_TABLE
from components.evaluate.evaluation import Metrics
from components.evaluate.shell import Report as EvaluateReport
from components.ingest.shell import Report as IngestReport
from components.monitor.shell import Report as MonitorReport
from components.predict.shell import Report as PredictReport
from components.promote.shell import Report as PromoteReport
from components.validate.shell import Report as ValidateReport


def parse_reports(outputs: Mapping[str, str]) -> dict[str, StageReport]:
    """A pipeline run's outputs (``<stage>_report``: JSON), each parsed into its stage's typed ``Report``."""
    reports = {}
    for stage in (stage for stage in STAGES if f"{stage}_report" in outputs):
        try:
            reports[stage] = stage_module(stage).Report.model_validate_json(outputs[f"{stage}_report"])
        except ValidationError as error:
            raise ValueError(f"the {stage} stage's report does not match its Report: {error}") from None
    return reports


def summarize(pipeline: str, run_date: str, reports: Mapping[str, StageReport], settings: Settings) -> dict[str, Any]:
    """The run's JSON summary: rows, holdout metrics, the decision, the predictions, monitoring and where things are."""
    ingest, validate = cast(IngestReport, reports["ingest"]), cast(ValidateReport, reports["validate"])
    predict, monitor = cast(PredictReport, reports["predict"]), cast(MonitorReport, reports["monitor"])
    evaluate = cast(EvaluateReport | None, reports.get("evaluate"))
    promote = cast(PromoteReport | None, reports.get("promote"))
    return {
        "run_date": run_date,
        "pipeline": pipeline,
        "rows": {
            "ingested": {"history": ingest.history_rows, "scoring": ingest.scoring_rows},
            "quarantined": validate.quarantined_rows,
            "masked_readings": validate.masked_readings,
        },
        "metrics": (
            {role: values.model_dump() if values else None for role, values in evaluate.metrics.items()}
            if evaluate
            else None
        ),
        "promotion": promote.model_dump(mode="json") if promote else None,
        "model_version": predict.model_version,
        "model_role": predict.model_role,
        "predictions": predict.predictions,
        "riskiest": [flight.model_dump() for flight in predict.riskiest],
        "monitoring": {
            "alerts": [alert.model_dump() for alert in monitor.alerts],
            "checked_statistics": monitor.checked_statistics,
            "outcomes_date": monitor.yesterday_date.isoformat(),
            "outcomes": monitor.yesterday.model_dump(mode="json") if monitor.yesterday else None,
        },
        "outputs": {
            "report": str(evaluate.report.with_suffix(".html")) if evaluate else None,
            "predictions": str(predict.predictions_path),
            "predictions_table": f"{settings.warehouse_url} {PREDICTIONS_TABLE} (run_date = {run_date})",
            "tracking": shown(settings.tracking_uri),
            "champion": f"models:/{REGISTERED_MODEL}@{CHAMPION_ALIAS}",
        },
    }


def _metric_line(role: str, values: Mapping[str, float] | None) -> str:
    if values is None:
        return f"  {role:<11} (none yet)"
    shown = Metrics.model_validate(values)
    line = f"  {role:<11} ROC AUC {shown.roc_auc:.4f}  PR AUC {shown.pr_auc:.4f}  Brier {shown.brier:.4f}"
    if shown.within_day_roc_auc is not None and shown.top10_lift is not None:  # an evaluation's operations metrics
        line += f"  within-day ROC AUC {shown.within_day_roc_auc:.4f}  top-10% lift {shown.top10_lift:.2f}"
    return line


def _monitoring_lines(monitoring: Mapping[str, Any]) -> list[str]:
    outcomes = monitoring["outcomes"]
    if outcomes:
        auc = f"{outcomes['roc_auc']:.4f}" if outcomes["roc_auc"] is not None else "n/a"
        brier = f"{outcomes['brier']:.4f}" if outcomes["brier"] is not None else "n/a"
        first = (
            f"Monitoring: {monitoring['outcomes_date']} predictions vs outcomes: {outcomes['flights']} flights, "
            f"ROC AUC {auc}, Brier {brier}"
        )
    else:
        first = f"Monitoring: {monitoring['outcomes_date']} was not scored, nothing to check yet"
    alerts = monitoring["alerts"]
    if not alerts:
        return [first, f"  alerts: none ({monitoring['checked_statistics']} statistics of the day checked)"]
    return [first] + [f"  {alert['kind']} alert: {alert['message']}" for alert in alerts]


def render_summary(summary: Mapping[str, Any]) -> str:
    """A short human summary of one run."""
    rows = summary["rows"]
    lines = [
        f"Run {summary['run_date']} ({summary['pipeline']})",
        f"  ingested    {rows['ingested']['history']} history flights, {rows['ingested']['scoring']} scheduled today",
        f"  quarantined {sum(rows['quarantined'].values())} rows"
        + (f"; masked implausible readings: {rows['masked_readings']}" if rows["masked_readings"] else ""),
    ]
    if summary["metrics"]:
        lines.append("Holdout metrics")
        lines += [_metric_line(role, summary["metrics"].get(role)) for role in ("challenger", "champion", "baseline")]
    if summary["promotion"]:
        verdict = "PROMOTED" if summary["promotion"]["promoted"] else "kept champion"
        lines.append(f"Decision: {verdict}: {summary['promotion']['reason']}")
    lines.append(
        f"Scored {summary['predictions']} flights with {summary['model_role']} model version {summary['model_version']}"
        "; riskiest:"
    )
    lines += [
        f"  {r['p_disrupted']:.2f}  {r['carrier']}{r['flight']:<5} {r['origin']}->{r['dest']} "
        f"at {r['sched_dep_time']:04d}"
        for r in summary["riskiest"]
    ]
    lines += _monitoring_lines(summary["monitoring"])
    outputs = summary["outputs"]
    if outputs["report"]:
        lines.append(f"Report:      {outputs['report']}")
    lines += [
        f"Predictions: {outputs['predictions']}",
        f"             {outputs['predictions_table']}",
        f"MLflow:      {outputs['tracking']} (champion: {outputs['champion']}; `make mlflow-ui` shows it)",
    ]
    return "\n".join(lines)
