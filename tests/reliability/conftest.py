"""The reliability suite's shared state: one real daily run, snapshots of everything a run may touch, and
the bad-input case ledger (printed at the end: cases and silent passes, which must be 0)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import pipeline
from components.common.errors import PipelineError
from components.common.warehouse.reads import read_table_rows
from components.common.warehouse.url import parse_warehouse_url
from components.contracts import MONITORING_TABLE, PREDICTIONS_TABLE
from tests.support import tracking

DAY = "2013-06-15"
# The MLflow store's SQLite database (and its journal): compared by its logical state, never by its bytes.
STORE_FILES = ("mlflow.db", "mlflow.db-journal", "mlflow.db-wal", "mlflow.db-shm")


# --- snapshots ------------------------------------------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _is_store_database(path: Path, artifact_root: Path) -> bool:
    return path.parent == artifact_root / "mlflow" and path.name in STORE_FILES


def snapshot(warehouse_url: str, artifact_root: Path) -> dict[str, Any]:
    """Everything a run may change: every file under the artifact root byte for byte (the MLflow store's run and
    model files included), the MLflow store's runs, versions and champion alias (read through MLflow's client: the
    SQLite file itself is compared logically), and the warehouse's predictions and monitoring rows (plus the DuckDB
    file's bytes)."""
    files = {
        str(p.relative_to(artifact_root)): _digest(p)
        for p in sorted(artifact_root.rglob("*"))
        if p.is_file() and not _is_store_database(p, artifact_root)
    }
    store = artifact_root / "mlflow" / "mlflow.db"
    registry = tracking.state(tracking.local_uri(artifact_root)) if store.is_file() else None
    tables: dict[str, Any] = {}
    for table in (PREDICTIONS_TABLE, MONITORING_TABLE):
        try:
            tables[table] = read_table_rows(warehouse_url, table).to_pylist()
        except PipelineError as error:
            tables[table] = f"unreadable: {error}"
    location = parse_warehouse_url(warehouse_url)
    if not location.is_postgres and location.path is not None and location.path.is_file():
        tables["duckdb_file_sha256"] = _digest(location.path)
    return {"files": files, "tracking": registry, "tables": tables}


@dataclasses.dataclass
class State:
    """A warehouse and an artifact root (with its MLflow store) after one real daily run; each test gets a private
    copy."""

    warehouse_url: str
    artifact_root: Path

    @property
    def tracking_uri(self) -> str:
        """The copy's own MLflow store (the CLI's embedded default for this artifact root)."""
        return tracking.local_uri(self.artifact_root)

    def snapshot(self) -> dict[str, Any]:
        return snapshot(self.warehouse_url, self.artifact_root)


@pytest.fixture(scope="session")
def daily_run(duckdb_seeded: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One real daily run (kfp.local) on a copy of the seeded DuckDB warehouse: a champion, predictions, history."""
    root = tmp_path_factory.mktemp("reliability-daily")
    warehouse_file = root / "warehouse.duckdb"
    shutil.copyfile(duckdb_seeded, warehouse_file)
    url, artifacts = f"duckdb:///{warehouse_file}", root / "artifacts"
    argv = ["--quiet", "run", "--date", DAY, "--warehouse-url", url, "--artifact-root", str(artifacts)]
    assert pipeline.main([*argv, "--summary", str(root / "summary.json")]) == 0
    return {"root": root, "warehouse": warehouse_file, "artifacts": artifacts, "summary": _read(root / "summary.json")}


def _read(path: Path) -> Any:
    return json.loads(path.read_text())


@pytest.fixture
def state(daily_run: dict[str, Any], tmp_path: Path) -> State:
    """A private copy of the daily run's warehouse and artifact root; the copied MLflow store is relocated (it
    records absolute locations), so nothing a test does reaches the session's run."""
    warehouse_file = tmp_path / "warehouse.duckdb"
    shutil.copyfile(daily_run["warehouse"], warehouse_file)
    artifacts = tmp_path / "artifacts"
    shutil.copytree(daily_run["artifacts"], artifacts)
    tracking.relocate_local_store(daily_run["artifacts"], artifacts)
    return State(f"duckdb:///{warehouse_file}", artifacts)


# --- the case ledger ------------------------------------------------------------------------

LEDGER: list[dict[str, str]] = []


@dataclasses.dataclass
class Case:
    """One bad-input case: run it, and record whether it was caught (error, quarantine, masking) or silent."""

    name: str

    def error(self, work: Callable[[], Any], expected: str) -> str:
        """``work`` must raise one ``PipelineError`` whose single line is exactly ``expected``."""
        try:
            work()
        except PipelineError as error:
            message = str(error)
            LEDGER.append({"case": self.name, "outcome": "error"})
            assert "\n" not in message
            assert message == expected
            return message
        LEDGER.append({"case": self.name, "outcome": "SILENT"})
        pytest.fail(f"{self.name}: bad input passed silently (expected: {expected})")

    def cli_error(self, argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
        """The CLI exits 2 with exactly one line ``error: <expected>``."""
        code = pipeline.main(["--quiet", *argv])
        stderr = capsys.readouterr().err.strip().splitlines()
        if code == 0:
            LEDGER.append({"case": self.name, "outcome": "SILENT"})
            pytest.fail(f"{self.name}: bad input passed silently (expected: {expected})")
        LEDGER.append({"case": self.name, "outcome": "error"})
        assert code == 2
        assert stderr == [f"error: {expected}"]

    def handled(self, outcome: str, caught: bool) -> None:
        """A case whose bad rows are quarantined or masked: ``caught`` says the report shows them."""
        LEDGER.append({"case": self.name, "outcome": outcome if caught else "SILENT"})
        if not caught:
            pytest.fail(f"{self.name}: bad rows passed silently")


@pytest.fixture
def case(request: pytest.FixtureRequest) -> Case:
    """The ledger entry of the running case."""
    return Case(request.node.name)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print how many bad-input cases ran and how many passed silently (must be 0)."""
    if not LEDGER:
        return
    silent = [entry["case"] for entry in LEDGER if entry["outcome"] == "SILENT"]
    counts: dict[str, int] = {}
    for entry in LEDGER:
        counts[entry["outcome"]] = counts.get(entry["outcome"], 0) + 1
    terminalreporter.write_sep("-", "reliability: bad-input matrix")
    terminalreporter.write_line(
        f"bad-input cases: {len(LEDGER)} ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}); "
        f"silent passes: {len(silent)}"
    )
    for name in silent:
        terminalreporter.write_line(f"  SILENT: {name}")


@pytest.fixture
def no_temp_files() -> Iterator[Callable[[Path], list[Path]]]:
    """A finder of leftover temp files (``.*.tmp``) under a folder."""

    def find(root: Path) -> list[Path]:
        return sorted(p for p in root.rglob(".*.tmp"))

    return find
