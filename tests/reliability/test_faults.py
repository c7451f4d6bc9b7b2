"""Fault trials: writers killed mid-write (repeatedly), a registration killed mid-way, a full disk, the database gone
mid-run, a tampered model, a stage failing between registering and promoting.

Each trial ends the same way: no corrupt artifact (or half-registered model version) is visible, the leftovers of
the dead writer are removed by the next stage's start (or ignored by it), and the next run succeeds. (The database
trials are in the matrix:
``test_postgres_stops_during_the_query`` and ``test_postgres_down_during_the_upsert_leaves_the_day_as_it_was``.)
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import pipeline
from components.common import registry, tracking
from components.common.artifacts import read_table, write_table
from components.common.errors import PipelineError
from components.common.files import remove_stray_temporaries
from components.ingest import shell as ingest
from tests.reliability.conftest import DAY, State
from tests.support import tracking as support

ROOT = Path(__file__).resolve().parents[2]
WRITER = """
import sys
import numpy as np, pyarrow as pa
from pathlib import Path
from components.common.artifacts import write_table
target = Path(sys.argv[1])
rng = np.random.default_rng(int(sys.argv[2]))
n = 0
while True:
    n += 1
    write_table(pa.table({"n": np.full(400_000, n), "x": rng.random(400_000)}), target)
    if n == 1:
        print("ready", flush=True)  # warmed up: from now on the loop is almost all writing
"""


def _start(code: str, *args: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


def test_a_writer_killed_at_random_moments_never_leaves_a_corrupt_artifact(tmp_path: Path) -> None:
    target = tmp_path / "out" / "table.parquet"
    target.parent.mkdir()
    rng = random.Random(5)
    leftovers = 0
    for trial in range(8):
        writer = _start(WRITER, str(target), str(trial))
        time.sleep(rng.uniform(0.05, 0.6))
        writer.send_signal(signal.SIGKILL)
        writer.wait()

        if target.exists():  # whatever is visible is a whole file that passes its checksums
            table = read_table(target, "table")
            assert table.num_rows == 400_000
            assert len(table.column("n").unique()) == 1
        strays = remove_stray_temporaries(target.parent)  # what the next stage does on start
        leftovers += len(strays)
        assert sorted(p.name for p in target.parent.iterdir()) == (["table.parquet"] if target.exists() else [])
    assert leftovers > 0, "no trial killed a write in progress: the trial proved nothing"


def test_a_live_writers_temp_file_is_left_alone(tmp_path: Path) -> None:
    writer = _start("import time; print('ready', flush=True); time.sleep(60)")
    try:
        live = tmp_path / f".table.parquet.{writer.pid}.abc123.tmp"
        live.write_bytes(b"half")
        dead = tmp_path / ".table.parquet.999999999.abc123.tmp"
        dead.write_bytes(b"half")

        assert remove_stray_temporaries(tmp_path) == [dead]
        assert live.exists()
    finally:
        writer.kill()
        writer.wait()


INGEST = f"""
import sys
from pathlib import Path
print("ready", flush=True)
from components.ingest.shell import Request, run
out = Path(sys.argv[2])
run(Request(run_date="{DAY}", warehouse_url=sys.argv[1], history=out / "h.parquet", scoring=out / "s.parquet"))
"""


def test_the_ingest_stage_killed_mid_run_then_rerun(duckdb_seeded: Path, tmp_path: Path) -> None:
    url, out = f"duckdb:///{duckdb_seeded}", tmp_path / "ingest"
    out.mkdir()
    rng = random.Random(11)
    for _ in range(3):
        stage = _start(INGEST, url, str(out))
        time.sleep(rng.uniform(0.8, 2.0))
        stage.send_signal(signal.SIGKILL)
        stage.wait()
        for written in out.glob("*.parquet"):
            read_table(written, "artifact")  # never a half file under the real name

    report = ingest.run(
        ingest.Request(run_date=DAY, warehouse_url=url, history=out / "h.parquet", scoring=out / "s.parquet")
    )

    assert report.history_rows == 110_140  # the 90-day window and the 28 days before it, for the rates
    assert sorted(p.name for p in out.iterdir()) == ["h.parquet", "s.parquet"]  # strays gone


FINGERPRINT = "20130615-0123456789ab"
REGISTER = f"""
import os, signal, sys
from pathlib import Path
import pandas as pd
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LogisticRegression
from components.common import registry, tracking
uri, folder, kill = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
frame = pd.DataFrame({{"distance": [float(n) for n in range(20)], "hour": [float(n % 5) for n in range(20)]}})
model = LogisticRegression().fit(frame, [n % 2 for n in range(20)])
saved = registry.save_model(model, folder / "{FINGERPRINT}", {{"rows": 20}}, frame.head(5))
real = MlflowClient.create_model_version

