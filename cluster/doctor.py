"""`make doctor`: every cluster precondition checked independently, one line per problem.

The checks that shell out (`docker exec <kind node> crictl images`, `kubectl get secret`) take the command
runner as an argument so tests can hand them a recorded output. The MLflow check talks HTTP to the tracking server
as the KFP check talks to KFP: through the port-forward `make ui` keeps open (or any URI given).
"""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from typing import NamedTuple

from cluster.session import SDK_VERSION, backend_version, connect, version_skew
from components.common.deployment import MLFLOW_PORT, MLFLOW_SERVICE, WAREHOUSE_SECRET
from components.common.errors import PipelineError

SECRET_FIX = "create it with `make warehouse` (see k8s/ for the Secret template)"
IMAGES_FIX = "run `make build load`"
COMMAND_TIMEOUT_S = 60.0
# The cluster's tracking server as `make ui` forwards it (kubectl port-forward svc/flights-mlflow 5000:5000).
FORWARDED_TRACKING_URI = f"http://127.0.0.1:{MLFLOW_PORT}"
TRACKING_FIX = (
    f"start `make ui` (it port-forwards svc/{MLFLOW_SERVICE} to {FORWARDED_TRACKING_URI}; `make warehouse` deploys "
    "the server) or pass --tracking-uri"
)
HTTP_TIMEOUT_S = 30.0  # a server that just started answers its first API call in seconds (3 s measured)


class CommandResult(NamedTuple):
    """What a command printed and how it exited."""

    returncode: int
    stdout: str
    stderr: str


CommandRunner = Callable[[Sequence[str]], CommandResult]


def run_command(argv: Sequence[str]) -> CommandResult:
    """Run `argv` and capture its output; a missing executable is exit code 127, a hang is 124."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, check=False, timeout=COMMAND_TIMEOUT_S)
    except FileNotFoundError:
        return CommandResult(127, "", f"{argv[0]}: command not found")
    except subprocess.TimeoutExpired:
        return CommandResult(124, "", f"{argv[0]} did not finish within {COMMAND_TIMEOUT_S:g}s")
    return CommandResult(done.returncode, done.stdout, done.stderr)


def _last_line(text: str) -> str:
    """The summary line of a tool's error output (kubectl prints its retries' log lines first)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _qualified(image: str) -> str:
    """`image` as containerd names it: docker.io/ for Docker Hub, library/ for single-name images."""
    first, _, rest = image.partition("/")
    if not rest:
        return f"docker.io/library/{image}"
    if "." in first or ":" in first or first == "localhost":
        return image
    return f"docker.io/{image}"


def check_kfp(host: str, namespace: str, sdk_version: str = SDK_VERSION) -> list[str]:
    """KFP reachable, and its backend version matching the SDK."""
    try:
        session = connect(host, namespace)
        skew = version_skew(sdk_version, backend_version(session))
    except PipelineError as error:
        return [str(error)]
    return [skew] if skew else []


def check_images(kind_cluster: str, images: Sequence[str], runner: CommandRunner = run_command) -> list[str]:
    """The images are loaded on the kind node (`kind load` puts them into its containerd)."""
    node = f"{kind_cluster}-control-plane"
    result = runner(["docker", "exec", node, "crictl", "images", "-o", "json"])
    if result.returncode == 127:
        return [f"docker not found, so images on kind node {node} can't be checked: install Docker"]
    if result.returncode != 0:
        if "No such container" in result.stderr or "is not running" in result.stderr:
            return [
                f"kind node {node} not found: create the cluster with `make cluster` (or set KIND_CLUSTER; "
                "on a managed cluster, OVERLAY=managed skips this check)"
            ]
        return [f"can't list images on kind node {node} ({_last_line(result.stderr)}): check `docker ps`"]
    try:
        listed = json.loads(result.stdout).get("images", [])
        present = {tag for image in listed for tag in image.get("repoTags") or []}
    except (ValueError, AttributeError):
        return [f"`crictl images -o json` on kind node {node} printed no image list: recreate it with `make cluster`"]
    missing = [image for image in images if _qualified(image) not in present]
    if missing:
        return [f"images missing on kind node {node}: {', '.join(missing)}: {IMAGES_FIX}"]
    return []


