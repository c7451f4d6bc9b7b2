"""`make doctor`: every cluster precondition checked independently, one line per problem.

The checks that shell out (`docker exec <kind node> crictl images`, `kubectl get secret`) take the command
runner as an argument so tests can hand them a recorded output.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Sequence
from typing import NamedTuple

from cluster.session import SDK_VERSION, backend_version, connect, version_skew
from components.common.deployment import WAREHOUSE_SECRET
from components.common.errors import PipelineError

SECRET_FIX = "create it with `make warehouse` (see k8s/ for the Secret template)"
IMAGES_FIX = "run `make build load`"
COMMAND_TIMEOUT_S = 60.0


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
            return [f"kind node {node} not found: create the cluster with `make cluster` (or set KIND_CLUSTER)"]
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


def doctor(
    host: str,
    namespace: str,
    kind_cluster: str | None,
    images: Sequence[str],
    runner: CommandRunner = run_command,
    sdk_version: str = SDK_VERSION,
) -> list[str]:
    """Every problem found, one line each; [] when the cluster is ready. `kind_cluster` None skips the image check."""
    problems = check_kfp(host, namespace, sdk_version)
    if kind_cluster:
        problems += check_images(kind_cluster, images, runner)
    problems += check_secret(namespace, runner)
    return problems
