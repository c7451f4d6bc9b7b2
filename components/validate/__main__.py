"""``python -m components.validate``: pandera on history and scoring set; bad rows go to quarantine."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from components.common.cli import add_path, run_cli, stage_parser
from components.common.config import ValidateSettings


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = stage_parser("validate", __doc__ or "")
    parser.add_argument(
        "--max-quarantine-share",
        type=float,
        default=ValidateSettings().max_quarantine_share,
        help="fail above this share",
    )
    add_path(parser, "history", "history input (omit with --valid-history for the scoring set only)", required=False)
    add_path(parser, "scoring", "scoring set input")
    add_path(parser, "valid-history", "valid history output", required=False)
    add_path(parser, "valid-scoring", "valid scoring set output")
    add_path(parser, "quarantine", "quarantined rows output")

    def work(args: argparse.Namespace) -> dict[str, Any]:
        from components.validate.shell import run

        return run(
            args.history,
            args.scoring,
            args.valid_history,
            args.valid_scoring,
            args.quarantine,
            args.max_quarantine_share,
        )

    return run_cli("validate", parser, work, argv)


if __name__ == "__main__":
    sys.exit(main())