def check_secret(namespace: str, runner: CommandRunner = run_command, secret: str = WAREHOUSE_SECRET) -> list[str]:
    """The warehouse Secret exists in the namespace the pipeline's pods run in."""
    result = runner(["kubectl", "-n", namespace, "get", "secret", secret, "-o", "name"])
    if result.returncode == 127:
        return [f"kubectl not found, so Secret {secret} can't be checked: install kubectl"]
    if result.returncode != 0:
        if "NotFound" in result.stderr or "not found" in result.stderr:
            return [f"warehouse Secret {secret} missing in namespace {namespace}: {SECRET_FIX}"]
        return [
            f"kubectl can't read Secret {secret} in namespace {namespace} ({_last_line(result.stderr)}): "
            "check `kubectl config current-context`"
        ]
    return []


def shown_uri(uri: str) -> str:
    """`uri` without credentials, for messages."""
    parts = urllib.parse.urlsplit(uri)
    if "@" in parts.netloc:
        uri = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
    return uri.rstrip("/")


def _get(url: str, timeout: float) -> tuple[int, str]:
    """GET `url`: its status and the start of its body (an HTTP error status is an answer, not an exception)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # http(s) only: check_tracking checks first
            return int(response.status), response.read(2000).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(2000).decode(errors="replace")


def _error_message(body: str) -> str:
    """MLflow's `message` from an error body, else its first line."""
    try:
        message = json.loads(body).get("message")
    except (ValueError, AttributeError):
        message = None
    return str(message) if message else _last_line(body[:300])


def check_tracking(uri: str, namespace: str, timeout: float = HTTP_TIMEOUT_S) -> list[str]:
    """The MLflow tracking server answers `/health`, and its backend store answers a search of experiments.

    `/health` only proves the process is up (MLflow answers it before the Host check, without the database); the
    search goes through the store, so a broken database or a refused Host header shows here.
    """
    shown = shown_uri(uri)
    if urllib.parse.urlsplit(uri).scheme not in {"http", "https"}:
        return [f"tracking URI {shown} is not an MLflow server's http(s)://HOST:PORT: {TRACKING_FIX}"]
    base = uri.rstrip("/")
    logs = f"see `kubectl -n {namespace} logs deploy/{MLFLOW_SERVICE}`"
    try:
        status, body = _get(f"{base}/health", timeout)
        if status != 200:
            return [f"MLflow tracking server at {shown} answered /health with HTTP {status}: {logs}"]
        status, body = _get(f"{base}/api/2.0/mlflow/experiments/search?max_results=1", timeout)
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return [f"MLflow tracking server not reachable at {shown} ({reason}): {TRACKING_FIX}"]
    if status != 200:
        return [
            f"MLflow tracking server at {shown} is up but its store failed a search (HTTP {status}: "
            f"{_error_message(body)}): {logs}"
        ]
    return []


def doctor(
    host: str,
    namespace: str,
    kind_cluster: str | None,
    images: Sequence[str],
    runner: CommandRunner = run_command,
    sdk_version: str = SDK_VERSION,
    tracking_uri: str | None = None,
) -> list[str]:
    """Every problem found, one line each; [] when the cluster is ready. `kind_cluster` None skips the image check,
    `tracking_uri` None the MLflow check."""
    problems = check_kfp(host, namespace, sdk_version)
    if kind_cluster:
        problems += check_images(kind_cluster, images, runner)
    problems += check_secret(namespace, runner)
    if tracking_uri is not None:
        problems += check_tracking(tracking_uri, namespace)
    return problems
