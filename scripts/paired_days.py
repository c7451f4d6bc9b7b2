"""Two sets of season predictions side by side, day by day: is the difference more than noise?

Each argument is a DuckDB file with a ``flight_predictions`` table (a replayed warehouse, or one of
``scripts/policy_study.py``'s ``build/policies/<policy>.duckdb``). For each day both scored, the within-day ROC AUC
and the Brier score of each on the real outcomes (arrived 15+ minutes late or never, from the warehouse's
``flights``), then the mean difference (first - second) with its standard error over the days (a day's flights
share its weather, so the days are the independent draws), and on how many days they differ at all.

    .venv/bin/python scripts/paired_days.py build/policies/always.duckdb build/policies/paired.duckdb
"""

from __future__ import annotations

import argparse
import json
import sys

import duckdb
import numpy as np
import pandas as pd

from components.common.metrics import brier_score, roc_auc

OUTCOMES = """
SELECT strftime(make_date(year, month, day), '%Y%m%d') || '-' || carrier || '-' || flight || '-' || origin || '-'
       || lpad(CAST(sched_dep_time AS VARCHAR), 4, '0') AS flight_id,
       (arr_delay IS NULL OR arr_delay >= 15) AS disrupted
FROM flights
"""


def _per_day(path: str, outcomes: pd.DataFrame) -> dict[str, tuple[float, float]]:
    with duckdb.connect(path, read_only=True) as connection:
        scored = connection.execute("SELECT CAST(run_date AS VARCHAR) AS day, flight_id, p_disrupted "
                                    "FROM flight_predictions").df()  # fmt: skip
    joined = scored.merge(outcomes, on="flight_id")
    result = {}
    for day, group in joined.groupby("day"):
        outcome, probability = group["disrupted"].to_numpy(dtype=bool), group["p_disrupted"].to_numpy()
        if 0 < outcome.sum() < len(outcome):  # a day with one outcome ranks nothing
            result[str(day)] = (roc_auc(outcome, probability), brier_score(outcome, probability))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--warehouse", default="data/warehouse.duckdb", help="the seeded warehouse (its flights)")
    args = parser.parse_args(argv)
    with duckdb.connect(args.warehouse, read_only=True) as connection:
        outcomes = connection.execute(OUTCOMES).df()
    first, second = _per_day(args.first, outcomes), _per_day(args.second, outcomes)
    days = sorted(set(first) & set(second))
    auc = np.array([first[day][0] - second[day][0] for day in days])
    brier = np.array([first[day][1] - second[day][1] for day in days])
    root = np.sqrt(len(days))
    summary = {
        "days": len(days),
        "within_day_roc_auc_diff": round(float(auc.mean()), 4),
        "within_day_roc_auc_se": round(float(auc.std(ddof=1) / root), 4),
        "brier_diff": round(float(brier.mean()), 5),
        "brier_se": round(float(brier.std(ddof=1) / root), 5),
        "days_first_ranks_better": int((auc > 0).sum()),
        "days_that_differ": int((auc != 0).sum()),
    }
    json.dump(summary, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