def killed(self, *args, **kwargs):
    if kill == "after":
        real(self, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)

MlflowClient.create_model_version = killed
run_id = tracking.start_run(uri, "killed", {{"run_date": "{DAY}", "pipeline": "stage:train"}}, {{}})
print("ready", flush=True)
registry.register_saved(uri, run_id, saved, "{FINGERPRINT}", {{"role": "challenger"}})
"""


@pytest.mark.parametrize("kill", ["before", "after"])
def test_a_registration_killed_mid_way_leaves_one_whole_version_after_the_rerun(tmp_path: Path, kill: str) -> None:
    """Killed after the model files were logged but before (or just after) the version was created: the next
    registration of the same fingerprint ends with exactly one version, whose file passes its hash check."""
    uri = tracking.local_tracking_uri(tmp_path / "artifacts")
    tracking.ensure_experiment(uri)  # the store, as the CLI creates it before any task runs
    writer = _start(REGISTER, uri, str(tmp_path / "killed"), kill)
    writer.wait(timeout=120)
    assert writer.returncode == -signal.SIGKILL
    left = [str(v.version) for v in support.versions(uri)]
    assert left == ([] if kill == "before" else ["1"])  # a version is there whole, tags and all, or not at all

    first = subprocess.run(
        [sys.executable, "-c", REGISTER.replace("MlflowClient.create_model_version = killed", ""), uri,
         str(tmp_path / "rerun"), kill],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr

    [registered] = [v for v in support.versions(uri) if v.tags.get("fingerprint") == FINGERPRINT]
    assert registered.tags["model_sha256"]
    model = registry.load_model(uri, registry.version(uri, registered.version))  # the hash matches the file
    assert model.predict_proba(pd.DataFrame({"distance": [3.0], "hour": [1.0]})).shape == (1, 2)


@pytest.fixture
def small_disk(tmp_path: Path) -> Path:
    """A 2 MiB tmpfs: a disk that fills up (skips when mounting is not permitted here)."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("a full-disk trial mounts a small tmpfs, which needs root")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({result.stderr.strip()})")
    yield mount_point  # type: ignore[misc]
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_is_one_line_and_leaves_nothing(small_disk: Path) -> None:
    target = small_disk / "run" / "history.parquet"
    incompressible = pa.table({"x": np.random.default_rng(0).random(1_000_000)})  # ~8 MB

    with pytest.raises(PipelineError) as raised:
        write_table(incompressible, target)

    assert str(raised.value) == (
        f"cannot write {target} (No space left on device): free disk space or choose another --artifact-root, "
        "then rerun"
    )
    assert list(target.parent.iterdir()) == []  # no temp file, no partial artifact
    write_table(pa.table({"x": [1.0, 2.0]}), target)  # with space back, the next write succeeds
    assert pq.read_table(target).num_rows == 2


# --- the registry: a tampered model, a failure between registering and promoting ------------------------------

NEXT_DAY = "2013-06-16"
# A two-week window and a small model: the fault trials need a stage to fail, not a good model.
SMALL = "window:\n  window_days: 14\n  holdout_days: 7\ntrain:\n  max_iter: 40\n"
HASH_ERROR = (
    "model file of version {version} does not match the hash recorded at registration: it was changed after it "
    "was written; retrain with a new run"
)


