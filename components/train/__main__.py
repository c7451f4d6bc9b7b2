"""``python -m components.train``: fit the challenger on the window before the holdout and register it."""

import sys

from components.common.stage import main

if __name__ == "__main__":
    sys.exit(main("train"))
