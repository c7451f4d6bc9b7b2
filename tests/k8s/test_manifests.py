"""Every manifest under k8s/ renders (`kubectl kustomize`) and validates against the Kubernetes schemas of
the version kind runs (`kubernetes-validate --strict`); what make applies keeps the contract of issue 4."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.k8s.conftest import (
    APPLIED,
    K8S,
    K8S_SCHEMA_VERSION,
    KUSTOMIZATIONS,
    REPO,
    TEST_IMAGE_REPO,
    TEST_IMAGE_TAG,
    Manifest,
    load_all,
    one,
    pod_specs,
    run_render_script,
    venv_tool,
)
from tests.k8s.policy import pod_problems, role_problems

STAGE_IMAGES = ["ingest", "validate", "features", "train", "evaluate", "promote", "predict", "monitor", "submit"]
POSTGRES_IMAGE = "postgres:15.10-bookworm"
IN_CLUSTER_API = "http://ml-pipeline.kubeflow.svc.cluster.local:8888"


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [venv_tool("kubernetes-validate"), "--strict", "-k", K8S_SCHEMA_VERSION, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def assert_valid(path: Path, documents: int) -> None:
    """kubernetes-validate passes every document (it only warns on kinds it has no schema for: none here)."""
    result = validate(path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "ERROR" not in output, output
    assert "WARN" not in output, f"a kind without a schema (unvalidated): {output}"
    assert output.count(" passed for resource ") == documents, output


def test_found_the_kustomizations() -> None:
    assert {"k8s/warehouse", "k8s/pipeline", "k8s/seed", "k8s/cronjob", "k8s/overlays/kind"} <= set(KUSTOMIZATIONS)


@pytest.mark.parametrize("directory", KUSTOMIZATIONS)
def test_kustomization_renders_and_validates(directory: str, render: Callable[[str], str], tmp_path: Path) -> None:
    text = render(directory)
    docs = load_all(text)
    assert docs, f"{directory} renders nothing"
    target = tmp_path / "rendered.yaml"
    target.write_text(text)
    assert_valid(target, len(docs))


@pytest.mark.parametrize("src", APPLIED)
def test_what_make_applies_validates(src: str, applied: dict[str, Path]) -> None:
    assert_valid(applied[src], len(load_all(applied[src].read_text())))


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("wrong-type", "spec.replicas: 'one' is not of type 'integer'"),
        ("unknown-field", "Additional properties are not allowed ('imagePullPolicyy' was unexpected)"),
    ],
)
def test_validation_fails_on_a_broken_manifest(
    breakage: str, message: str, render: Callable[[str], str], tmp_path: Path
) -> None:
    """The check can fail: a real rendered StatefulSet with a wrong type, or a misspelt field (--strict)."""
    statefulset = one(load_all(render("k8s/warehouse")), "StatefulSet", "flights-warehouse")
    if breakage == "wrong-type":
        statefulset["spec"]["replicas"] = "one"
    else:
        statefulset["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(statefulset))
    result = validate(broken)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


def test_secret_template_is_valid_and_never_applied(tmp_path: Path) -> None:
    template = K8S / "warehouse" / "secret.template.yaml"
    secret = yaml.safe_load(template.read_text())
    assert secret["kind"] == "Secret"
    assert secret["metadata"]["name"] == "flights-warehouse"
    assert set(secret["stringData"]) == {"password", "url"}
    assert all("REPLACE-WITH-A-RANDOM-PASSWORD" in value for value in secret["stringData"].values())
    assert_valid(template, 1)
    for kustomization in K8S.rglob("kustomization.yaml"):
        content = yaml.safe_dump(yaml.safe_load(kustomization.read_text()))  # without the comments
        assert "secret.template" not in content, f"{kustomization} applies the template"


@pytest.mark.parametrize("directory", KUSTOMIZATIONS)
def test_no_secret_is_rendered(directory: str, render: Callable[[str], str]) -> None:
    secrets = [doc["metadata"]["name"] for doc in load_all(render(directory)) if doc["kind"] == "Secret"]
    assert secrets == [], f"{directory} renders Secret(s) {secrets}: credentials never come from git"


@pytest.mark.parametrize("src", APPLIED)
def test_pods_are_restricted_and_bounded(src: str, applied_docs: dict[str, list[Manifest]]) -> None:
    workloads = [(doc, pod) for doc in applied_docs[src] for pod in pod_specs(doc)]
    problems = [
        problem for doc, pod in workloads for problem in pod_problems(f"{doc['kind']}/{doc['metadata']['name']}", pod)
    ]
    assert problems == []
    if src != "k8s/overlays/managed":
        assert workloads, f"{src} has no workload to check"


@pytest.mark.parametrize("src", APPLIED)
def test_images_carry_the_tag_make_passes(src: str, applied_docs: dict[str, list[Manifest]]) -> None:
    images = [c["image"] for doc in applied_docs[src] for pod in pod_specs(doc) for c in pod["containers"]]
    for image in images:
        if image.startswith("postgres:"):
            assert image == POSTGRES_IMAGE
        else:
            name, _, tag = image.rpartition(":")
            assert tag == TEST_IMAGE_TAG, image
            assert name.removeprefix(f"{TEST_IMAGE_REPO}/") in STAGE_IMAGES, image


def test_base_images_are_placeholders_never_latest(render: Callable[[str], str]) -> None:
    """Applied without make, the base would name a tag that never exists, not a moving `latest`."""
    for directory in KUSTOMIZATIONS:
        for doc in load_all(render(directory)):
            for pod in pod_specs(doc):
                for container in pod["containers"]:
                    image = container["image"]
                    assert ":" in image, f"{directory}: {image} has no tag"
                    assert not image.endswith(":latest"), f"{directory}: {image}"
                    assert image == POSTGRES_IMAGE or image.endswith(":set-by-make"), f"{directory}: {image}"


def test_everything_lands_in_kfps_namespace(applied_docs: dict[str, list[Manifest]]) -> None:
    for src, docs in applied_docs.items():
        for doc in docs:
            assert doc["metadata"].get("namespace") == "kubeflow", f"{src}: {doc['kind']}/{doc['metadata']['name']}"


def test_make_can_deploy_into_another_namespace(kubectl: str, tmp_path: Path) -> None:
    """KFP_NAMESPACE=team-a (e.g. a multi-user profile): every object, and the RoleBinding's subject, move."""
    result = run_render_script("k8s/overlays/kind", tmp_path / "out", TEST_IMAGE_REPO, TEST_IMAGE_TAG, "team-a")
    assert result.returncode == 0, result.stderr
    docs = load_all((tmp_path / "out" / "manifests.yaml").read_text())
    assert {doc["metadata"]["namespace"] for doc in docs} == {"team-a"}
    assert one(docs, "RoleBinding", "flights-submitter")["subjects"][0]["namespace"] == "team-a"


