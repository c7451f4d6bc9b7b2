"""``python -m components.ingest``: the window's history and the day's scoring set, from the warehouse."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from components.common.cli import add_path, add_warehouse_url, run_cli, stage_parser
from components.common.config import WindowSettings


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = stage_parser("ingest", __doc__ or "")
    add_warehouse_url(parser)
    parser.add_argument("--window-days", type=int, default=WindowSettings().window_days, help="days of history")
    add_path(parser, "history", "history output (omit for the day's scoring set only)", required=False)
    add_path(parser, "scoring", "scoring set output")

    def work(args: argparse.Namespace) -> dict[str, Any]:
        from components.ingest.shell import run

        return run(args.warehouse_url, args.run_date, args.window_days, args.history, args.scoring)

    return run_cli("ingest", parser, work, argv)


if __name__ == "__main__":
    sys.exit(main())
