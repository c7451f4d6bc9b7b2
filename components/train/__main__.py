"""``python -m components.train``: fit the challenger on the window before the holdout and register it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from components.common.cli import add_artifact_root, add_path, add_settings, run_cli, settings_from, stage_parser
from components.common.config import TrainSettings, WindowSettings


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = stage_parser("train", __doc__ or "")
    add_path(parser, "history-features", "training features input")
    add_artifact_root(parser)
    parser.add_argument("--holdout-days", type=int, default=WindowSettings().holdout_days, help="last days held out")
    add_settings(parser, TrainSettings)
    parser.add_argument("--code-version", default="unknown", help="recorded in the lineage")
    parser.add_argument("--image", default="unknown", help="recorded in the lineage")

    def work(args: argparse.Namespace) -> dict[str, Any]:
        from components.train.shell import run

        settings = settings_from(args, TrainSettings)
        return run(
            args.history_features,
            args.artifact_root,
            args.run_date,
            args.holdout_days,
            settings,
            args.code_version,
            args.image,
        )

    return run_cli("train", parser, work, argv)


if __name__ == "__main__":
    sys.exit(main())