def test_warehouse_contract(applied_docs: dict[str, list[Manifest]]) -> None:
    docs = applied_docs["k8s/overlays/kind"]
    service = one(docs, "Service", "flights-warehouse")
    assert [(port["name"], port["port"]) for port in service["spec"]["ports"]] == [("postgres", 5432)]
    statefulset = one(docs, "StatefulSet", "flights-warehouse")
    pod = statefulset["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] == 999
    assert pod["securityContext"]["fsGroup"] == 999
    env = {item["name"]: item for item in pod["containers"][0]["env"]}
    assert "POSTGRES_PASSWORD" not in env  # a file, not an env var
    secret_volume = next(volume for volume in pod["volumes"] if "secret" in volume)
    assert secret_volume["secret"]["secretName"] == "flights-warehouse"
    assert secret_volume["secret"]["items"] == [{"key": "password", "path": "password"}]
    assert secret_volume["secret"]["defaultMode"] == 0o440
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == secret_volume["name"])
    assert env["POSTGRES_PASSWORD_FILE"]["value"] == f"{mount['mountPath']}/password"
    assert env["PGDATA"]["value"].startswith("/var/lib/postgresql/data/")
    assert [claim["metadata"]["name"] for claim in statefulset["spec"]["volumeClaimTemplates"]] == ["data"]
    mounts = {mount["mountPath"] for mount in pod["containers"][0]["volumeMounts"]}
    assert {"/var/lib/postgresql/data", "/var/run/postgresql", "/tmp"} <= mounts


