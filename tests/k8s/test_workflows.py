"""The GitHub workflows pass actionlint (which can fail: see the broken copies), and the kind e2e
workflow does what issue 4 asks, with the names make and the manifests use. It cannot run here."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from components.schemas.tables import create_table_sql
from tests.k8s.conftest import REPO, venv_tool

WORKFLOWS = sorted(str(path.relative_to(REPO)) for path in (REPO / ".github" / "workflows").glob("*.yml"))
E2E = REPO / ".github" / "workflows" / "e2e-kind.yml"


def actionlint(*paths: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [venv_tool("actionlint"), "-no-color", *map(str, paths)], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_found_the_workflows() -> None:
    assert {".github/workflows/ci.yml", ".github/workflows/e2e-kind.yml"} <= set(WORKFLOWS)


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_actionlint_passes(workflow: str) -> None:
    result = actionlint(workflow)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("runs-on: ubuntu-24.04", "runs-onn: ubuntu-24.04", 'unexpected key "runs-onn" for "job" section'),
        ("${{ env.DIAGNOSTICS }}", "${{ steps.nope.outputs.dir }}", 'property "nope" is not defined'),
    ],
)
def test_actionlint_fails_on_a_broken_copy(old: str, new: str, message: str, tmp_path: Path) -> None:
    text = E2E.read_text()
    assert old in text
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "e2e-kind.yml").write_text(text.replace(old, new, 1))
    result = actionlint(".github/workflows/e2e-kind.yml", cwd=tmp_path)
    assert result.returncode != 0
    assert message in result.stdout


def e2e_steps() -> list[dict[str, str]]:
    workflow = yaml.safe_load(E2E.read_text())
    return list(workflow["jobs"]["e2e"]["steps"])


def test_e2e_says_it_cannot_run_here() -> None:
    assert "IT CANNOT RUN ON OUR OWN MACHINES" in E2E.read_text()


def test_e2e_runs_the_users_make_targets_in_order() -> None:
    commands = [step.get("run", "") for step in e2e_steps()]
    expected = [
        "make install",
        "make build",
        "make cluster",
        "make load",
        "make warehouse",
        "make submit WAIT=1",
        "flight_predictions",
        "make schedule",
        "list_recurring_runs",
        "pipeline.py scheduled-run",
        "make cronjob",
        "make unschedule",
    ]
    positions: list[int] = []
    for word in expected:  # each after the one before (a step may run a later target too, e.g. its cleanup)
        after = positions[-1] if positions else 0
        positions.append(next((i for i, command in enumerate(commands) if i >= after and word in command), -1))
    assert -1 not in positions, dict(zip(expected, positions, strict=True))
    last = e2e_steps()[-1]
    assert last["run"] == "make cluster-down"
    assert last["if"] == "always()"


def test_e2e_collects_diagnostics_on_failure() -> None:
    steps = {step.get("name"): step for step in e2e_steps()}
    assert steps["Collect diagnostics"]["if"] == "failure()"
    assert "scripts/cluster/collect-logs.sh" in steps["Collect diagnostics"]["run"]
    assert steps["Upload diagnostics"]["uses"].startswith("actions/upload-artifact@v")


def test_e2e_pins_actions_and_kind() -> None:
    for step in e2e_steps():
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@(v\d+(\.\d+)*|[0-9a-f]{40})", step["uses"]), step["uses"]
    workflow = yaml.safe_load(E2E.read_text())
    cluster_mk = (REPO / "mk" / "cluster.mk").read_text()
    kind_version = re.search(r"^KIND_VERSION \?= (\S+)$", cluster_mk, re.MULTILINE)
    assert kind_version is not None
    assert workflow["env"]["KIND_VERSION"] == kind_version.group(1)


def test_e2e_checks_the_real_predictions_table() -> None:
    """The assertion's table and column exist in the warehouse schema the pipeline writes."""
    query = next(step["run"] for step in e2e_steps() if "flight_predictions" in step.get("run", ""))
    assert "from flight_predictions where run_date = " in query
    ddl = create_table_sql("flight_predictions")
    assert "CREATE TABLE IF NOT EXISTS flight_predictions" in ddl
    assert re.search(r"^\s+run_date DATE NOT NULL,$", ddl, re.MULTILINE)
