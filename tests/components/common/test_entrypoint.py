"""What every stage does around its shell: logging once, a JSON report, or one error line and exit code 1."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.common.entrypoint import ERROR_MARK, run_stage
from components.common.errors import PipelineError


def test_run_stage_returns_the_report_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    report = run_stage("train", "2013-06-15", lambda: {"rows": 3, "version": "20130615-abc"})

    assert json.loads(report) == {"rows": 3, "version": "20130615-abc"}
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == [
        "INFO run_date=2013-06-15 stage=train started",
        "INFO run_date=2013-06-15 stage=train finished",
    ]


def test_run_stage_turns_a_pipeline_error_into_one_line_and_exit_code_1(capsys: pytest.CaptureFixture[str]) -> None:
    def work() -> dict[str, Any]:
        raise PipelineError("the warehouse has no flights: seed it")

    with pytest.raises(SystemExit) as raised:
        run_stage("ingest", "2013-06-15", work)

    assert raised.value.code == 1
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.endswith(f"ERROR run_date=2013-06-15 stage=ingest {ERROR_MARK} the warehouse has no flights: seed it")


def test_run_stage_lets_a_bug_through() -> None:
    def work() -> dict[str, Any]:
        raise KeyError("not a user error")

    with pytest.raises(KeyError):
        run_stage("ingest", "2013-06-15", work)
