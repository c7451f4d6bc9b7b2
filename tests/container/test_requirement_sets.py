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
