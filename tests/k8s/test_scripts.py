"""scripts/cluster/*.sh parse, and are shellcheck-clean where shellcheck is installed (Debian: apt-get install
shellcheck); actionlint also runs shellcheck on the workflows' `run:` blocks when it finds it."""

from __future__ import annotations

import os
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


def _fake_tool(path: Path, log: Path, body: str = "") -> None:
    path.write_text(f'#!/usr/bin/env bash\necho "$(basename "$0") $*" >> {log}\n{body}\n')
    path.chmod(0o755)


@pytest.mark.parametrize("new_docker", [True, False])
def test_load_saves_one_archive_and_loads_it_with_kind(tmp_path: Path, new_docker: bool) -> None:
    """`kind load docker-image` breaks under Docker's containerd image store: docker save + kind load image-archive,
    single-platform where docker save takes --platform; the archive is gone afterwards."""
    bin_dir, log, scratch = tmp_path / "bin", tmp_path / "calls.log", tmp_path / "tmp"
    bin_dir.mkdir()
    scratch.mkdir()
    help_text = "--platform string   Save only the given platform" if new_docker else "-o, --output string"
    _fake_tool(
        bin_dir / "docker",
        log,
        f"""case "$1 $2" in
    "image save") [[ "$3" == --help ]] && echo '{help_text}' || touch "${{@: -3:1}}" ;;
    "version --format") echo linux/amd64 ;;
esac""",
    )
    _fake_tool(bin_dir / "kind", log, '[[ "$1" == get ]] && echo flight-delay; true')
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "TMPDIR": str(scratch)}
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "cluster" / "load-images.sh"), "flight-delay", "r/ingest:t", "r/train:t"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    calls = [line for line in log.read_text().splitlines() if "--help" not in line and "inspect" not in line]
    platform = "--platform linux/amd64 " if new_docker else ""
    [save, load] = [line for line in calls if "save" in line or "load" in line]
    archive = save.split(" -o ")[1].split()[0]
    assert save == f"docker image save {platform}-o {archive} r/ingest:t r/train:t"
    assert load == f"kind load image-archive --name flight-delay {archive}"
    assert archive.startswith(str(scratch))
    assert list(scratch.iterdir()) == []
    assert "docker-image" not in log.read_text()
