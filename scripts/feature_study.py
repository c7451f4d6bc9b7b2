"""Which features and which window length help on the days a model actually scores: the figures behind the
defaults in components/features/core.py and configs/local.yaml.

Walk-forward over 2013, with the pipeline's own SQL, feature code and model: for each run date D (the 1st and the
15th of each month from April to December), fit on the ``window_days`` days before D without the holdout (what
the challenger sees) and score the 7 days from D (what the champion scores next), on their real outcomes. Every
feature is the one the pipeline computes at the scoring time (time-aware rates use only days before each row's
day), so one pass over the year serves every run date. Variants: the features without a group, each group added
to the base alone, and window lengths. Figures are means over run dates, with a paired standard error of the
difference against the reference variant (the same days scored by both).

    .venv/bin/python scripts/feature_study.py [--warehouse-url duckdb:///data/warehouse.duckdb] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time

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


def _score(features: pd.DataFrame, day: dt.date, window_days: int, columns: tuple[str, ...]) -> dict[str, float]:
    dates = features["flight_date"]
    start, holdout = pd.Timestamp(day - dt.timedelta(days=window_days)), pd.Timestamp(day - dt.timedelta(days=7))
    train = features[(dates >= start) & (dates < holdout)]
    week = features[(dates >= pd.Timestamp(day)) & (dates < pd.Timestamp(day + dt.timedelta(days=7)))]
    numeric = tuple(c for c in columns if c not in CATEGORICAL_FEATURES)
    categorical = tuple(c for c in columns if c in CATEGORICAL_FEATURES)
    model = build_model(TrainSettings(), numeric, categorical)
    model.fit(train.loc[:, list(categorical + numeric)], train[LABEL].astype(int))
    p = model.predict_proba(week.loc[:, list(categorical + numeric)])[:, 1]
    return {"auc": float(roc_auc_score(week[LABEL], p)), "within_day_auc": _within_day_auc(week, p)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse-url", default="duckdb:///data/warehouse.duckdb")
    parser.add_argument("--quick", action="store_true", help="the 15th of each month only")
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
    for name, group in FEATURE_GROUPS.items():
        variants[f"all without {name}"] = (tuple(c for c in everything if c not in group), window.window_days)
    variants["base"] = (base, window.window_days)
    for days_back in (180, 270):
        variants[f"all, window {days_back} days"] = (everything, days_back)
    if args.only is not None:
        variants = {name: value for name, value in variants.items() if name == "all" or name in args.only}
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
