"""Which features and which window length help on the days a model actually scores: the figures behind the
defaults in components/features/core.py and configs/local.yaml.

Walk-forward over 2013, with the pipeline's own SQL, feature code and model: for each run date D (the 1st and the
15th of each month from April to December), fit on the ``window_days`` days before D without the holdout (what
the challenger sees) and score the 7 days from D (what the champion scores next), on their real outcomes. Every
feature is the one the pipeline computes at the scoring time (time-aware rates use only days before each row's
day), so one pass over the year serves every run date. Variants: the features without a group, each group added
to the base alone, and window lengths. Figures are means over run dates, with a paired standard error of the
difference against the reference variant (the same days scored by both).

``--daily K`` is the replay's view instead: every K-th day D from 2013-04-01 on is scored by a model fit on the
``window_days`` days before D (up to D-1: the refit that serves D in the pipeline), on D's own flights only. Its
figures are the realised next-day ones: pooled ROC AUC over the scored flights, the mean within-day ROC AUC, and
the paired standard error of each variant's within-day difference against the reference over the same days. A
window variant is scored only on days whose whole window lies in 2013 (a longer window in autumn and winter).

    .venv/bin/python scripts/feature_study.py [--warehouse-url duckdb:///data/warehouse.duckdb] [--quick]
    .venv/bin/python scripts/feature_study.py --daily 4 [--only "all, window 180 days" ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from components.common.config import TrainSettings, WindowSettings
from components.common.warehouse import reads
from components.contracts import LABEL
from components.features.core import CATEGORICAL_FEATURES, FEATURE_GROUPS, OutcomeHistory, build_features
from components.ingest.core import flights_params
from components.train.core import build_model


def _load(url: str, window: WindowSettings) -> pd.DataFrame:
    flights = reads.query_arrow(
        url, "flights_between", flights_params(dt.date(2013, 1, 1), dt.date(2014, 1, 1), window)
    ).to_pandas(date_as_object=False)
    return build_features(flights, OutcomeHistory(flights, window.rate_days))


def _within_day_auc(frame: pd.DataFrame, p: np.ndarray) -> float:
    scores = [
        roc_auc_score(day[LABEL], p[day.index.to_numpy()])
        for _, day in frame.reset_index(drop=True).groupby("flight_date")
        if day[LABEL].nunique() == 2
    ]
    return float(np.mean(scores))


def _fit_and_score(
    features: pd.DataFrame, fit: tuple[dt.date, dt.date], scored: tuple[dt.date, dt.date], columns: tuple[str, ...]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Fit on the days in ``fit`` (start inclusive, end exclusive), predict the days in ``scored``."""
    dates = features["flight_date"]
    train = features[(dates >= pd.Timestamp(fit[0])) & (dates < pd.Timestamp(fit[1]))]
    week = features[(dates >= pd.Timestamp(scored[0])) & (dates < pd.Timestamp(scored[1]))]
    numeric = tuple(c for c in columns if c not in CATEGORICAL_FEATURES)
    categorical = tuple(c for c in columns if c in CATEGORICAL_FEATURES)
    model = build_model(TrainSettings(), numeric, categorical)
    model.fit(train.loc[:, list(categorical + numeric)], train[LABEL].astype(int))
    return week, model.predict_proba(week.loc[:, list(categorical + numeric)])[:, 1]


def _score(features: pd.DataFrame, day: dt.date, window_days: int, columns: tuple[str, ...]) -> dict[str, float]:
    """The quick walk-forward: fit without the holdout (up to D-8), score the 7 days from D."""
    fit = (day - dt.timedelta(days=window_days), day - dt.timedelta(days=7))
    week, p = _fit_and_score(features, fit, (day, day + dt.timedelta(days=7)), columns)
    return {"auc": float(roc_auc_score(week[LABEL], p)), "within_day_auc": _within_day_auc(week, p)}


