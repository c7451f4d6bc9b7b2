"""notebooks/flight_disruption.ipynb: paired with its py:percent text, committed without outputs, and executed
headless on a small config, where its holdout metrics must be the evaluate stage's for the same day."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import pytest
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from components.cli.inprocess import run_stages, stage_values
from components.common.config import load_settings

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "flight_disruption.ipynb"
TEXT = NOTEBOOK.with_suffix(".py")
DAY = "2013-06-15"
# Small enough for seconds: four weeks of training rows, the last one held out, a shallow model.
SMALL_CONFIG = """\
window: {{window_days: 28, holdout_days: 7, rate_days: 14}}
train: {{max_iter: 30}}
warehouse_url: {warehouse_url}
artifact_root: {artifact_root}
"""


def _cells(notebook: Any) -> list[tuple[str, str, list[str]]]:
    return [(cell.cell_type, cell.source, cell.metadata.get("tags", [])) for cell in notebook.cells]


def test_the_notebook_and_its_text_have_the_same_cells() -> None:
    paired, text = jupytext.read(NOTEBOOK), jupytext.read(TEXT)
    assert _cells(paired) == _cells(text), f"run: .venv/bin/jupytext --sync {NOTEBOOK.relative_to(REPO)}"
    assert paired.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert paired.metadata["kernelspec"]["name"] == "python3"


def test_the_notebook_is_committed_without_outputs() -> None:
    code = [cell for cell in nbformat.read(NOTEBOOK, as_version=4).cells if cell.cell_type == "code"]
    assert code
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)


def test_the_notebook_has_one_parameters_cell_of_plain_assignments() -> None:
    [parameters] = [cell for cell in jupytext.read(TEXT).cells if "parameters" in cell.metadata.get("tags", [])]
    names = {line.split("=")[0].strip() for line in parameters.source.splitlines() if line.strip()}
    assert names == {"config", "run_date", "warehouse_url", "work_dir", "metrics_path"}


def _with_parameters(notebook: Any, values: dict[str, str]) -> Any:
    """The notebook with a cell setting ``values`` after its parameters cell (papermill's convention)."""
    [index] = [i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", [])]
    source = "\n".join(f"{name} = {value!r}" for name, value in values.items())
    injected = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    notebook.cells.insert(index + 1, injected)
    return notebook


def _execute(notebook: Any, scratch: Path) -> Any:
    """Run every cell in a kernel of this interpreter (a kernel spec of its own, so no user's ``python3`` spec can
    stand in), from the notebooks folder as Jupyter does; the kernel's files stay in ``scratch``."""
    write_kernel_spec(scratch / "kernels" / "python3")
    manager = KernelManager(
        kernel_name="python3",
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(scratch / "kernels")], ensure_native_kernel=False),
        connection_file=str(scratch / "kernel-connection.json"),
    )
    client = NotebookClient(notebook, km=manager, timeout=300, resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    env = {
        **os.environ,
        "IPYTHONDIR": str(scratch / "ipython"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    return client.execute(env=env)


@pytest.mark.slow
def test_the_notebook_runs_and_its_holdout_metrics_are_the_pipelines(duckdb_warehouse: str, tmp_path: Path) -> None:
    config = tmp_path / "small.yaml"
    config.write_text(SMALL_CONFIG.format(warehouse_url=duckdb_warehouse, artifact_root=tmp_path / "artifacts"))
    metrics_path = tmp_path / "notebook-metrics.json"
    parameters = {"config": str(config), "run_date": DAY, "work_dir": str(tmp_path / "notebook"),
                  "metrics_path": str(metrics_path)}  # fmt: skip
    executed = _execute(_with_parameters(nbformat.read(NOTEBOOK, as_version=4), parameters), tmp_path)
    images = [
        output for cell in executed.cells for output in cell.get("outputs", []) if "image/png" in output.get("data", {})
    ]
    assert len(images) == 4  # hour and carrier, carrier x hour, ROC + calibration + importance, yesterday
    notebook = json.loads(metrics_path.read_text())

    folder = tmp_path / "pipeline"
    folder.mkdir()
    reports = run_stages(
        ("ingest", "validate", "features", "train", "evaluate"), stage_values(folder, load_settings(config), DAY)
    )
    evaluation = json.loads((folder / "evaluation.json").read_text())

    assert notebook["run_date"] == evaluation["run_date"] == DAY
    assert notebook["holdout_rows"] == evaluation["holdout_rows"] > 0
    assert evaluation["champion"] is None  # a fresh registry: the notebook has no champion either
    for role in ("challenger", "baseline"):
        pipeline = {name: value for name, value in evaluation[role].items() if value is not None}
        assert notebook["metrics"][role] == pytest.approx(pipeline, rel=1e-12, abs=1e-12), role
    assert notebook["top_features"] == reports["evaluate"].top_features  # type: ignore[attr-defined]
