"""Errors by kind on the local runner: a permanent error fails on its first attempt, in seconds, with its one line;
a transient one is retried where it happens, inside the stage, and the run goes on. Ctrl-C stops with one line and
leaves no partial run folder and no log."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

import pipeline
from tests.support import tracking

pytestmark = pytest.mark.slow
REPOSITORY = Path(__file__).parents[2]


def _inference(warehouse: Path, artifacts: Path) -> list[str]:
    """``run --pipeline inference`` for the demo day: on an empty tracking store it ends at predict (no champion)."""
    return ["run", "--pipeline", "inference", "--date", "2013-06-15", "--warehouse-url", f"duckdb:///{warehouse}",
            "--artifact-root", str(artifacts)]  # fmt: skip


def test_a_permanent_error_fails_on_the_first_attempt_in_seconds(
    warehouse_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Inference on an empty registry: predict can't find a champion. It is started once, not retried; the exit task
    marks the run's MLflow run FAILED, and nothing is registered."""
    artifacts = tmp_path / "artifacts"
    started = time.monotonic()
    code = pipeline.main(["-q", *_inference(warehouse_copy, artifacts)])
    elapsed = time.monotonic() - started
    [line] = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert re.fullmatch(
        rf"error: stage predict failed: no champion: model flight-disruption in sqlite:///{artifacts}/mlflow/mlflow.db "
        r"has no version with the alias 'champion': run the daily pipeline first \(make run\) \(full log: (.+\.log)\)",
        line,
    ), line
    log = Path(line.rsplit("(full log: ", 1)[1].rstrip(")"))
    assert log.read_text().count("stage=predict started") == 1
    assert "Retrying in" not in log.read_text()
    log.unlink()
    assert elapsed < 120, f"took {elapsed:.0f} s"  # four attempts with backoff took over 4 minutes
    assert not (artifacts / "runs" / "2013-06-15").exists() or list((artifacts / "runs" / "2013-06-15").iterdir()) == []
    uri = tracking.local_uri(artifacts)
    assert [(r.info.run_name, r.info.status) for r in tracking.runs(uri)] == [("2013-06-15", "FAILED")]
    assert tracking.versions(uri) == []


def test_a_transient_error_is_retried_inside_the_stage(
    warehouse_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the DuckDB file (a writer's lock) for the first seconds of the run: ingest retries
    with backoff until it lets go, and the run completes."""
    monkeypatch.setenv("FLIGHTS_WAREHOUSE_ATTEMPTS", "8")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
         " time.sleep(float(sys.argv[2]))", str(warehouse_copy), "4"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    code = pipeline.main(_inference(warehouse_copy, tmp_path / "a"))
    holder.wait(timeout=30)
    err = capsys.readouterr().err
    assert "warehouse: transient error" in err
    assert "retrying in" in err
    # inference on an empty registry still ends at predict: the transient error did not turn into a failure
    assert code == 2
    assert "stage predict failed: no champion: model flight-disruption" in err.strip().splitlines()[-1]
    with duckdb.connect(str(warehouse_copy), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM flights").fetchone() == (336776,)


def test_ctrl_c_stops_with_one_line_and_leaves_no_run_folder(warehouse_copy: Path, tmp_path: Path) -> None:
    artifacts, temp = tmp_path / "artifacts", tmp_path / "tmp"
    temp.mkdir()  # the run's own temp folder: its log goes there, and other tests' logs don't
    process = subprocess.Popen(
        [sys.executable, "pipeline.py", "run", "--date", "2013-06-15", "--warehouse-url", f"duckdb:///{warehouse_copy}",
         "--artifact-root", str(artifacts)],
        cwd=REPOSITORY, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "TMPDIR": str(temp)},
    )  # fmt: skip
    assert process.stderr is not None
    for line in process.stderr:  # wait until a stage is running
        if "stage=validate started" in line:
            break
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
    rest = process.stderr.read()
    assert process.wait(timeout=60) == 130
    lines = [line for line in rest.splitlines() if line.strip()]
    assert lines[-1] == "interrupted: stopped `run`; the unfinished run left no run folder", rest
    assert "Traceback" not in rest
    runs = artifacts / "runs" / "2013-06-15"
    assert not runs.exists() or list(runs.iterdir()) == []
    assert list(temp.glob("flight-delay-*.log")) == []
    # The exit task never ran: the CLI marks the interrupted MLflow run KILLED, never leaves it RUNNING.
    assert [r.info.status for r in tracking.runs(tracking.local_uri(artifacts))] == ["KILLED"]
