"""The deployed environments (issue 15): k8s/overlays/dev, preprod and prod render, as `make deploy` renders them (by
digest, in their namespace), and validate strictly offline; what differs between them is only what should; and
`make deploy ENV=...` does what it says, or stops with one line."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.common.config import load_settings
from tests.k8s.conftest import (
    REPO,
    Manifest,
    load_all,
    one,
    pod_specs,
    run_render_script,
    venv_tool,
)
from tests.k8s.policy import pod_problems
from tests.k8s.test_make import command_line, dry_run, make
from tests.k8s.test_manifests import POSTGRES_IMAGE, STAGE_IMAGES, assert_valid

ENVIRONMENTS = ["dev", "preprod", "prod"]
REGISTRY_REPO = "ghcr.io/acme/flight-delay"
TAG = "0123456789ab"
DIGESTS = {image: "sha256:" + hashlib.sha256(image.encode()).hexdigest() for image in STAGE_IMAGES}
STORAGE_CLASS = {"dev": "standard", "preprod": "ssd", "prod": "ssd"}


def _containers(pod: Manifest) -> list[Manifest]:
    return list(pod.get("initContainers") or []) + list(pod["containers"])


@pytest.fixture(scope="module")
def digests_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("digests") / "digests.txt"
    path.write_text("".join(f"{image} {digest}\n" for image, digest in DIGESTS.items()))
    return path


@pytest.fixture(scope="module")
def deployed(kubectl: str, digests_file: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each environment rendered by scripts/cluster/render.sh as `make deploy ENV=... IMAGE_DIGESTS=...` does."""
    root = tmp_path_factory.mktemp("environments")
    paths = {}
    for env in ENVIRONMENTS:
        result = _render(env, root / env, digests_file)
        assert result.returncode == 0, f"render.sh k8s/overlays/{env} failed: {result.stderr}"
        paths[env] = root / env / "manifests.yaml"
    return paths


def _render(env: str, out: Path, digests: Path) -> subprocess.CompletedProcess[str]:
    return run_render_script(f"k8s/overlays/{env}", out, REGISTRY_REPO, TAG, f"flights-{env}", digests=digests)


@pytest.fixture(scope="module")
def deployed_docs(deployed: dict[str, Path]) -> dict[str, list[Manifest]]:
    return {env: load_all(path.read_text()) for env, path in deployed.items()}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_what_make_deploy_applies_validates_strictly(env: str, deployed: dict[str, Path]) -> None:
    assert_valid(deployed[env], len(load_all(deployed[env].read_text())))


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_overlay_alone_lands_in_the_namespace_its_config_names(env: str, render: Callable[[str], str]) -> None:
    """`kubectl kustomize k8s/overlays/ENV`, make's DEPLOY_NAMESPACE and configs/ENV.yaml's URLs: one namespace."""
    docs = load_all(render(f"k8s/overlays/{env}"))
    assert {doc["metadata"]["namespace"] for doc in docs} == {f"flights-{env}"}
    assert {doc["metadata"]["labels"]["flight-delay/environment"] for doc in docs} == {env}
    settings = load_settings(REPO / "configs" / f"{env}.yaml")
    assert f".flights-{env}.svc.cluster.local:" in settings.tracking_uri
    assert f".flights-{env}.svc.cluster.local:" in settings.warehouse_url
    deploy = dry_run("deploy", f"ENV={env}", f"IMAGE_REPO={REGISTRY_REPO}").replace("\\\n", " ")
    assert f" --namespace flights-{env} " in command_line(deploy, "pipeline.py schedule")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_image_is_ours_by_digest(env: str, deployed_docs: dict[str, list[Manifest]]) -> None:
    images = {c["image"] for doc in deployed_docs[env] for pod in pod_specs(doc) for c in _containers(pod)}
    assert images == {POSTGRES_IMAGE, f"{REGISTRY_REPO}/mlflow@{DIGESTS['mlflow']}"}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_pods_pull_with_the_registry_secret_and_stay_restricted(
    env: str, deployed_docs: dict[str, list[Manifest]]
) -> None:
    docs = deployed_docs[env]
    pods = [(doc, pod) for doc in docs for pod in pod_specs(doc)]
    assert {doc["kind"] for doc, _ in pods} == {"Deployment", "StatefulSet"}
    for doc, pod in pods:
        assert pod["imagePullSecrets"] == [{"name": "ghcr-pull"}], doc["metadata"]["name"]
        assert pod_problems(f"{doc['kind']}/{doc['metadata']['name']}", pod) == []
    assert one(docs, "ServiceAccount", "flights-submitter")["imagePullSecrets"] == [{"name": "ghcr-pull"}]
    assert one(docs, "RoleBinding", "flights-submitter")["subjects"][0]["namespace"] == f"flights-{env}"
    assert [doc for doc in docs if doc["kind"] == "Secret"] == []  # credentials never come from git


