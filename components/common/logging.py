"""Logging set up once per process, one line per event, carrying run date and stage."""

from __future__ import annotations

import logging
import sys

LOGGER_NAME = "flights"
_HANDLER_MARK = "_flights_handler"


class _ContextFilter(logging.Filter):
    def __init__(self, run_date: str, stage: str) -> None:
        super().__init__()
        self.run_date = run_date
        self.stage = stage

    def filter(self, record: logging.LogRecord) -> bool:
        record.run_date = getattr(record, "run_date", self.run_date)
        record.stage = getattr(record, "stage", self.stage)
        return True


def configure_logging(stage: str, run_date: str = "-", level: int = logging.INFO) -> logging.Logger:
    """Configure the project logger; calling it again replaces its handler rather than adding one.

    The project logger does not propagate, because ``kfp.local`` swaps the root logger's handlers
    while a task runs.
    """
    logger = logging.getLogger(LOGGER_NAME)
    for handler in [h for h in logger.handlers if getattr(h, _HANDLER_MARK, False)]:
        logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(
        logging.Formatter(
            "%(asctime)s %(levelname)s run_date=%(run_date)s stage=%(stage)s %(message)s",
            datefmt="%H:%M:%S",
        )
    )
    handler.addFilter(_ContextFilter(run_date, stage))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger


def get_logger() -> logging.Logger:
    """The project logger (configured by the entry point)."""
    return logging.getLogger(LOGGER_NAME)
