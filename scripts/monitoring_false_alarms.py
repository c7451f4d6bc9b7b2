"""Monitor's alarms over the clean 2013 replay and on injected defects: the figures behind monitor/checks.py.

For every day D from 2013-04-01 to 2013-12-31 (each has 90 days of history) the reference is built the way train
builds it, ``profile_features`` of the window's training part (the 90 days before D without the 7-day holdout), and
the checks judge D's scoring features: the clean day, then the same day with each injected defect. The flights are
read from the warehouse once and validated and featurized with the stages' own functions (validation judges each row
on its own, so a day's rows are the ones that day's run keeps).

Outcomes need a champion's predictions: a stand-in, the pipeline's model with its default settings refit every
``--refit-days`` days on that day's training part (the pipeline retrains daily and promotes by its policy), scores
every day; each day's yesterday is judged against the promotion floor and the rate band of the model's reference.

    .venv/bin/python scripts/monitoring_false_alarms.py [--warehouse-url duckdb:///data/warehouse.duckdb]
        [--no-outcomes] [--refit-days 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from components.common.config import PromoteSettings, WindowSettings, load_settings
from components.common.warehouse import reads
from components.contracts import LABEL, history_window, holdout_start
from components.features.core import OutcomeHistory, build_features
from components.features.profile import profile_features
from components.ingest.core import flights_params
from components.monitor.checks import judge_day, judge_outcomes
from components.monitor.core import check_outcomes
from components.schemas import HistoryFlights, LabelledFeatures
from components.validate.core import split_valid_rows

FIRST, LAST = dt.date(2013, 4, 1), dt.date(2013, 12, 31)
Defect = Callable[[pd.DataFrame, np.random.Generator], pd.DataFrame]


def _schedule_in_utc(day: pd.DataFrame, _: np.random.Generator) -> pd.DataFrame:
    departure = (day["sched_dep_minutes"] + 300) % 1440
    return day.assign(sched_dep_minutes=departure, sched_block_minutes=(day["sched_arr_minutes"] - departure) % 1440)


def _some(day: pd.DataFrame, rng: np.random.Generator, column: str, code: str, share: float) -> pd.DataFrame:
    return day.assign(**{column: day[column].where(rng.random(len(day)) >= share, code)})


# The injected defect, and the input an alert must name on the defect's first day.
DEFECTS: dict[str, tuple[str, Defect]] = {
    "temp in Celsius": ("temp", lambda d, _: d.assign(temp=((d["temp"] - 32) / 1.8).round(1))),
    "wind_speed in km/h": ("wind_speed", lambda d, _: d.assign(wind_speed=(d["wind_speed"] * 1.609344).round(1))),
    "wind_speed in m/s": ("wind_speed", lambda d, _: d.assign(wind_speed=(d["wind_speed"] * 0.44704).round(1))),
    "plane_seats all null": ("plane_seats", lambda d, _: d.assign(plane_seats=np.nan)),
    "visib all null": ("visib", lambda d, _: d.assign(visib=np.nan)),
    "carrier ZZ on 10 %": ("carrier", lambda d, rng: _some(d, rng, "carrier", "ZZ", 0.10)),
    "dest XXX on 5 %": ("dest", lambda d, rng: _some(d, rng, "dest", "XXX", 0.05)),
    "sched_dep in UTC": ("sched_dep_minutes", _schedule_in_utc),
}


def load_features(warehouse_url: str) -> pd.DataFrame:
    """Every 2013 flight, validated and featurized by the stages' functions."""
    window = WindowSettings()
    params = flights_params(dt.date(2013, 1, 1), dt.date(2014, 1, 1), window)
    flights = reads.query_arrow(warehouse_url, "flights_between", params)
    valid = split_valid_rows(flights.to_pandas(date_as_object=False), HistoryFlights, "history").valid
    return LabelledFeatures.validate(build_features(valid, OutcomeHistory(valid, window.rate_days)), lazy=True)


def training_part(features: pd.DataFrame, day: dt.date, window: WindowSettings) -> pd.DataFrame:
    """The rows train fits on for a run on ``day``: the window before the day, without the holdout."""
    start, _ = history_window(day, window.window_days)
    dates = features["flight_date"]
    return features[(dates >= pd.Timestamp(start)) & (dates < pd.Timestamp(holdout_start(day, window.holdout_days)))]