def _volumes(docs: list[Manifest]) -> dict[str, tuple[str, str]]:
    claim = one(docs, "PersistentVolumeClaim", "flights-mlflow-artifacts")["spec"]
    template = one(docs, "StatefulSet", "flights-warehouse")["spec"]["volumeClaimTemplates"][0]["spec"]
    return {
        name: (spec["storageClassName"], spec["resources"]["requests"]["storage"])
        for name, spec in (("mlflow", claim), ("warehouse", template))
    }


def _resources(docs: list[Manifest]) -> dict[str, Any]:
    return {
        container["name"]: container["resources"]
        for kind, name in (("StatefulSet", "flights-warehouse"), ("Deployment", "flights-mlflow"))
        for container in one(docs, kind, name)["spec"]["template"]["spec"]["containers"]
    }


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_volumes_on_the_environments_storage_class(env: str, deployed_docs: dict[str, list[Manifest]]) -> None:
    size = "5Gi" if env == "dev" else "20Gi"
    assert _volumes(deployed_docs[env]) == {
        "mlflow": (STORAGE_CLASS[env], size),
        "warehouse": (STORAGE_CLASS[env], size),
    }


def test_prod_has_more_headroom_than_dev_and_preprod_is_prod(deployed_docs: dict[str, list[Manifest]]) -> None:
    dev, preprod, prod = (_resources(deployed_docs[env]) for env in ENVIRONMENTS)
    assert prod["postgres"] == {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "3Gi"}}
    assert prod["mlflow"]["limits"] == {"cpu": "2", "memory": "3Gi"}
    assert dev["postgres"]["limits"] == {"cpu": "1", "memory": "1536Mi"}  # the base's
    assert preprod == prod
    assert _volumes(deployed_docs["preprod"]) == _volumes(deployed_docs["prod"])


def test_a_digests_file_without_every_image_renders_nothing(kubectl: str, tmp_path: Path) -> None:
    partial = tmp_path / "digests.txt"
    partial.write_text("".join(f"{image} {digest}\n" for image, digest in DIGESTS.items() if image != "mlflow"))
    result = _render("dev", tmp_path / "out", partial)
    assert result.returncode != 0
    assert result.stderr.strip() == (
        f"error: {partial} has no digest for image mlflow (want a line 'mlflow sha256:<64 hex>'): "
        "push every image, then write it again"
    )
    assert not (tmp_path / "out").exists()


def test_make_deploy_dry_run_renders_applies_then_schedules() -> None:
    output = dry_run("deploy", "ENV=dev", f"IMAGE_REPO={REGISTRY_REPO}", f"IMAGE_TAG={TAG}", "IMAGE_DIGESTS=d.txt")
    steps = [
        "is not an environment",
        "kubectl not found",
        "names no registry",
        "render.sh k8s/overlays/dev build/k8s/dev",
        "get namespace flights-dev",
        "warehouse-secret.sh",
        "alerts-secret.sh",
        "kubectl apply -f build/k8s/dev/manifests.yaml",
        "pipeline.py schedule",
    ]
    positions = [output.find(step) for step in steps]
    assert -1 not in positions, output
    assert positions == sorted(positions), output
    render = command_line(output, "render.sh")
    assert "KFP_NAMESPACE=flights-dev " in render
    assert "KFP_NAMESPACE=kubeflow" not in render
    assert f"IMAGE_REPO={REGISTRY_REPO} IMAGE_TAG={TAG} IMAGE_DIGESTS=d.txt" in render
    schedule = " ".join(output.split("IMAGE_DIGESTS=d.txt ")[-1].replace("\\\n", " ").split())
    assert schedule.endswith(
        "pipeline.py schedule --config configs/dev.yaml --pipeline daily --host http://localhost:8080 "
        f"--namespace flights-dev --image-repo {REGISTRY_REPO} --image-tag {TAG} --replay-year 2013"
    )
    assert {"--cron", "--name"}.isdisjoint(schedule.split())  # configs/dev.yaml's schedule


@pytest.mark.parametrize("dry", [True, False])
@pytest.mark.parametrize("value", ["", "qa", "Prod"])
def test_make_deploy_with_a_wrong_env_is_one_line_and_does_nothing(value: str, dry: bool, tmp_path: Path) -> None:
    result = make(*(["-n"] if dry else []), "deploy", f"ENV={value}", f"K8S_BUILD={tmp_path / 'k8s'}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        f"error: ENV='{value}' is not an environment: use make deploy ENV=dev, ENV=preprod or ENV=prod"
    )
    assert result.stdout == ("" if not dry else result.stdout.split("\n", 1)[0] + "\n")  # only the check, shown
    assert not (tmp_path / "k8s").exists()


