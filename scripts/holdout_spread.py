"""Challenger vs the naive baseline on the holdout, for a spread of run dates, in one process.

Uses the stages' own shells (ingest, validate, features, train, evaluate) on a throwaway artifact root,
so the numbers are the pipeline's. Usage::

    .venv/bin/python scripts/holdout_spread.py [--warehouse-url duckdb:///data/warehouse.duckdb] [DATE ...]
"""

import argparse
import sys
import tempfile
from pathlib import Path

from components.cli.inprocess import run_stages, stage_values
from components.common.config import load_settings
from components.common.logging import configure_logging

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
            values = stage_values(work, settings.with_overrides(warehouse_url=url, artifact_root=str(work)), day)
            stages = ("ingest", "validate", "features", "train", "evaluate")
            result = run_stages(stages, values)["evaluate"]
            model, base = result.metrics["challenger"], result.metrics["baseline"]  # type: ignore[attr-defined]
            wins += model.roc_auc > base.roc_auc and model.brier < base.brier
            print(
                f"{day:<11} {result.holdout_rows:>7}  {model.roc_auc:>9.4f} {base.roc_auc:>8.4f}  "  # type: ignore[attr-defined]
                f"{model.brier:>11.4f} {base.brier:>10.4f}"
            )
    print(f"model beats the baseline on both ROC AUC and Brier on {wins} of {len(args.days)} days")
    return 0 if wins == len(args.days) else 1


if __name__ == "__main__":
    sys.exit(main())
