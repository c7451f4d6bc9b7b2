"""``python -m components.ingest``: the window's history and the day's scoring set, from the warehouse."""

import sys

from components.common.stage import main

if __name__ == "__main__":
    sys.exit(main("ingest"))
