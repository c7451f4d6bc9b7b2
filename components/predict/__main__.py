"""``python -m components.predict``: score the day with the champion; parquet and the warehouse's table."""

import sys

from components.common.stage import main

if __name__ == "__main__":
    sys.exit(main("predict"))