def _tamper_champion(state: State) -> str:
    """Overwrite the champion's pickle in the store's files with another (loadable) model; its version."""
    uri = state.tracking_uri
    number = support.champion(uri)
    assert number is not None
    [champion] = [v for v in support.versions(uri) if str(v.version) == number]
    pickle = (
        state.artifact_root / "mlflow" / "artifacts" / champion.run_id / "artifacts" / "models"
        / champion.tags["fingerprint"] / "model" / "model.pkl"
    )  # fmt: skip
    assert pickle.is_file()
    pickle.write_bytes(pickle.read_bytes() + b"\x00")  # one byte more: still a pickle, not the registered one
    return number


def _run_failing(state: State, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The CLI run, which must fail with exit code 2 and one line; that line."""
    where = ["--warehouse-url", state.warehouse_url, "--artifact-root", str(state.artifact_root)]
    capsys.readouterr()
    assert pipeline.main(["--quiet", "run", *argv, *where]) == 2
    [line] = [line for line in capsys.readouterr().err.strip().splitlines() if not line.startswith("20")]
    return line


def _new_runs(before: dict[str, Any], after: dict[str, Any]) -> list[Any]:
    known = {run[0] for run in before["tracking"]["runs"]}
    return [run for run in after["tracking"]["runs"] if run[0] not in known]


def test_a_tampered_champion_is_refused_and_nothing_is_written(
    state: State, capsys: pytest.CaptureFixture[str]
) -> None:
    number = _tamper_champion(state)
    before = state.snapshot()

    line = _run_failing(state, ["--date", NEXT_DAY, "--pipeline", "inference"], capsys)

    assert re.fullmatch(
        rf"error: stage predict failed: {re.escape(HASH_ERROR.format(version=number))} \(full log: .+\.log\)", line
    ), line
    after = state.snapshot()
    assert after["tables"] == before["tables"]  # no prediction, no monitoring row
    assert after["tracking"]["versions"] == before["tracking"]["versions"]
    assert after["tracking"]["champion"] == before["tracking"]["champion"] == number
    [(run_id, status, tags)] = _new_runs(before, after)  # the failed run is on record, closed
    assert status == "FAILED"
    own = f"mlflow/artifacts/{run_id}/artifacts/validation/"  # what it got to log: its validation, nothing more
    assert {k: v for k, v in after["files"].items() if not k.startswith(own)} == before["files"]  # no run folder
    assert sorted(k.removeprefix(own) for k in after["files"] if k.startswith(own)) == [
        "quarantine.parquet",
        "validation_report.json",
    ]
    assert ("pipeline", "inference") in tags
    assert ("run_date", NEXT_DAY) in tags


def test_a_failure_between_registering_and_promoting_never_moves_the_champion(
    state: State, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """train registers the next day's challenger, then evaluate fails (it can't load the tampered champion): the
    alias stays where it was, no decision is recorded, and the MLflow run ends FAILED, not RUNNING."""
    number = _tamper_champion(state)
    config = tmp_path / "small.yaml"
    config.write_text(SMALL)
    before = state.snapshot()

    line = _run_failing(state, ["--date", NEXT_DAY, "--config", str(config)], capsys)

    assert re.fullmatch(
        rf"error: stage evaluate failed: {re.escape(HASH_ERROR.format(version=number))} \(full log: .+\.log\)", line
    ), line
    uri = state.tracking_uri
    after = state.snapshot()
    assert support.champion(uri) == number
    [registered] = [v for v in support.versions(uri) if v.tags.get("run_date") == NEXT_DAY]
    assert registered.tags["role"] == "challenger"  # registered before the failure ...
    assert "passed_floors" not in registered.tags  # ... and never judged by promote
    [(run_id, status, _)] = _new_runs(before, after)
    assert status == "FAILED"
    assert registered.run_id == run_id
    assert [d for d in support.decisions(uri) if d["run_date"] == NEXT_DAY] == []
    assert after["tables"] == before["tables"]
    assert not (state.artifact_root / "runs" / NEXT_DAY).exists()
