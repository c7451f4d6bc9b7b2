"""scripts/cluster/*.sh parse, and are shellcheck-clean where shellcheck is installed (Debian: apt-get install
shellcheck); actionlint also runs shellcheck on the workflows' `run:` blocks when it finds it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.k8s.conftest import REPO

SCRIPTS = sorted(str(path.relative_to(REPO)) for path in (REPO / "scripts" / "cluster").glob("*.sh"))


def test_found_the_scripts() -> None:
    assert {"scripts/cluster/cluster-up.sh", "scripts/cluster/warehouse.sh", "scripts/cluster/render.sh"} <= set(
        SCRIPTS
    )


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_parses_and_is_strict(script: str) -> None:
    result = subprocess.run(["bash", "-n", script], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    text = (REPO / script).read_text()
    if not script.endswith("common.sh"):  # sourced, not run
        assert text.startswith("#!/usr/bin/env bash\n"), script
        assert "set -euo pipefail" in text or script.endswith("collect-logs.sh"), script


@pytest.mark.parametrize("script", SCRIPTS)
def test_shellcheck(script: str) -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("no shellcheck on PATH (Debian: apt-get install shellcheck)")
    result = subprocess.run(
        [shellcheck, "--external-sources", script], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_shellcheck_fails_on_a_broken_copy(tmp_path: Path) -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("no shellcheck on PATH (Debian: apt-get install shellcheck)")
    broken = tmp_path / "broken.sh"
    broken.write_text((REPO / "scripts" / "cluster" / "push-images.sh").read_text().replace('"$image"', "$image"))
    result = subprocess.run(
        [shellcheck, "--external-sources", str(broken)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "SC2086" in result.stdout


def test_kfp_namespace_is_warned_and_audited_not_enforced() -> None:
    """KFP's own pods (and the task pods it creates) are not `restricted`: enforcing it would stop KFP."""
    script = (REPO / "scripts" / "cluster" / "cluster-up.sh").read_text()
    assert "pod-security.kubernetes.io/warn=restricted" in script
    assert "pod-security.kubernetes.io/audit=restricted" in script
    assert "pod-security.kubernetes.io/enforce" not in script


def test_kfp_is_installed_at_the_pinned_ref_in_the_documented_order() -> None:
    script = (REPO / "scripts" / "cluster" / "cluster-up.sh").read_text()
    scoped = script.index('apply -k "$cluster_scoped"')
    established = script.index("wait --for condition=established --timeout=120s crd/applications.app.k8s.io")
    agnostic = script.index('apply -k "$platform"')
    assert scoped < established < agnostic
