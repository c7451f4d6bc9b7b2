"""``python -m components.features``: row-wise features of the valid history and scoring set."""

import sys

from components.common.stage import main

if __name__ == "__main__":
    sys.exit(main("features"))