def measure_days(features: pd.DataFrame, window: WindowSettings) -> None:
    """Drift and quality alerts on the clean days, and on each defect's first day."""
    rng = np.random.default_rng(13)
    alarm_days, per_check, detected, sizes = [], Counter[tuple[str, str]](), Counter[str](), []
    days = pd.date_range(FIRST, LAST).date
    for day in days:
        reference = profile_features(training_part(features, day, window))
        sizes.append(len(json.dumps(reference, sort_keys=True)))
        scoring = features[features["flight_date"] == pd.Timestamp(day)].drop(columns=LABEL)
        _, alerts = judge_day(reference, scoring)
        if alerts:
            alarm_days.append((day, sorted({f"{a.input}.{a.check}" for a in alerts})))
        per_check.update((a.input, a.check) for a in alerts)
        for name, (column, defect) in DEFECTS.items():
            _, found = judge_day(reference, defect(scoring, rng))
            detected[name] += any(a.input == column for a in found)
    print(f"reference.json: {min(sizes) / 1000:.0f}-{max(sizes) / 1000:.0f} KB")
    share = len(alarm_days) / len(days)
    print(f"clean days with a drift or quality alert: {len(alarm_days)} of {len(days)} ({share:.1%}; target <= 5 %)")
    for day, names in alarm_days:
        print(f"  {day}: {', '.join(names)}")
    print("alerts per input and check:")
    for (column, check), count in sorted(per_check.items()):
        print(f"  {column:<20} {check:<20} {count}")
    print("injected defects: days on which an alert names the broken input on the defect's first day")
    for name in DEFECTS:
        print(f"  {name:<22} {detected[name]} of {len(days)}")


def measure_outcomes(features: pd.DataFrame, window: WindowSettings, refit_days: int) -> None:
    """Outcome alerts for each day's yesterday, with a stand-in champion refit every ``refit_days`` days."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    from components.common.config import TrainSettings
    from components.train.core import fit_model, predict_proba

    floor, counts, lines = PromoteSettings().min_roc_auc, Counter[str](), []
    days = pd.date_range(FIRST, LAST).date
    model, reference = None, {}
    for index, day in enumerate(days):
        yesterday = day - dt.timedelta(days=1)
        if index % refit_days == 0:
            train = training_part(features, yesterday, window)
            with threadpool_limits(limits=1):  # steadier on a shared machine than OpenMP's spinning threads
                model, reference = fit_model(train, TrainSettings()), profile_features(train)
        flown = features[features["flight_date"] == pd.Timestamp(yesterday)]
        predictions = pd.DataFrame({"flight_id": flown["flight_id"], "p_disrupted": predict_proba(model, flown)})
        outcomes = check_outcomes(predictions, flown[["flight_id", LABEL]])
        alerts = judge_outcomes(outcomes, reference, floor)
        counts.update(a.check for a in alerts)
        counts["any"] += bool(alerts)
        lines += [f"  {day} (yesterday {yesterday}): {a.message}" for a in alerts if a.check == "rate_vs_predicted"]
    print(f"outcome alerts (stand-in champion refit every {refit_days} days): {counts['any']} of {len(days)} days")
    print(f"  roc_auc_floor {counts['roc_auc_floor']}, rate_vs_predicted {counts['rate_vs_predicted']}")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--config", type=Path, default=Path("configs/local.yaml"))
    parser.add_argument("--warehouse-url")
    parser.add_argument("--no-outcomes", action="store_true", help="skip the stand-in model's outcome alerts")
    parser.add_argument("--refit-days", type=int, default=7)
    args = parser.parse_args(argv)
    settings = load_settings(args.config)
    started = time.monotonic()
    features = load_features(args.warehouse_url or settings.warehouse_url)
    measure_days(features, settings.window)
    print(f"({time.monotonic() - started:.0f} s)")
    if not args.no_outcomes:
        measure_outcomes(features, settings.window, args.refit_days)
        print(f"({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
