"""The main Makefile's own targets, run for real where they stop early (no cluster, no network needed)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MAKE", "MFLAGS"))}
    for variable in ("START", "END", "RUN_DATE", "RUNNER", "FRESH"):
        env.pop(variable, None)
    return subprocess.run(["make", "--no-print-directory", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          check=False)  # fmt: skip


def test_backfill_without_a_range_prints_its_usage_before_anything_else() -> None:
    result = _make("backfill", "END=2013-06-20", "CONFIG=/nonexistent/config.yaml")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == "usage: make backfill START=YYYY-MM-DD END=YYYY-MM-DD [RUNNER=kfp]"
    assert result.stdout == ""  # no install, no seed ran before it


def test_backfill_dry_run_with_a_range_seeds_then_backfills() -> None:
    result = _make("-n", "backfill", "START=2013-06-15", "END=2013-06-16")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if "pipeline.py" in line]
    assert [line.split("pipeline.py ")[1].split()[0] for line in lines] == ["seed", "backfill"]


def _pipeline_commands(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stderr
    return [
        " ".join(line.split("pipeline.py ")[1].split()) for line in result.stdout.splitlines() if "pipeline.py" in line
    ]


def test_replay_dry_run_seeds_then_replays_the_default_season() -> None:
    assert _pipeline_commands(_make("-n", "replay")) == ["seed --config configs/local.yaml",
                                                         "replay --config configs/local.yaml"]  # fmt: skip


def test_replay_and_history_pass_their_range_and_fresh() -> None:
    replay = _pipeline_commands(_make("-n", "replay", "START=2013-06-01", "END=2013-06-30", "FRESH=1"))
    assert replay[-1] == "replay --config configs/local.yaml --start 2013-06-01 --end 2013-06-30 --fresh"
    history = _pipeline_commands(_make("-n", "history", "START=2013-06-01"))
    assert history == ["history --config configs/local.yaml --start 2013-06-01"]


def test_mlflow_ui_without_a_local_store_says_to_run_the_pipeline_first(tmp_path: Path) -> None:
    result = _make("mlflow-ui", f"ARTIFACT_ROOT={tmp_path / 'nothing'}")
    assert result.returncode != 0
    assert result.stderr.splitlines()[0] == (
        f"error: no local MLflow store at {tmp_path / 'nothing'}/mlflow/mlflow.db: "
        "run make run first (or set ARTIFACT_ROOT=)"
    )
    assert result.stdout == ""  # nothing installed or started before the check


def test_mlflow_ui_serves_the_local_store_on_loopback(tmp_path: Path) -> None:
    (tmp_path / "mlflow").mkdir()
    (tmp_path / "mlflow" / "mlflow.db").touch()
    result = _make("-n", "mlflow-ui", f"ARTIFACT_ROOT={tmp_path}", "MLFLOW_PORT=5123")
    assert result.returncode == 0, result.stderr
    commands = result.stdout.replace("\\\n", " ")  # the recipe's continued lines as one
    [server] = [line for line in commands.splitlines() if "mlflow server" in line]
    assert server.split()[0] == ".venv-mlflow/bin/mlflow"  # the server's own locked environment, not .venv
    assert "--host 127.0.0.1 --port 5123 --workers 1" in server
    assert f"--backend-store-uri sqlite:///{tmp_path}/mlflow/mlflow.db" in server
    assert f"--serve-artifacts --artifacts-destination {tmp_path}/mlflow/artifacts" in server


def test_notebook_dry_run_seeds_then_opens_the_notebook_in_jupyterlab_from_the_locked_env() -> None:
    result = _make("-n", "notebook", "NOTEBOOK_ARGS=--no-browser --port 8899")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    [seed] = [i for i, line in enumerate(lines) if "pipeline.py seed" in line]
    [lab] = [i for i, line in enumerate(lines) if " jupyter lab " in line]
    assert seed < lab
    assert "run --frozen --no-sync jupyter lab" in lines[lab]  # the locked .venv, never re-resolved
    assert lines[lab].endswith("--no-browser --port 8899 notebooks/flight_disruption.ipynb")
    assert (os.geteuid() == 0) == ("--allow-root" in lines[lab])
