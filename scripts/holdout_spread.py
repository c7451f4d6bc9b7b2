"""Challenger vs the naive baseline on the holdout, for a spread of run dates, in one process.

Uses the stages' own shells (ingest, validate, features, train, evaluate) on a throwaway artifact root,
so the numbers are the pipeline's. Usage::

    .venv/bin/python scripts/holdout_spread.py [--warehouse-url duckdb:///data/warehouse.duckdb] [DATE ...]
"""

import argparse
import sys
import tempfile
from pathlib import Path

from components.common.config import load_settings
from components.common.logging import configure_logging
from components.evaluate.shell import run as evaluate
from components.features.shell import run as build_features
from components.ingest.shell import run as ingest
from components.train.shell import run as train
from components.validate.shell import run as validate

DEFAULT_DAYS = [
    "2013-04-15",
    "2013-05-15",
    "2013-06-15",
    "2013-07-15",
    "2013-08-15",
    "2013-09-15",
    "2013-10-15",
    "2013-11-15",
    "2013-12-15",
]


def main(argv: list[str] | None = None) -> int:
    """Print one row per day: rows, ROC AUC and Brier of challenger and baseline."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--config", type=Path, default=Path("configs/local.yaml"))
    parser.add_argument("--warehouse-url")
    parser.add_argument("days", nargs="*", default=DEFAULT_DAYS)
    args = parser.parse_args(argv)
    settings = load_settings(args.config)
    url = args.warehouse_url or settings.warehouse_url
    configure_logging("spread", level=40)
    print(f"{'run date':<11} {'holdout':>7}  {'AUC model':>9} {'AUC base':>8}  {'Brier model':>11} {'Brier base':>10}")
    wins = 0
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for day in args.days:
            ingest(url, day, settings.window.window_days, work / "h", work / "s")
            validate(
                work / "h", work / "s", work / "vh", work / "vs", work / "q", settings.validate_.max_quarantine_share
            )
            build_features(work / "vh", work / "vs", work / "fh", work / "fs")
            version = train(work / "fh", work, day, settings.window.holdout_days, settings.train, "spread", "-")[
                "model_version"
            ]
            result = evaluate(
                work / "fh",
                work,
                day,
                settings.window.holdout_days,
                version,
                settings.evaluate.threshold,
                settings.train.seed,
                work / "report.html",
            )
            model, base = result.summary["metrics"]["challenger"], result.summary["metrics"]["baseline"]
            wins += model["roc_auc"] > base["roc_auc"] and model["brier"] < base["brier"]
            print(
                f"{day:<11} {result.summary['holdout_rows']:>7}  {model['roc_auc']:>9.4f} {base['roc_auc']:>8.4f}  "
                f"{model['brier']:>11.4f} {base['brier']:>10.4f}"
            )
    print(f"model beats the baseline on both ROC AUC and Brier on {wins} of {len(args.days)} days")
    return 0 if wins == len(args.days) else 1


if __name__ == "__main__":
    sys.exit(main())
