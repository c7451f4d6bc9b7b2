"""Every manifest under k8s/ renders (`kubectl kustomize`) and validates against the Kubernetes schemas of
the version kind runs (`kubernetes-validate --strict`); what make applies keeps the contract of issue 4."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from components.common.deployment import (
    ALERTS_SECRET,
    ALERTS_SECRET_KEY,
    CLUSTER_TRACKING_URI,
    MLFLOW_PORT,
    MLFLOW_SECRET,
    MLFLOW_SERVICE,
    WAREHOUSE_SECRET,
)
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

STAGE_IMAGES = [
    "ingest", "validate", "features", "train", "evaluate", "promote", "predict", "monitor", "submit", "mlflow",
]  # fmt: skip
POSTGRES_IMAGE = "postgres:15.10-bookworm"
IN_CLUSTER_API = "http://ml-pipeline.kubeflow.svc.cluster.local:8888"


def _containers(pod: Manifest) -> list[Manifest]:
    return list(pod.get("initContainers") or []) + list(pod["containers"])


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
    assert {"k8s/warehouse", "k8s/mlflow", "k8s/pipeline", "k8s/seed", "k8s/cronjob", "k8s/overlays/kind"} <= set(
        KUSTOMIZATIONS
    )


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


@pytest.mark.parametrize(("folder", "name"), [("warehouse", "flights-warehouse"), ("mlflow", "flights-mlflow")])
def test_secret_template_is_valid_and_never_applied(folder: str, name: str) -> None:
    template = K8S / folder / "secret.template.yaml"
    secret = yaml.safe_load(template.read_text())
    assert secret["kind"] == "Secret"
    assert secret["metadata"]["name"] == name
    assert set(secret["stringData"]) == {"password", "url"}
    assert all("REPLACE-WITH-A-RANDOM-PASSWORD" in value for value in secret["stringData"].values())
    assert_valid(template, 1)
    for kustomization in K8S.rglob("kustomization.yaml"):
        content = yaml.safe_dump(yaml.safe_load(kustomization.read_text()))  # without the comments
        assert "secret.template" not in content, f"{kustomization} applies the template"


def test_alerts_secret_template_is_the_one_the_exit_task_reads() -> None:
    """The optional alerts Secret: its name and key are pipeline.py's; a placeholder only, never applied."""
    template = K8S / "alerts" / "secret.template.yaml"
    secret = yaml.safe_load(template.read_text())
    assert (secret["kind"], secret["metadata"]["name"]) == ("Secret", ALERTS_SECRET)
    assert set(secret["stringData"]) == {ALERTS_SECRET_KEY}
    assert "REPLACE-WITH-YOUR-WEBHOOK-PATH" in secret["stringData"][ALERTS_SECRET_KEY]
    assert_valid(template, 1)
    assert not (K8S / "alerts" / "kustomization.yaml").exists()


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
    images = [c["image"] for doc in applied_docs[src] for pod in pod_specs(doc) for c in _containers(pod)]
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
                for container in _containers(pod):
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


