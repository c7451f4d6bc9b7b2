"""Fixtures of the ``components/common`` tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from components.common.logging import LOGGER_NAME


@pytest.fixture(autouse=True)
def _restore_project_logger() -> Iterator[None]:
    """Undo what a test's ``configure_logging`` did: its handler writes to that test's captured stderr."""
    logger = logging.getLogger(LOGGER_NAME)
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:] = saved[0]
    logger.setLevel(saved[1])
    logger.propagate = saved[2]
