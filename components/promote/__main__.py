"""``python -m components.promote``: apply the written policy; the champion pointer moves atomically or not at all."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from components.common.cli import add_artifact_root, add_settings, run_cli, settings_from, stage_parser
from components.common.config import PromoteSettings


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = stage_parser("promote", __doc__ or "")
    add_artifact_root(parser)
    parser.add_argument("--model-version", required=True, help="the challenger's registry version")
    add_settings(parser, PromoteSettings)

    def work(args: argparse.Namespace) -> dict[str, Any]:
        from components.promote.shell import run

        return run(args.artifact_root, args.run_date, args.model_version, settings_from(args, PromoteSettings))

    return run_cli("promote", parser, work, argv)


if __name__ == "__main__":
    sys.exit(main())