def test_only_the_namespace_reaches_postgres(applied_docs: dict[str, list[Manifest]]) -> None:
    policy = one(applied_docs["k8s/overlays/kind"], "NetworkPolicy", "flights-warehouse")
    assert policy["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "flights-warehouse"}}
    assert policy["spec"]["ingress"] == [{"from": [{"podSelector": {}}], "ports": [{"protocol": "TCP", "port": 5432}]}]


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


def _env(container: Manifest) -> dict[str, Manifest]:
    return {item["name"]: item for item in container.get("env") or []}


def test_mlflow_server_contract(applied_docs: dict[str, list[Manifest]]) -> None:
    """The tracking server runs the image `make build` tagged, as the Dockerfile's CMD does, reachable where the
    pipeline points MLFLOW_TRACKING_URI (components/common/deployment.py), its store from the Secret."""
    docs = applied_docs["k8s/overlays/kind"]
    service = one(docs, "Service", MLFLOW_SERVICE)
    assert [(port["name"], port["port"]) for port in service["spec"]["ports"]] == [("http", MLFLOW_PORT)]
    assert service["spec"]["selector"] == {"app.kubernetes.io/name": MLFLOW_SERVICE}
    host = f"{MLFLOW_SERVICE}.{service['metadata']['namespace']}.svc.cluster.local:{MLFLOW_PORT}"
    assert f"http://{host}" == CLUSTER_TRACKING_URI

    deployment = one(docs, "Deployment", MLFLOW_SERVICE)
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}  # one server on a ReadWriteOnce volume
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsUser"] == 10001
    [server] = pod["containers"]
    assert server["image"] == f"{TEST_IMAGE_REPO}/mlflow:{TEST_IMAGE_TAG}"
    assert [port["containerPort"] for port in server["ports"]] == [MLFLOW_PORT]
    command = server["command"]
    assert command[:2] == ["mlflow", "server"]
    flags = dict(zip(command[2::2], command[3::2], strict=False))
    assert flags["--port"] == str(MLFLOW_PORT)
    assert flags["--workers"] == "1"
    assert flags["--host"] == "0.0.0.0"
    assert "--serve-artifacts" in command
    destination = command[command.index("--artifacts-destination") + 1]
    assert "--backend-store-uri" not in command  # from the environment: the password is never on a command line
    env = _env(server)
    assert env["MLFLOW_BACKEND_STORE_URI"]["valueFrom"]["secretKeyRef"] == {"name": MLFLOW_SECRET, "key": "url"}
    assert "value" not in env["MLFLOW_BACKEND_STORE_URI"]
    # MLflow answers 403 to Host headers it does not allow: the stage pods' host and the port-forward's must be allowed.
    allowed = env["MLFLOW_SERVER_ALLOWED_HOSTS"]["value"].replace("$(POD_NAMESPACE)", "kubeflow").split(",")
    assert host in allowed
    assert "127.0.0.1:*" in allowed
    assert "localhost:*" in allowed
    assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    assert list(env).index("POD_NAMESPACE") < list(env).index("MLFLOW_SERVER_ALLOWED_HOSTS")  # $(...) needs order
    # The artifacts it serves live on its own volume, where --artifacts-destination and the image expect them.
    mounts = {mount["mountPath"]: mount["name"] for mount in server["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert volumes[mounts[destination]]["persistentVolumeClaim"] == {"claimName": "flights-mlflow-artifacts"}
    assert "/tmp" in mounts
    dockerfile = (REPO / "docker" / "Dockerfile").read_text()
    assert f"--artifacts-destination {destination}" in dockerfile
    assert f"--port {MLFLOW_PORT} --workers 1" in dockerfile
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert server[probe]["httpGet"] == {"path": "/health", "port": "http"}
    claim = one(docs, "PersistentVolumeClaim", "flights-mlflow-artifacts")
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]


def test_mlflow_database_is_created_by_the_init_container(applied_docs: dict[str, list[Manifest]]) -> None:
    """The initContainer runs k8s/mlflow/init-database.sh (a ConfigMap of that very file) with the postgres image,
    against the warehouse's Service, with both passwords as files from the Secrets whose keys exist."""
    docs = applied_docs["k8s/overlays/kind"]
    pod = one(docs, "Deployment", MLFLOW_SERVICE)["spec"]["template"]["spec"]
    [init] = pod["initContainers"]
    assert init["image"] == POSTGRES_IMAGE
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in init["volumeMounts"]}
    assert init["command"][0] == "sh"
    script_folder, _, script = init["command"][1].rpartition("/")
    configmap = one(docs, "ConfigMap", "flights-mlflow-init")
    assert volumes[mounts[script_folder]]["configMap"]["name"] == configmap["metadata"]["name"]
    assert configmap["data"][script] == (K8S / "mlflow" / "init-database.sh").read_text()
    env = {name: item["value"] for name, item in _env(init).items()}
    assert env["PGHOST"] == one(docs, "Service", "flights-warehouse")["metadata"]["name"]
    assert env["PGUSER"] == "flights"  # the warehouse's superuser (k8s/warehouse/statefulset.yaml POSTGRES_USER)
    for variable, secret in (("WAREHOUSE_PASSWORD_FILE", WAREHOUSE_SECRET), ("MLFLOW_PASSWORD_FILE", MLFLOW_SECRET)):
        folder, _, key = env[variable].rpartition("/")
        source = volumes[mounts[folder]]["secret"]
        assert source["secretName"] == secret
        assert source["items"] == [{"key": "password", "path": key}]


