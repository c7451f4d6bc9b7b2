"""``python -m components.validate``: pandera on history and scoring set; bad rows go to quarantine."""

import sys

from components.common.stage import main

if __name__ == "__main__":
    sys.exit(main("validate"))
