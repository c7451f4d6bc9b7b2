"""The Kubernetes suite's fixtures: the manifests under k8s/ rendered by the real `kubectl kustomize`.

No cluster is needed (none can run here): rendering, schema validation (`kubernetes-validate`) and
`actionlint` all work offline. Without kubectl the rendering tests skip with the reason; with
``REQUIRE_KUBECTL=1`` (CI) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml

from tests.support.required import unavailable

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "k8s"
# The Kubernetes version kind runs (KIND_NODE_IMAGE kindest/node:v1.33.1): the schemas manifests must pass.
K8S_SCHEMA_VERSION = "1.33.1"
# What `make` passes to scripts/cluster/render.sh in the tests: a registry repo and a dirty-commit tag.
TEST_IMAGE_REPO = "registry.example.com/team/flight-delay"
TEST_IMAGE_TAG = "0123456789ab-dirty"
# Every folder with a kustomization.yaml: each must render and validate.
KUSTOMIZATIONS = sorted(str(path.parent.relative_to(REPO)) for path in K8S.rglob("kustomization.yaml"))
# What `make warehouse` and `make cronjob` apply, rendered with the images `make build` tagged.
APPLIED = ["k8s/overlays/kind", "k8s/overlays/managed", "k8s/seed", "k8s/cronjob"]

Manifest = dict[str, Any]


def venv_tool(name: str) -> str:
    """A console script of the project's environment (kubernetes-validate, actionlint), beside this Python."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.fail(f"{path} missing: run make install (it is a dev dependency in uv.lock)", pytrace=False)
    return str(path)


def _unavailable(reason: str) -> NoReturn:
    unavailable(reason, "REQUIRE_KUBECTL", "the manifest tests")


@pytest.fixture(scope="session")
def kubectl() -> str:
    """The kubectl CLI (only its built-in kustomize is used; no cluster)."""
    executable = shutil.which("kubectl")
    if executable is None:
        _unavailable("no kubectl on PATH: install kubectl to render the manifests under k8s/")
    return executable


def load_all(text: str) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


@pytest.fixture(scope="session")
def render(kubectl: str) -> Callable[[str], str]:
    """`kubectl kustomize DIR` (DIR relative to the repository), cached per session."""
    cache: dict[str, str] = {}

    def _render(directory: str) -> str:
        if directory not in cache:
            result = subprocess.run(
                [kubectl, "kustomize", directory], cwd=REPO, capture_output=True, text=True, check=False
            )
            assert result.returncode == 0, f"kubectl kustomize {directory} failed: {result.stderr}"
            cache[directory] = result.stdout
        return cache[directory]

    return _render


def run_render_script(
    src: str, out: Path, image_repo: str, image_tag: str, namespace: str = "kubeflow", *, digests: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """scripts/cluster/render.sh as make runs it (``digests``: its IMAGE_DIGESTS file, as `make deploy` passes it)."""
    env = {**os.environ, "IMAGE_REPO": image_repo, "IMAGE_TAG": image_tag, "KFP_NAMESPACE": namespace}
    env.pop("IMAGE_DIGESTS", None)
    if digests is not None:
        env["IMAGE_DIGESTS"] = str(digests)
    return subprocess.run(
        ["bash", "scripts/cluster/render.sh", src, str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="session")
def applied(kubectl: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """What make applies: each of APPLIED rendered by scripts/cluster/render.sh -> its manifests.yaml."""
    root = tmp_path_factory.mktemp("rendered")
    paths = {}
    for src in APPLIED:
        out = root / src.replace("/", "-")
        result = run_render_script(src, out, TEST_IMAGE_REPO, TEST_IMAGE_TAG)
        assert result.returncode == 0, f"render.sh {src} failed: {result.stderr}"
        paths[src] = out / "manifests.yaml"
    return paths


@pytest.fixture(scope="session")
def applied_docs(applied: dict[str, Path]) -> dict[str, list[Manifest]]:
    return {src: load_all(path.read_text()) for src, path in applied.items()}


def pod_specs(doc: Manifest) -> Iterator[Manifest]:
    """The pod spec of a workload (none for other kinds)."""
    kind = doc.get("kind")
    spec = doc.get("spec", {})
    if kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}:
        yield spec["template"]["spec"]
    elif kind == "CronJob":
        yield spec["jobTemplate"]["spec"]["template"]["spec"]
    elif kind == "Pod":
        yield spec


def one(docs: list[Manifest], kind: str, name: str) -> Manifest:
    """The one object of that kind and name (a generated ConfigMap: that name plus kustomize's hash suffix)."""

    def matches(actual: str) -> bool:
        return actual == name or (kind == "ConfigMap" and actual.rpartition("-")[0] == name)

    found = [doc for doc in docs if doc["kind"] == kind and matches(doc["metadata"]["name"])]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]
