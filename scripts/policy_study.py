"""The promotion policies over the 2013 season: each one's realised next-day figures, side by side.

A walk-forward simulation of the daily runs from 2013-04-01 to 2013-12-31 with the pipeline's own SQL, features,
model, baseline, paired comparison (components/evaluate/compare.py) and policy (components/promote/core.py): each
day's challenger is fit on the window before the holdout once and judged against each policy's champion on the
same holdout flights; a promoted challenger serves as its refit on the whole window (fit once per day, shared by
the policies that promote it); each policy's champion scores the day. It leaves out what does not change a
decision or a probability: MLflow, the parquet artifacts and validation (which quarantines a handful of rows).

Each policy's predictions are written to ``<output>/<policy>.duckdb`` as a ``flight_predictions`` table, the one
the pipeline writes, so ``../shared/tools/realized.py`` scores them with the issue's definitions:

    .venv/bin/python scripts/policy_study.py [--warehouse-url duckdb:///data/warehouse.duckdb] [--output build/policies]
    PYTHONPATH=../shared/tools .venv/bin/python ../shared/tools/realized.py build/policies/paired.duckdb
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from tqdm import tqdm

from components.common.config import PromoteSettings, Settings
from components.common.warehouse import reads
from components.contracts import LABEL
from components.evaluate.baseline import BaselineModel
from components.evaluate.compare import compare
from components.evaluate.core import score_predictions
from components.features.core import OutcomeHistory, build_features
from components.ingest.core import flights_params
from components.promote.core import decide
from components.train.core import fit_model, model_inputs, predict_proba

FIRST, LAST = dt.date(2013, 4, 1), dt.date(2013, 12, 31)
POLICIES = ("margin", "paired", "always")


@dataclasses.dataclass
class Champion:
    """What serves under one policy: the model, the model its holdout figures come from, and its age."""

    serving: Any
    judged: Any
    train_end: dt.date
    baseline: bool
    version: str


def _features(url: str, settings: Settings) -> pd.DataFrame:
    window = settings.window
    first = FIRST - dt.timedelta(days=window.window_days + window.rate_days)
    params = flights_params(first, dt.date(2014, 1, 1), window)
    flights = reads.query_arrow(url, "flights_between", params).to_pandas(date_as_object=False)
    return build_features(flights, OutcomeHistory(flights, window.rate_days))


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 - one loop over days reads best as one function
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse-url", default="duckdb:///data/warehouse.duckdb")
    parser.add_argument("--output", type=Path, default=Path("build/policies"))
    args = parser.parse_args(argv)
    settings = Settings()
    window, train_settings = settings.window, settings.train
    features = _features(args.warehouse_url, settings)
    dates = features["flight_date"]
    champions: dict[str, Champion | None] = dict.fromkeys(POLICIES)
    scored: dict[str, list[pd.DataFrame]] = {policy: [] for policy in POLICIES}
    promotions = dict.fromkeys(POLICIES, 0)
    started = time.monotonic()
    days = [FIRST + dt.timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
    for day in tqdm(days, desc="days", unit="day", disable=None):
        start = pd.Timestamp(day - dt.timedelta(days=window.window_days))
        holdout_start = pd.Timestamp(day - dt.timedelta(days=window.holdout_days))
        train = features[(dates >= start) & (dates < holdout_start)]
        holdout = features[(dates >= holdout_start) & (dates < pd.Timestamp(day))]
        today = features[dates == pd.Timestamp(day)]
        challenger = fit_model(train, train_settings)
        baseline = BaselineModel().fit(model_inputs(train), train[LABEL].astype(int))
        outcome = holdout[LABEL].astype(int).to_numpy()
        p_challenger = predict_proba(challenger, holdout)
        metrics = score_predictions(outcome, p_challenger)
        base_metrics = score_predictions(outcome, predict_proba(baseline, holdout))
        refit = None
        for policy in POLICIES:
            rules = PromoteSettings(policy=policy)
            current = champions[policy]
            champion_metrics = comparison = age = None  # no champion, or the baseline: promote's own rule applies
            if current is not None and not current.baseline:
                p_champion = predict_proba(current.judged, holdout)
                champion_metrics, age = score_predictions(outcome, p_champion), (day - current.train_end).days
                comparison = compare(holdout["flight_date"], outcome, p_challenger, p_champion, settings.evaluate.seed)
            promote = decide(metrics, base_metrics, champion_metrics, False, age, rules, comparison).promote
            if promote:
                if refit is None:
                    refit = fit_model(pd.concat([train, holdout]), train_settings)
                champions[policy] = Champion(refit, challenger, day - dt.timedelta(days=1), False, f"{day}")
                promotions[policy] += 1
            elif current is None:
                champions[policy] = Champion(baseline, baseline, day - dt.timedelta(days=1), True, f"baseline {day}")
            serving = champions[policy] or Champion(baseline, baseline, day, True, "baseline")  # never: set above
            probability = predict_proba(serving.serving, today)
            scored[policy].append(
                pd.DataFrame(
                    {"run_date": day, "flight_id": today["flight_id"].to_numpy(), "p_disrupted": probability}
                ).assign(model_version=serving.version)
            )
    args.output.mkdir(parents=True, exist_ok=True)
    for policy, frames in scored.items():
        path = args.output / f"{policy}.duckdb"
        path.unlink(missing_ok=True)
        predictions = pd.concat(frames, ignore_index=True)  # noqa: F841 - read by DuckDB's replacement scan
        with duckdb.connect(str(path)) as connection:
            connection.execute("CREATE TABLE flight_predictions AS SELECT * FROM predictions")
    summary = {"days": len(days), "seconds": round(time.monotonic() - started), "promotions": promotions}
    json.dump(summary, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
