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


def _check_claims(tmp_path: Path, pvc: str, events: str, classes: str) -> subprocess.CompletedProcess[str]:
    """check_claims (common.sh) against a fake kubectl answering the PVC's phase and class, its events and the
    cluster's storage classes (the jsonpath queries the function makes)."""
    kubectl = tmp_path / "kubectl"
    phase, _, class_name = pvc.partition(" ")
    kubectl.write_text(f"""#!/usr/bin/env bash
case "$*" in
    *"get pvc data-flights-warehouse-0"*"status.phase"*) echo -n '{phase}' ;;
    *"get pvc data-flights-warehouse-0"*"storageClassName"*) echo -n '{class_name}' ;;
    *"get pvc"*) exit 1 ;;
    *"get events"*) printf '{events}' ;;
    *"get storageclass"*) printf '{classes}' ;;
esac
""")
    kubectl.chmod(0o755)
    script = f'source {REPO}/scripts/cluster/common.sh; check_claims k8s/overlays/managed data-flights-warehouse-0 ' \
        'flights-mlflow-artifacts; echo fine'  # fmt: skip
    env = {**os.environ, "KUBECTL": str(kubectl), "KFP_NAMESPACE": "kubeflow"}
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=False)


def test_an_unprovisionable_claim_fails_at_once_naming_it_and_the_storage_class(tmp_path: Path) -> None:
    failed = 'ProvisioningFailed: storageclass.storage.k8s.io "ssd" not found\n'
    result = _check_claims(tmp_path, "Pending ssd", failed, "standard-rwo true\npremium-rwo \n")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: volume claim data-flights-warehouse-0 is Pending (ProvisioningFailed: "
        'storageclass.storage.k8s.io "ssd" not found): storage class ssd; set storageClassName in '
        "k8s/overlays/managed to one of this cluster's "
        "(standard-rwo,premium-rwo)"
    )


def test_a_claim_without_a_class_on_a_cluster_without_a_default_fails_at_once(tmp_path: Path) -> None:
    unbound = "FailedBinding: no persistent volumes available for this claim and no storage class is set\n"
    result = _check_claims(tmp_path, "Pending", unbound, "")
    assert result.returncode == 1
    assert "storage class none, and the cluster has no default one;" in result.stderr
    assert result.stderr.strip().endswith("one of this cluster's (none)")


@pytest.mark.parametrize(
    ("pvc", "events"),
    [("Bound standard", ""), ("Pending standard", "WaitForFirstConsumer: waiting for first consumer\n"), ("", "")],
)
def test_a_bound_waiting_or_missing_claim_is_no_problem(tmp_path: Path, pvc: str, events: str) -> None:
    result = _check_claims(tmp_path, pvc or "''", events, "standard true\n")
    assert (result.returncode, result.stdout.strip()) == (0, "fine"), result.stderr