def test_secret_keys_the_workloads_read_are_in_the_templates(applied_docs: dict[str, list[Manifest]]) -> None:
    """Every key a pod reads from a Secret (env or volume) is one the template, and make warehouse, provides."""
    provided = {
        yaml.safe_load(path.read_text())["metadata"]["name"]: set(yaml.safe_load(path.read_text())["stringData"])
        for path in K8S.rglob("secret.template.yaml")
    }
    read: set[tuple[str, str]] = set()
    for docs in applied_docs.values():
        for doc in docs:
            for pod in pod_specs(doc):
                for container in _containers(pod):
                    for item in _env(container).values():
                        if reference := item.get("valueFrom", {}).get("secretKeyRef"):
                            read.add((reference["name"], reference["key"]))
                for volume in pod.get("volumes") or []:
                    if "secret" in volume:
                        read |= {(volume["secret"]["secretName"], item["key"]) for item in volume["secret"]["items"]}
    assert (MLFLOW_SECRET, "url") in read
    assert (MLFLOW_SECRET, "password") in read
    assert {(name, key) for name, key in read if key not in provided.get(name, set())} == set()
    script = (REPO / "scripts" / "cluster" / "warehouse-secret.sh").read_text()
    assert f"secret {MLFLOW_SECRET} tracking mlflow mlflow" in script
    assert f"secret {WAREHOUSE_SECRET} warehouse flights flights" in script


def test_only_the_namespace_reaches_mlflow(applied_docs: dict[str, list[Manifest]]) -> None:
    policy = one(applied_docs["k8s/overlays/kind"], "NetworkPolicy", MLFLOW_SERVICE)
    assert policy["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": MLFLOW_SERVICE}}
    rule = {"from": [{"podSelector": {}}], "ports": [{"protocol": "TCP", "port": MLFLOW_PORT}]}
    assert policy["spec"]["ingress"] == [rule]


@pytest.mark.parametrize("src", APPLIED)
def test_no_shared_artifact_volume_is_left(src: str, applied_docs: dict[str, list[Manifest]]) -> None:
    """The old registry's volume is gone: the only claims are PostgreSQL's and the MLflow server's, each one pod's."""
    claims = {doc["metadata"]["name"] for doc in applied_docs[src] if doc["kind"] == "PersistentVolumeClaim"}
    assert claims <= {"flights-mlflow-artifacts"}
    mounted = {
        (doc["metadata"]["name"], volume["persistentVolumeClaim"]["claimName"])
        for doc in applied_docs[src]
        for pod in pod_specs(doc)
        for volume in pod.get("volumes") or []
        if "persistentVolumeClaim" in volume
    }
    assert mounted <= {(MLFLOW_SERVICE, "flights-mlflow-artifacts")}


def test_both_overlays_deploy_the_same_objects(applied_docs: dict[str, list[Manifest]]) -> None:
    def names(src: str) -> set[tuple[str, str]]:
        return {(doc["kind"], doc["metadata"]["name"]) for doc in applied_docs[src]}

    assert names("k8s/overlays/kind") == names("k8s/overlays/managed")
    assert ("Deployment", MLFLOW_SERVICE) in names("k8s/overlays/managed")


def _millicpus(quantity: object) -> float:
    text = str(quantity)
    return float(text[:-1]) if text.endswith("m") else float(text) * 1000


def _pod_cpu_request_m(pod: Manifest) -> float:
    """What the scheduler counts for a pod: the larger of its largest init container and its containers' sum."""
    requests = [
        [_millicpus(c.get("resources", {}).get("requests", {}).get("cpu", "0")) for c in pod.get(key) or []]
        for key in ("initContainers", "containers")
    ]
    return max([*requests[0], sum(requests[1])])


def test_kind_leaves_a_pipeline_task_room_on_a_two_cpu_node(applied_docs: dict[str, list[Manifest]]) -> None:
    """A 2-CPU kind node: Kubernetes' own pods request 950m, KFP 2.17's 674m; the warehouse and the MLflow server
    must leave the 176m a task pod needs (tests/pipeline/test_compile.py), and the seed Job must fit beside them."""
    services = [pod for doc in applied_docs["k8s/overlays/kind"] for pod in pod_specs(doc)]
    assert sum(_pod_cpu_request_m(pod) for pod in services) <= 200
    [seed] = [pod for doc in applied_docs["k8s/seed"] for pod in pod_specs(doc)]
    assert _pod_cpu_request_m(seed) <= 2000 - 950 - 674 - 200
