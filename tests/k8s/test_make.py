"""The cluster targets of mk/cluster.mk: what `make -n` would run (no cluster needed), and the one-line
errors they stop with when a tool, an image or a registry is missing (real runs that fail early)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.k8s.conftest import REPO

MAKE = ["make", "--no-print-directory", "-f", "Makefile"]
STAGES = ["ingest", "validate", "features", "train", "evaluate", "promote", "predict", "monitor"]
CLUSTER_TARGETS = [
    "cluster",
    "cluster-down",
    "ui",
    "warehouse",
    "load",
    "push",
    "submit",
    "schedule",
    "unschedule",
    "doctor",
    "cronjob",
    "cronjob-down",
    "deploy",
    "scan",
]


def make(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MAKE", "MFLAGS"))}
    env.update(extra_env)
    for variable in ("IMAGE_REPO", "IMAGE_TAG", "STAGES", "RUN_DATE", "WAIT", "KFP_HOST", "KIND", "KUBECTL"):
        env.pop(variable, None)
    return subprocess.run([*MAKE, *args], cwd=REPO, env=env, capture_output=True, text=True, check=False)


def dry_run(*args: str) -> str:
    """`make -n` of a target: its commands, with the pipeline.py / script line last."""
    result = make("-n", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def command_line(output: str, marker: str) -> str:
    lines = [line for line in output.splitlines() if marker in line]
    assert len(lines) == 1, output
    return lines[0]


def test_help_lists_every_cluster_target() -> None:
    result = make("help")
    assert result.returncode == 0, result.stderr
    plain = re.sub(r"\x1b\[[0-9;]*m", " ", result.stdout)
    listed = {line.split()[0] for line in plain.splitlines() if line.strip()}
    missing = set(CLUSTER_TARGETS) - listed
    assert not missing, f"make help lacks {sorted(missing)}: does the Makefile include mk/cluster.mk?"


def test_load_names_every_image_with_the_tag() -> None:
    line = command_line(dry_run("load", "IMAGE_TAG=abc", "IMAGE_REPO=reg.example.com/fd"), "load-images.sh")
    images = line.split("load-images.sh flight-delay ", 1)[1].split()
    assert images == [f"reg.example.com/fd/{name}:abc" for name in [*STAGES, "mlflow", "submit"]]


def test_push_names_every_image_with_the_tag() -> None:
    line = command_line(dry_run("push", "IMAGE_TAG=abc", "IMAGE_REPO=ghcr.io/o/fd"), "push-images.sh")
    assert line.endswith(
        "push-images.sh ghcr.io/o/fd " + " ".join(f"ghcr.io/o/fd/{n}:abc" for n in [*STAGES, "mlflow", "submit"])
    )


def test_submit_passes_wait_date_and_images() -> None:
    line = command_line(dry_run("submit", "WAIT=1", "RUN_DATE=2013-07-01", "IMAGE_TAG=abc"), "pipeline.py submit")
    assert "--wait" in line.split()
    assert "--date 2013-07-01" in line
    assert "--pipeline daily" in line
    assert "--host http://localhost:8080 --namespace kubeflow" in line
    assert "--image-repo flight-delay --image-tag abc" in line
    assert "--replay-year 2013" in line


def test_submit_without_wait_or_date() -> None:
    line = command_line(dry_run("submit", "IMAGE_TAG=abc"), "pipeline.py submit")
    assert "--wait" not in line
    assert "--date" not in line  # pipeline.py then runs the config's demo day


def test_schedule_and_unschedule() -> None:
    line = command_line(dry_run("schedule", "IMAGE_TAG=abc"), "pipeline.py schedule")
    assert '--name flight-delay-daily --cron "0 0 6 * * *" --pipeline daily' in line
    assert "--image-tag abc" in line
    assert "--replay-year 2013" in line
    line = command_line(dry_run("unschedule", "SCHEDULE_NAME=other"), "pipeline.py unschedule")
    assert "--name other --host http://localhost:8080" in line


def test_doctor_checks_the_kind_node_of_the_cluster() -> None:
    line = command_line(dry_run("doctor", "KIND_CLUSTER=mine", "IMAGE_TAG=abc"), "pipeline.py doctor")
    assert '--kind-cluster "mine"' in line
    assert "--image-tag abc" in line


def test_doctor_looks_for_no_kind_node_off_kind() -> None:
    """A managed cluster has no kind node: OVERLAY=managed (or an environment's overlay) or KIND_CLUSTER= skips the
    image check (an empty value, so the CLI's $KIND_CLUSTER default can't bring it back)."""
    for args in (["OVERLAY=managed"], ["OVERLAY=prod", "KIND_CLUSTER=mine"], ["KIND_CLUSTER="]):
        line = command_line(dry_run("doctor", "IMAGE_TAG=abc", *args), "pipeline.py doctor")
        assert '--kind-cluster ""' in line, args
        assert "--host http://localhost:8080 --namespace kubeflow" in line


def test_doctor_checks_mlflow_where_make_ui_forwards_it() -> None:
    assert dry_run("doctor", "IMAGE_TAG=abc").rstrip().endswith("--tracking-uri http://127.0.0.1:5000")
    line = command_line(dry_run("doctor", "IMAGE_TAG=abc", "MLFLOW_PORT=5055"), "pipeline.py doctor")
    assert line.endswith("--tracking-uri http://127.0.0.1:5055")
    line = command_line(dry_run("doctor", "IMAGE_TAG=abc", "TRACKING_URI=https://mlflow.example.com"), "doctor")
    assert line.endswith("--tracking-uri https://mlflow.example.com")
    ui = dry_run("ui", "MLFLOW_PORT=5055")
    assert "port-forward svc/flights-mlflow 5055:5000" in ui
    assert "port-forward svc/ml-pipeline-ui 8080:80" in ui


def test_cluster_pins_versions() -> None:
    line = command_line(dry_run("cluster"), "cluster-up.sh")
    assert "KFP_VERSION=2.17.0" in line
    assert "KIND_NODE_IMAGE=kindest/node:v1.33.1" in line
    assert "KIND_CLUSTER=flight-delay" in line
    # Standalone KFP from its own kustomizations at that ref: cluster-scoped resources, then the platform-agnostic env.
    base = "github.com/kubeflow/pipelines/manifests/kustomize"
    assert f'KFP_CLUSTER_SCOPED="{base}/cluster-scoped-resources?ref=2.17.0"' in line
    assert f'KFP_PLATFORM="{base}/env/platform-agnostic?ref=2.17.0"' in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["load", "KIND=kind-missing-xyz"],
            "error: kind-missing-xyz not found on PATH: install kind v0.29.0 "
            "(https://kind.sigs.k8s.io/docs/user/quick-start/#installation), or set KIND=/path/to/kind",
        ),
        (
            ["cluster-down", "KIND=kind-missing-xyz"],
            "error: kind-missing-xyz not found on PATH: install kind v0.29.0 "
            "(https://kind.sigs.k8s.io/docs/user/quick-start/#installation)",
        ),
        (
            ["cronjob", "KUBECTL=kubectl-missing-xyz"],
            "error: kubectl-missing-xyz not found on PATH: install kubectl (https://kubernetes.io/docs/tasks/tools/)",
        ),
        (
            ["warehouse", "KUBECTL=kubectl-missing-xyz"],
            "error: kubectl-missing-xyz not found on PATH: "
            "install kubectl (https://kubernetes.io/docs/tasks/tools/), or set KUBECTL=/path/to/kubectl",
        ),
        (
            ["load", "KIND=true", "DOCKER=false", "IMAGE_TAG=t1", "STAGES=train"],
            "error: image(s) not built: flight-delay/train:t1 flight-delay/submit:t1: "
            "run make build (same IMAGE_REPO / IMAGE_TAG) first",
        ),
        (
            ["push", "IMAGE_TAG=t1"],
            "error: IMAGE_REPO=flight-delay names no registry: set it to yours, e.g. "
            "IMAGE_REPO=ghcr.io/OWNER/flight-delay (Docker Hub: docker.io/USER/flight-delay), then make build push",
        ),
        (
            ["push", "IMAGE_TAG=t1", "IMAGE_REPO=ghcr.io/o/fd", "DOCKER=false", "STAGES=train"],
            "error: image(s) not built: ghcr.io/o/fd/train:t1 ghcr.io/o/fd/submit:t1: "
            "run make build IMAGE_REPO=ghcr.io/o/fd first",
        ),
    ],
)
def test_stops_with_one_line_naming_the_fix(args: list[str], message: str, tmp_path: Path) -> None:
    result = make(*args, f"K8S_BUILD={tmp_path / 'k8s'}")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [message], result.stdout + result.stderr
    assert not (tmp_path / "k8s").exists()


UNREACHABLE_KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: gone, user: {token: not-a-secret}}]
contexts: [{name: gone, context: {cluster: gone, user: gone}}]
current-context: gone
"""


def test_warehouse_without_a_reachable_cluster(kubectl: str, tmp_path: Path) -> None:
    """A real kubectl against a cluster that isn't there (port 1): one line, nothing rendered or created."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(UNREACHABLE_KUBECONFIG)
    result = make("warehouse", f"K8S_BUILD={tmp_path / 'k8s'}", KUBECONFIG=str(kubeconfig))
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("error: can't reach the cluster of kubectl's current context (")
    assert errors[0].endswith("): run make cluster, or check kubectl config current-context")
    assert "127.0.0.1:1" in errors[0]
    assert not (tmp_path / "k8s").exists()


def test_warehouse_rejects_an_unknown_overlay(kubectl: str, tmp_path: Path) -> None:
    result = make("warehouse", "OVERLAY=nope", f"K8S_BUILD={tmp_path / 'k8s'}")
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert result.returncode != 0
    assert errors == [
        "error: OVERLAY=nope: no k8s/overlays/nope (use kind, managed, or an environment: dev, preprod, prod)"
    ]
    assert not (tmp_path / "k8s").exists()
