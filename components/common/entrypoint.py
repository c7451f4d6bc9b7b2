"""What every stage's KFP component does around its shell: logging once, a one-line error, an exit code."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from typing import Any

from components.common.errors import PipelineError
from components.common.logging import configure_logging

ERROR_MARK = "STAGE FAILED:"


def run_stage(stage: str, run_date: str, work: Callable[[], dict[str, Any]]) -> str:
    """Run a stage's shell; its report comes back as JSON, a ``PipelineError`` as one line and exit 1."""
    level = logging.DEBUG if os.environ.get("FLIGHTS_LOG_LEVEL") == "DEBUG" else logging.INFO
    log = configure_logging(stage, run_date, level)
    log.info("started")
    try:
        report = work()
    except PipelineError as error:
        log.error("%s %s", ERROR_MARK, error)
        raise SystemExit(1) from None
    log.info("finished")
    return json.dumps(report, sort_keys=True, default=str)
