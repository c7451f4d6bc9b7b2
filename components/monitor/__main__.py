"""``python -m components.monitor``: drift against the training window, yesterday's predictions vs outcomes."""

import sys

from components.common.stage import main

if __name__ == "__main__":
    sys.exit(main("monitor"))
