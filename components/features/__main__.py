"""``python -m components.features``: row-wise features of the valid history and scoring set."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from components.common.cli import add_path, run_cli, stage_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = stage_parser("features", __doc__ or "")
    add_path(parser, "valid-history", "valid history input (omit for the scoring set only)", required=False)
    add_path(parser, "valid-scoring", "valid scoring set input")
    add_path(parser, "history-features", "training features output", required=False)
    add_path(parser, "scoring-features", "scoring features output")

    def work(args: argparse.Namespace) -> dict[str, Any]:
        from components.features.shell import run

        return run(args.valid_history, args.valid_scoring, args.history_features, args.scoring_features)

    return run_cli("features", parser, work, argv)


if __name__ == "__main__":
    sys.exit(main())
