"""The checks every pod we ship must pass: Pod Security `restricted` and resource requests/limits.

Written out here (not a policy engine) because they are few and exact; tests/k8s/test_policy.py also
feeds them a pod that breaks each rule, so they can fail.
"""

from __future__ import annotations

from typing import Any

Manifest = dict[str, Any]

RESOURCES = ("cpu", "memory")


def _effective(pod: Manifest, container: Manifest, field: str) -> Any:
    """A securityContext field as it applies to the container (its own value wins over the pod's)."""
    own = (container.get("securityContext") or {}).get(field)
    return own if own is not None else (pod.get("securityContext") or {}).get(field)


def pod_problems(name: str, pod: Manifest) -> list[str]:
    """Every way `pod` breaks Pod Security `restricted` or our resource rule, one line each."""
    problems = [f"{name}: {flag} is set" for flag in ("hostNetwork", "hostPID", "hostIPC") if pod.get(flag)]
    problems += [
        f"{name}: volume {volume.get('name')} is a hostPath"
        for volume in pod.get("volumes") or []
        if "hostPath" in volume
    ]
    containers = (pod.get("initContainers") or []) + (pod.get("containers") or [])
    if not containers:
        problems.append(f"{name}: no containers")
    for container in containers:
        where = f"{name}/{container.get('name')}"
        problems += [f"{where}: {problem}" for problem in _container_problems(pod, container)]
    return problems


def _container_problems(pod: Manifest, container: Manifest) -> list[str]:
    problems = []
    context = container.get("securityContext") or {}
    resources = container.get("resources") or {}
    for section in ("requests", "limits"):
        missing = [key for key in RESOURCES if key not in (resources.get(section) or {})]
        if missing:
            problems.append(f"no resources.{section} for {', '.join(missing)}")
    if _effective(pod, container, "runAsNonRoot") is not True:
        problems.append("runAsNonRoot is not true")
    if _effective(pod, container, "runAsUser") == 0:
        problems.append("runAsUser is 0")
    if (_effective(pod, container, "seccompProfile") or {}).get("type") not in {"RuntimeDefault", "Localhost"}:
        problems.append("seccompProfile is not RuntimeDefault")
    if context.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation is not false")
    if context.get("privileged"):
        problems.append("privileged")
    capabilities = context.get("capabilities") or {}
    if "ALL" not in (capabilities.get("drop") or []):
        problems.append("capabilities do not drop ALL")
    if set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}:
        problems.append(f"adds capabilities {capabilities['add']}")
    if context.get("readOnlyRootFilesystem") is not True:
        problems.append("readOnlyRootFilesystem is not true")
    if any("hostPort" in port for port in container.get("ports") or []):
        problems.append("uses a hostPort")
    return problems


def role_problems(role: Manifest) -> list[str]:
    """Wildcards or anything outside KFP's virtual API group in the submitter's Role."""
    problems = []
    for rule in role.get("rules") or []:
        for field in ("apiGroups", "resources", "verbs"):
            if any("*" in value for value in rule.get(field) or []):
                problems.append(f"rule {rule}: wildcard in {field}")
        if rule.get("apiGroups") != ["pipelines.kubeflow.org"]:
            problems.append(f"rule {rule}: apiGroups other than pipelines.kubeflow.org")
        if rule.get("nonResourceURLs"):
            problems.append(f"rule {rule}: nonResourceURLs")
    return problems
