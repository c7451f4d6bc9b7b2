"""What the light entry points import: the submit image (kfp SDK, pipeline.py, no database drivers, no ML
libraries) compiles and submits the pipeline, so pipeline.py, the CLI and URL parsing must not need them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("duckdb", "adbc_driver_postgresql", "adbc_driver_manager", "pyarrow", "pandas", "pandera", "sklearn",
         "matplotlib", "tenacity", "mlflow")  # fmt: skip


@pytest.mark.parametrize(
    ("modules", "heavy"),
    [
        (("components.common.warehouse.url",), HEAVY),
        (("pipeline", "components.cli", "components.cli.cluster", "components.contracts"), HEAVY),
        # MLflow (about a second to import) is imported only when the tracking store is talked to.
        (("components.common.tracking", "components.common.run_tracking", "components.cli.rollback"), HEAVY),
        (("components.ingest.shell", "components.validate.shell", "components.features.shell"), ("mlflow",)),
        (("components.train.shell", "components.predict.shell", "components.promote.shell"), ("mlflow",)),
        # The promote image has no scikit-learn: promote reads evaluate's hand-over, not its shell.
        (("components.promote.shell", "components.common.run_tracking"), ("sklearn", "matplotlib", "duckdb")),
        # Monitor starts fast: its checks are numpy and pandas (about 3 s of start-up saved).
        (("components.monitor.shell",), ("sklearn", "scipy", "matplotlib", "mlflow")),
    ],
)
def test_light_modules_import_no_driver_or_ml_library(modules: tuple[str, ...], heavy: tuple[str, ...]) -> None:
    code = (
        f"import importlib, json, sys\nfor m in {list(modules)!r}: importlib.import_module(m)\n"
        f"print(json.dumps(sorted(m for m in {list(heavy)!r} if m in sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


def test_the_console_script_is_pipeline_main() -> None:
    from importlib.metadata import entry_points

    [script] = [entry for entry in entry_points(group="console_scripts") if entry.name == "flight-delay"]
    assert script.value == "pipeline:main"
