"""Tests that need something this machine may lack (a Docker engine, kubectl, PostgreSQL) skip with the reason,
unless CI says the thing must be there (``REQUIRE_DOCKER=1``, ``REQUIRE_KUBECTL=1``, ...): then they fail."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str, flag: str, what: str) -> NoReturn:
    """Skip with ``reason``; fail instead when the environment variable ``flag`` is ``1``."""
    if os.environ.get(flag) == "1":
        pytest.fail(f"{reason} ({flag}=1: {what} must run here)", pytrace=False)
    pytest.skip(reason)