def test_seed_job_contract(applied_docs: dict[str, list[Manifest]]) -> None:
    job = one(applied_docs["k8s/seed"], "Job", "flights-warehouse-seed")
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == f"{TEST_IMAGE_REPO}/ingest:{TEST_IMAGE_TAG}"
    assert container["command"] == ["python3", "-m", "components.seed"]
    env = {item["name"]: item for item in container["env"]}
    assert env["FLIGHTS_WAREHOUSE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "flights-warehouse", "key": "url"}


def test_artifact_volume_is_made_writable_for_the_tasks(applied_docs: dict[str, list[Manifest]]) -> None:
    """Task pods run as uid/gid 10001 with no fsGroup: the init Job hands the volume to gid 10001 first."""
    job = one(applied_docs["k8s/seed"], "Job", "flights-artifacts-init")
    pod = job["spec"]["template"]["spec"]
    assert pod["securityContext"]["fsGroup"] == 10001
    assert pod["volumes"] == [{"name": "artifacts", "persistentVolumeClaim": {"claimName": "flights-artifacts"}}]
    container = pod["containers"][0]
    assert container["volumeMounts"] == [{"name": "artifacts", "mountPath": "/mnt/flights"}]
    assert container["command"][-1] == "/mnt/flights/artifacts"
    assert container["image"] == f"{TEST_IMAGE_REPO}/ingest:{TEST_IMAGE_TAG}"


def test_only_the_namespace_reaches_postgres(applied_docs: dict[str, list[Manifest]]) -> None:
    policy = one(applied_docs["k8s/overlays/kind"], "NetworkPolicy", "flights-warehouse")
    assert policy["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "flights-warehouse"}}
    assert policy["spec"]["ingress"] == [{"from": [{"podSelector": {}}], "ports": [{"protocol": "TCP", "port": 5432}]}]


def test_artifact_volume_access_mode(applied_docs: dict[str, list[Manifest]]) -> None:
    kind = one(applied_docs["k8s/overlays/kind"], "PersistentVolumeClaim", "flights-artifacts")
    managed = one(applied_docs["k8s/overlays/managed"], "PersistentVolumeClaim", "flights-artifacts")
    assert kind["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert managed["spec"]["accessModes"] == ["ReadWriteMany"]


def test_cronjob_contract(applied_docs: dict[str, list[Manifest]]) -> None:
    docs = applied_docs["k8s/cronjob"]
    cronjob = one(docs, "CronJob", "flights-daily-submit")
    spec = cronjob["spec"]
    assert spec["schedule"] == "0 6 * * *"
    assert spec["timeZone"] in {"UTC", "Etc/UTC"}
    assert spec["concurrencyPolicy"] == "Forbid"
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "flights-submitter"
    assert pod["automountServiceAccountToken"] is False
    container = pod["containers"][0]
    assert container["image"] == f"{TEST_IMAGE_REPO}/submit:{TEST_IMAGE_TAG}"
    command = container["command"]
    assert command[:3] == ["python3", "pipeline.py", "submit"]
    flags = dict(zip(command[3::2], command[4::2], strict=True))
    assert flags == {
        "--date": "today",
        "--replay-year": "2013",
        "--host": IN_CLUSTER_API,
        "--image-repo": "$(IMAGE_REPO)",
        "--image-tag": "$(IMAGE_TAG)",
    }
    # $(IMAGE_REPO) / $(IMAGE_TAG) expand from env vars that come from the ConfigMap make rendered.
    configmap = one(docs, "ConfigMap", "flights-submit-images")
    assert configmap["data"] == {"IMAGE_REPO": TEST_IMAGE_REPO, "IMAGE_TAG": TEST_IMAGE_TAG}
    env = {
        item["name"]: item["valueFrom"]["configMapKeyRef"]["name"] for item in container["env"] if "valueFrom" in item
    }
    assert env == {"IMAGE_REPO": configmap["metadata"]["name"], "IMAGE_TAG": configmap["metadata"]["name"]}
    # The KFP-audience token kfp.Client reads in multi-user mode.
    token = next(volume for volume in pod["volumes"] if volume["name"] == "kfp-token")
    source = token["projected"]["sources"][0]["serviceAccountToken"]
    assert source["audience"] == "pipelines.kubeflow.org"
    assert source["path"] == "token"
    mount = next(mount for mount in container["volumeMounts"] if mount["name"] == "kfp-token")
    assert mount["mountPath"] == "/var/run/secrets/kubeflow/pipelines"


def test_submitter_rbac_is_least_privilege(applied_docs: dict[str, list[Manifest]]) -> None:
    docs = applied_docs["k8s/overlays/kind"]
    role = one(docs, "Role", "flights-submitter")
    assert role_problems(role) == []
    granted = {resource: set(rule["verbs"]) for rule in role["rules"] for resource in rule["resources"]}
    assert granted == {
        "pipelines": {"get", "list", "create"},
        "experiments": {"get", "list", "create"},
        "runs": {"get", "list", "create"},
        "jobs": {"get", "list", "create", "delete", "enable", "disable"},
    }
    binding = one(docs, "RoleBinding", "flights-submitter")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "flights-submitter"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "flights-submitter", "namespace": "kubeflow"}]
    assert one(docs, "ServiceAccount", "flights-submitter")["automountServiceAccountToken"] is False
    assert not [doc for doc in docs if doc["kind"] in {"ClusterRole", "ClusterRoleBinding"}]


def test_render_script_writes_nothing_on_bad_input(tmp_path: Path) -> None:
    cases = {
        ("k8s/seed", TEST_IMAGE_REPO, "latest"): (
            "error: IMAGE_TAG=latest: KFP's cache ignores image digests, use the commit tag of make build"
        ),
        ("k8s/seed", TEST_IMAGE_REPO, ""): (
            "error: IMAGE_TAG is empty: set it (make sets the git commit, as make build does)"
        ),
        ("k8s/seed", TEST_IMAGE_REPO, "a/b"): (
            "error: IMAGE_TAG 'a/b' is not a valid image tag: letters, digits, _ . - (at most 128)"
        ),
        ("k8s/seed", "Flight-Delay", "abc"): (
            "error: IMAGE_REPO 'Flight-Delay' is not an image repository: "
            "use lowercase like registry.example.com/team/flight-delay"
        ),
        ("k8s/seed", TEST_IMAGE_REPO, "abc", "Team_A"): (
            "error: KFP_NAMESPACE 'Team_A' is not a namespace name: lowercase letters, digits and -"
        ),
        ("k8s/nope", TEST_IMAGE_REPO, "abc"): (
            "error: k8s/nope has no kustomization.yaml: pass a folder under k8s/ (e.g. k8s/overlays/kind)"
        ),
    }
    for (src, repo, tag, *namespace), message in cases.items():
        out = tmp_path / "out"
        result = run_render_script(src, out, repo, tag, *namespace)
        assert result.returncode == 1, (src, repo, tag)
        assert result.stderr.strip() == message
        assert not out.exists(), f"render.sh wrote {out} for bad input {(src, repo, tag, namespace)}"


def test_render_script_output_is_what_it_says(applied: dict[str, Path]) -> None:
    """The generated layer is a kustomization over a copy of k8s/ (so it keeps working after k8s/ changes)."""
    layer = yaml.safe_load((applied["k8s/seed"].parent / "kustomization.yaml").read_text())
    assert layer["resources"] == ["k8s/seed"]
    assert {image["name"] for image in layer["images"]} == {f"flight-delay/{name}" for name in STAGE_IMAGES}
    assert (applied["k8s/seed"].parent / "k8s" / "seed" / "job.yaml").read_text() == (
        REPO / "k8s" / "seed" / "job.yaml"
    ).read_text()


def test_schema_version_is_the_kind_node_version() -> None:
    """The schemas checked here are those of the Kubernetes that make cluster runs."""
    cluster_mk = (REPO / "mk" / "cluster.mk").read_text()
    assert f"K8S_SCHEMA_VERSION ?= {K8S_SCHEMA_VERSION}\n" in cluster_mk
    assert f"KIND_NODE_IMAGE ?= kindest/node:v{K8S_SCHEMA_VERSION}\n" in cluster_mk
