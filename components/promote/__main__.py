"""``python -m components.promote``: apply the written policy; the champion pointer moves atomically or not at all."""

import sys

from components.common.stage import main

if __name__ == "__main__":
    sys.exit(main("promote"))
