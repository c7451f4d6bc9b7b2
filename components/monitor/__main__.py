"""``python -m components.monitor``: drift against the training window, yesterday's predictions vs outcomes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from components.common.cli import add_artifact_root, add_path, add_warehouse_url, run_cli, stage_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = stage_parser("monitor", __doc__ or "")
    add_warehouse_url(parser)
    add_artifact_root(parser)
    add_path(parser, "scoring-features", "scoring features input")
    add_path(parser, "drift", "drift table output")

    def work(args: argparse.Namespace) -> dict[str, Any]:
        from components.monitor.shell import run

        return run(args.warehouse_url, args.artifact_root, args.run_date, args.scoring_features, args.drift)

    return run_cli("monitor", parser, work, argv)


if __name__ == "__main__":
    sys.exit(main())