def _score_daily(
    features: pd.DataFrame, days: list[dt.date], window_days: int, columns: tuple[str, ...]
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """The replay's view: each day's outcomes and probabilities from a fit on the window up to the day before."""
    scored = {}
    for day in days:
        fit, today_range = (day - dt.timedelta(days=window_days), day), (day, day + dt.timedelta(days=1))
        today, p = _fit_and_score(features, fit, today_range, columns)
        scored[day.toordinal()] = (today[LABEL].astype(int).to_numpy(), p)
    return scored


def _daily_summary(results: dict[str, dict[int, tuple[np.ndarray, np.ndarray]]]) -> dict[str, dict[str, Any]]:
    """Each variant against the reference on the days both scored: pooled and within-day ROC AUC, paired error."""

    def pooled(scored: dict[int, tuple[np.ndarray, np.ndarray]], days: list[int]) -> float:
        outcome = np.concatenate([scored[day][0] for day in days])
        return float(roc_auc_score(outcome, np.concatenate([scored[day][1] for day in days])))

    def within(scored: dict[int, tuple[np.ndarray, np.ndarray]], day: int) -> float:
        return float(roc_auc_score(*scored[day]))

    reference, summary = results["all"], {}
    for name, scored in results.items():
        days = sorted(scored)
        diff = np.array([within(scored, day) - within(reference, day) for day in days])
        summary[name] = {
            "days": len(days),
            "auc": round(pooled(scored, days), 4),
            "auc_of_all_on_these_days": round(pooled(reference, days), 4),
            "within_day_auc": round(float(np.mean([within(scored, day) for day in days])), 4),
            "within_day_vs_all": round(float(diff.mean()), 4),
            "paired_se": round(float(diff.std(ddof=1) / np.sqrt(len(diff))), 4) if len(diff) > 1 else None,
            "better_days": int((diff > 0).sum()),
        }
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse-url", default="duckdb:///data/warehouse.duckdb")
    parser.add_argument("--quick", action="store_true", help="the 15th of each month only")
    parser.add_argument("--daily", type=int, default=0, metavar="K", help="score every K-th day from a fit up to D-1")
    parser.add_argument("--only", nargs="*", default=None, help="these variants (and 'all', the reference) only")
    args = parser.parse_args(argv)
    window = WindowSettings()
    started = time.monotonic()
    features = _load(args.warehouse_url, window)
    print(f"features of 2013: {len(features)} rows in {time.monotonic() - started:.0f} s", file=sys.stderr)
    days = [dt.date(2013, m, d) for m in range(4, 13) for d in ((15,) if args.quick else (1, 15))]
    everything = tuple(c for group in FEATURE_GROUPS.values() for c in group) + CATEGORICAL_FEATURES
    base = (*FEATURE_GROUPS["schedule"], *FEATURE_GROUPS["plane"], *FEATURE_GROUPS["weather"], *CATEGORICAL_FEATURES)
    variants: dict[str, tuple[tuple[str, ...], int]] = {"all": (everything, window.window_days)}
    for days_back in (180, 270):
        variants[f"all, window {days_back} days"] = (everything, days_back)
    for name, group in FEATURE_GROUPS.items():
        variants[f"all without {name}"] = (tuple(c for c in everything if c not in group), window.window_days)
    variants["base"] = (base, window.window_days)
    if args.only is not None:
        variants = {name: value for name, value in variants.items() if name == "all" or name in args.only}
    if args.daily:
        season = [dt.date(2013, 4, 1) + dt.timedelta(days=n) for n in range(0, 275, args.daily)]
        daily = {}
        for name, (columns, window_days) in variants.items():
            usable = [d for d in season if d - dt.timedelta(days=window_days) >= dt.date(2013, 1, 1)]
            daily[name] = _score_daily(features, usable, window_days, columns)
            print(f"{name}: {len(usable)} days, {time.monotonic() - started:.0f} s", file=sys.stderr)
        json.dump(_daily_summary(daily), sys.stdout, indent=1)
        print()
        return 0
    results: dict[str, list[dict[str, float]]] = {}
    for name, (columns, window_days) in variants.items():
        usable = [d for d in days if d - dt.timedelta(days=window_days) >= dt.date(2013, 1, 1)]
        results[name] = [{"day": d.toordinal(), **_score(features, d, window_days, columns)} for d in usable]
        print(f"{name}: {time.monotonic() - started:.0f} s {json.dumps(results[name])}", file=sys.stderr)
    reference = {r["day"]: r for r in results["all"]}
    summary = {}
    for name, rows in results.items():
        paired = [(r["within_day_auc"], reference[r["day"]]["within_day_auc"]) for r in rows if r["day"] in reference]
        diff = np.array([variant - everything for variant, everything in paired])
        summary[name] = {
            "run_dates": len(rows),
            "auc": round(float(np.mean([r["auc"] for r in rows])), 4),
            "within_day_auc": round(float(np.mean([r["within_day_auc"] for r in rows])), 4),
            "within_day_vs_all": round(float(diff.mean()), 4) if len(diff) else None,
            "paired_se": round(float(diff.std(ddof=1) / np.sqrt(len(diff))), 4) if len(diff) > 1 else None,
        }
    json.dump(summary, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
