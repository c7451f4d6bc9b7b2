"""``python -m components.evaluate``: challenger vs champion vs baseline on the holdout, and the HTML report."""

import sys

from components.common.stage import main

if __name__ == "__main__":
    sys.exit(main("evaluate"))
