"""The one entry every stage has, called the two ways it is: as a KFP component's body and as a command line."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from kfp.dsl import Dataset, Metrics

from components.common import stage
from components.common.config import TrainSettings
from components.common.errors import PipelineError, TransientError
from components.common.stage import ERROR_MARK, InputFile, OutputFile, StageReport, StageRequest


class Request(StageRequest):
    """A toy stage: copies its input, upper-cased, and reports the settings it was given."""

    train: TrainSettings = TrainSettings()
    flights: InputFile
    copied: OutputFile
    fail_with: str = ""


class Report(StageReport):
    rows: int
    max_iter: int

    def publish(self, artifacts: Mapping[str, Any]) -> None:
        artifacts["metrics"].log_metric("rows", self.rows)


def run(request: Request) -> Report:
    if request.fail_with == "permanent":
        raise PipelineError("the warehouse has no flights: seed it")
    if request.fail_with == "transient":
        raise TransientError("warehouse x failed 4 time(s) with a transient error: rerun")
    if request.fail_with == "bug":
        raise KeyError("not a user error")
    text = request.flights.read_text()
    request.copied.write_text(text.upper())
    return Report(rows=len(text.splitlines()), max_iter=request.train.max_iter)


@pytest.fixture(autouse=True)
def toy_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    """`components.toy.shell` is this module."""
    import sys

    monkeypatch.setattr(stage, "stage_module", lambda name: sys.modules[__name__] if name == "toy" else None)


@pytest.fixture
def flights(tmp_path: Path) -> Path:
    path = tmp_path / "flights.txt"
    path.write_text("a\nb\nc\n")
    return path


def test_cli_builds_the_request_from_options_and_prints_the_report(
    flights: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--run-date", "2013-06-15", "--flights", str(flights), "--copied", str(tmp_path / "copy.txt"),
            "--train", '{"max_iter": 40}']  # fmt: skip
    assert stage.main("toy", argv) == 0

    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"rows": 3, "max_iter": 40}
    assert (tmp_path / "copy.txt").read_text() == "A\nB\nC\n"
    assert [line.split(" ", 1)[1] for line in captured.err.splitlines()] == [
        "INFO run_date=2013-06-15 stage=toy started",
        "INFO run_date=2013-06-15 stage=toy finished",
    ]


def test_cli_help_lists_every_request_field(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        stage.main("toy", ["--help"])
    assert raised.value.code == 0
    text = capsys.readouterr().out
    for option in ("--run-date YYYY-MM-DD", "--train JSON", "--flights PATH", "--copied PATH", "--fail-with"):
        assert option in text, option
    assert "input file" in text
    assert "output file" in text


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (["--train", "{max_iter: 40"], "error: --train is not valid JSON"),
        (["--train", '{"max_iter": 0}'], "error: bad request for the toy stage: train.max_iter: Input should be"),
        (["--train", '{"maxiter": 40}'], "error: bad request for the toy stage: train.maxiter: Extra inputs"),
        (["--run-date", "2013-02-30"], "error: run date '2013-02-30' is not a real date in YYYY-MM-DD form"),
    ],
)
def test_cli_bad_option_is_one_line_exit_2_and_writes_nothing(
    flights: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], error: str
) -> None:
    argv = ["--run-date", "2013-06-15", "--flights", str(flights), "--copied", str(tmp_path / "copy.txt"), *options]
    assert stage.main("toy", argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(error), lines
    assert not (tmp_path / "copy.txt").exists()


@pytest.mark.parametrize(("kind", "code"), [("permanent", 1), ("transient", 75)])
def test_a_user_fixable_error_is_one_line_with_the_exit_code_of_its_kind(
    flights: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, code: int
) -> None:
    argv = ["--run-date", "2013-06-15", "--flights", str(flights), "--copied", str(tmp_path / "c"), "--fail-with", kind]
    with pytest.raises(SystemExit) as raised:
        stage.main("toy", argv)
    assert raised.value.code == code
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if ERROR_MARK in line]
    assert len(errors) == 1
    assert "stage=toy" in errors[0]
    assert captured.out == ""


def test_a_bug_keeps_its_traceback(flights: Path, tmp_path: Path) -> None:
    request = Request(run_date=dt.date(2013, 6, 15), flights=flights, copied=tmp_path / "c", fail_with="bug")
    with pytest.raises(KeyError):
        stage.execute("toy", request)


def _artifact(kind: type, path: Path) -> Any:
    artifact = kind(uri=str(path))
    artifact.path = str(path)  # as KFP's executor sets it
    return artifact


def test_component_passes_artifacts_as_paths_and_publishes_the_rest(flights: Path, tmp_path: Path) -> None:
    metrics = Metrics(uri=str(tmp_path / "metrics"))
    arguments = {
        "run_date": "2013-06-15",
        "train": {"max_iter": 40.0},  # KFP's Struct parameters carry numbers as floats
        "flights": _artifact(Dataset, flights),
        "copied": _artifact(Dataset, tmp_path / "copy.txt"),
        "metrics": metrics,
    }
    report = json.loads(stage.run_component("toy", arguments))

    assert report == {"rows": 3, "max_iter": 40}
    assert (tmp_path / "copy.txt").read_text() == "A\nB\nC\n"
    assert metrics.metadata == {"rows": 3}


def test_component_named_outputs_come_before_the_report(flights: Path, tmp_path: Path) -> None:
    arguments = {
        "run_date": "2013-06-15",
        "flights": _artifact(Dataset, flights),
        "copied": _artifact(Dataset, tmp_path / "c"),
        "metrics": Metrics(uri="x"),
    }
    rows, report = stage.run_component("toy", arguments, outputs=("rows",))
    assert rows == 3
    assert json.loads(report)["rows"] == 3


def test_component_with_a_bad_argument_is_one_line_and_exit_1(
    flights: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = {"run_date": "2013-06-15", "train": {"seed": -1}, "flights": _artifact(Dataset, flights),
                 "copied": _artifact(Dataset, tmp_path / "c")}  # fmt: skip
    with pytest.raises(SystemExit) as raised:
        stage.run_component("toy", arguments)
    assert raised.value.code == 1
    assert f"{ERROR_MARK} bad request for the toy stage: train.seed" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()
