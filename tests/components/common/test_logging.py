"""Logging: configured once per process, one line per event, with run date and stage."""

from __future__ import annotations

import logging

import pytest

from components.common.logging import configure_logging, get_logger


def test_each_line_carries_run_date_and_stage(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("predict", "2013-06-15")

    get_logger().info("scored %d flights", 12)

    line = capsys.readouterr().err.rstrip("\n")
    assert line.split(" ", 1)[1] == "INFO run_date=2013-06-15 stage=predict scored 12 flights"


def test_configure_logging_again_replaces_the_handler(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("train", "2013-06-15")
    logger = configure_logging("evaluate", "2013-06-16", logging.DEBUG)

    logger.debug("once")

    assert [h for h in logger.handlers if getattr(h, "_flights_handler", False)] == logger.handlers[-1:]
    assert logger.propagate is False
    assert capsys.readouterr().err.rstrip("\n").split(" ", 1)[1] == "DEBUG run_date=2013-06-16 stage=evaluate once"
