"""The package sets the images install (docker/requirements/) are exactly what uv.lock says (no Docker needed)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Each set and the extras it adds to the core dependencies (the names in mk/docker.mk's REQUIREMENT_SETS).
SETS = {"core": [], "warehouse-seed": ["warehouse", "seed"], "cluster": ["cluster"], "ml": ["ml"]}
SETS["ml-report"] = ["ml", "report"]
SETS["warehouse-ml"] = ["warehouse", "ml"]


def _uv() -> str:
    found = shutil.which("uv") or (str(ROOT / ".bootstrap/bin/uv") if (ROOT / ".bootstrap/bin/uv").is_file() else None)
    if found is None:
        pytest.skip("uv not found (make install puts one in .bootstrap/)")
    return found


@pytest.mark.parametrize("name", sorted(SETS))
def test_requirement_set_matches_the_lock(name: str, tmp_path: Path) -> None:
    exported = tmp_path / f"{name}.txt"
    extras = [part for extra in SETS[name] for part in ("--extra", extra)]
    subprocess.run(
        [_uv(), "export", "--quiet", "--frozen", "--no-dev", "--no-emit-project", *extras, "--output-file", exported],
        cwd=ROOT,
        check=True,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    packages = [line for line in exported.read_text().splitlines() if not line.startswith("#")]
    committed = (ROOT / "docker" / "requirements" / f"{name}.txt").read_text().splitlines()
    assert [line for line in committed if not line.startswith("#")] == packages, (
        f"docker/requirements/{name}.txt is stale: run make requirements"
    )


def _pins(text: str) -> dict[str, str]:
    """``name==version`` lines (requirement names normalised, extras dropped)."""
    pins = {}
    for line in text.splitlines():
        requirement = line.split(";")[0].split("\\")[0].strip()
        if "==" in requirement and not requirement.startswith("#"):
            name, _, version = requirement.partition("==")
            pins[name.split("[")[0].strip().lower().replace("_", "-")] = version.strip()
    return pins


def test_mlflow_server_set_is_locked_to_its_pins() -> None:
    """docker/mlflow/requirements.txt (make mlflow-requirements) holds the .in's pins, every package with a hash,
    and the server's mlflow is the version of the client (mlflow-skinny) the pipeline locks."""
    folder = ROOT / "docker" / "mlflow"
    wanted = _pins((folder / "requirements.in").read_text())
    locked_text = (folder / "requirements.txt").read_text()
    locked = _pins(locked_text)
    stale = {name: version for name, version in wanted.items() if locked.get(name) != version}
    assert not stale, f"docker/mlflow/requirements.txt lacks {stale}: run make mlflow-requirements"
    assert len(locked) > len(wanted)  # the whole closure, not just the pins
    requirements = [line for line in locked_text.splitlines() if line[:1].isalnum()]
    hashed = locked_text.split("\n")
    assert all(
        hashed[index + 1].strip().startswith("--hash=sha256:")
        for index, line in enumerate(hashed)
        if line in requirements
    ), "every package needs a hash (uv pip compile --generate-hashes): run make mlflow-requirements"
    project = (ROOT / "pyproject.toml").read_text()
    assert f'"mlflow-skinny=={wanted["mlflow"]}"' in project, "keep mlflow in step with mlflow-skinny"