def test_make_deploy_without_a_registry_is_one_line(kubectl: str, tmp_path: Path) -> None:
    result = make("deploy", "ENV=dev", f"K8S_BUILD={tmp_path / 'k8s'}")
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        "error: IMAGE_REPO=flight-delay names no registry: pass the one make push (or the release) pushed to, "
        "e.g. IMAGE_REPO=ghcr.io/OWNER/flight-delay"
    ]
    assert not (tmp_path / "k8s").exists()


def test_make_scan_passes_and_trivy_can_fail(kubectl: str, tmp_path: Path) -> None:
    """`make scan` (the release's first job) on docker/ and the rendered environments, and a privileged pod it fails."""
    result = make("scan", f"K8S_BUILD={tmp_path / 'k8s'}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(path.parent.name for path in (tmp_path / "k8s").glob("*/manifests.yaml")) == ENVIRONMENTS
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "bad"},
        "spec": {
            "containers": [{"name": "c", "image": "x@sha256:" + "0" * 64, "securityContext": {"privileged": True}}]
        },
    }
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(pod))
    trivy = venv_tool("trivy")
    result = subprocess.run(
        [trivy, "config", "--quiet", "--skip-check-update", "--severity", "HIGH,CRITICAL", "--exit-code", "1",
         str(tmp_path / "bad.yaml")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "KSV-0017" in result.stdout  # privileged


WEBHOOK = "https://hooks.example.com/services/T0/B0/secret-token"
# kubectl as the alerts script meets it: the real one (offline: create --dry-run, label --local), except `apply`,
# which keeps what it was given; every command line is logged, to prove the URL is never on one.
RECORDING_KUBECTL = """#!/usr/bin/env bash
echo "$*" >>"$RECORD/argv"
for arg in "$@"; do
    if [[ "$arg" == apply ]]; then cat >"$RECORD/applied.yaml"; exit 0; fi
done
exec "$REAL_KUBECTL" "$@"
"""


def _alerts_secret(kubectl: str, tmp_path: Path, url: str | None) -> subprocess.CompletedProcess[str]:
    fake = tmp_path / "kubectl"
    fake.write_text(RECORDING_KUBECTL)
    fake.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if key != "FLIGHTS_ALERT_WEBHOOK_URL"}
    env.update(KUBECTL=str(fake), REAL_KUBECTL=kubectl, RECORD=str(tmp_path), KFP_NAMESPACE="flights-prod")
    if url is not None:
        env["FLIGHTS_ALERT_WEBHOOK_URL"] = url
    return subprocess.run(
        ["bash", "scripts/cluster/alerts-secret.sh"], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )


def test_the_alerts_secret_comes_from_the_variable_never_a_command_line(kubectl: str, tmp_path: Path) -> None:
    result = _alerts_secret(kubectl, tmp_path, WEBHOOK)
    assert result.returncode == 0, result.stderr
    secret = yaml.safe_load((tmp_path / "applied.yaml").read_text())
    assert (secret["kind"], secret["metadata"]["name"], secret["metadata"]["namespace"]) == (
        "Secret", "flights-alerts", "flights-prod"
    )  # fmt: skip
    assert base64.b64decode(secret["data"]["webhook-url"]).decode() == WEBHOOK
    assert secret["metadata"]["labels"]["app.kubernetes.io/part-of"] == "flight-delay"
    assert "secret-token" not in (tmp_path / "argv").read_text() + result.stdout + result.stderr


@pytest.mark.parametrize(
    ("url", "code", "line"),
    [
        (None, 0, "FLIGHTS_ALERT_WEBHOOK_URL is not set: keeping secret flights-alerts in flights-prod as it is "
                  "(none: no alerts)"),
        ("hooks.example.com/secret-token", 1, "error: FLIGHTS_ALERT_WEBHOOK_URL is not an http(s):// URL with a host "
                                              "(the value is not shown: it is a secret)"),
    ],
)  # fmt: skip
def test_no_alerts_url_changes_nothing_and_a_bad_one_is_one_line(
    url: str | None, code: int, line: str, kubectl: str, tmp_path: Path
) -> None:
    result = _alerts_secret(kubectl, tmp_path, url)
    assert result.returncode == code
    assert (result.stdout + result.stderr).strip() == line
    assert not (tmp_path / "applied.yaml").exists()
