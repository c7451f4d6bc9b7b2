"""The promote stage: a pure core (`core.py`) and its IO shell (`shell.py`)."""
