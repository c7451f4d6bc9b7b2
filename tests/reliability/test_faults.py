"""Fault trials: writers killed mid-write (repeatedly), a full disk, the database gone mid-run.

Each trial ends the same way: no corrupt artifact is visible, the leftovers of the dead writer are removed by
the next stage's start, and the next run succeeds. (The database trials are in the matrix:
``test_postgres_stops_during_the_query`` and ``test_postgres_down_during_the_upsert_leaves_the_day_as_it_was``.)
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from components.common.artifacts import read_table, write_table
from components.common.errors import PipelineError
from components.common.files import remove_stray_temporaries
from components.common.registry import remove_stray_staging
from components.ingest import shell as ingest
from tests.reliability.conftest import DAY

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

    assert report.history_rows == 84_273
    assert sorted(p.name for p in out.iterdir()) == ["h.parquet", "s.parquet"]  # strays gone


def test_a_killed_registry_write_is_cleaned_up_by_the_next_stage(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    half_built = registry / "models" / ".20130615-abc.999999999.x1y2"
    half_built.mkdir(parents=True)
    (half_built / "model.pkl").write_bytes(b"half a model")
    half_pointer = registry / ".champion.json.999999999.q.tmp"
    half_pointer.write_text("{")

    removed = remove_stray_staging(registry)

    assert sorted(removed) == sorted([half_built, half_pointer])
    assert list(registry.rglob("*")) == [registry / "models"]


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
