"""``python -m components.predict``: score the day with the champion; parquet and the warehouse's table."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from components.common.cli import add_artifact_root, add_path, add_warehouse_url, run_cli, stage_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = stage_parser("predict", __doc__ or "")
    add_warehouse_url(parser)
    add_artifact_root(parser)
    add_path(parser, "scoring-features", "scoring features input")
    add_path(parser, "valid-scoring", "valid scoring set input")
    add_path(parser, "predictions", "predictions output")

    def work(args: argparse.Namespace) -> dict[str, Any]:
        from components.predict.shell import run

        report = run(
            args.warehouse_url,
            args.artifact_root,
            args.run_date,
            args.scoring_features,
            args.valid_scoring,
            args.predictions,
        )
        return {**report, "predictions_path": str(args.predictions)}

    return run_cli("predict", parser, work, argv)


if __name__ == "__main__":
    sys.exit(main())
