"""``python -m components.evaluate``: challenger vs champion vs baseline on the holdout, and the HTML report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from components.common.cli import add_artifact_root, add_path, run_cli, stage_parser
from components.common.config import EvaluateSettings, TrainSettings, WindowSettings


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = stage_parser("evaluate", __doc__ or "")
    add_path(parser, "history-features", "training features input (the holdout is its last days)")
    add_artifact_root(parser)
    parser.add_argument("--holdout-days", type=int, default=WindowSettings().holdout_days, help="last days held out")
    parser.add_argument("--model-version", required=True, help="the challenger's registry version")
    parser.add_argument("--threshold", type=float, default=EvaluateSettings().threshold, help="confusion cut-off")
    parser.add_argument("--seed", type=int, default=TrainSettings().seed, help="baseline seed")
    add_path(parser, "report", "HTML report output")

    def work(args: argparse.Namespace) -> dict[str, Any]:
        from components.evaluate.shell import run

        evaluation = run(
            args.history_features,
            args.artifact_root,
            args.run_date,
            args.holdout_days,
            args.model_version,
            args.threshold,
            args.seed,
            args.report,
        )
        return {**evaluation.summary, "report_path": str(args.report)}

    return run_cli("evaluate", parser, work, argv)


if __name__ == "__main__":
    sys.exit(main())
