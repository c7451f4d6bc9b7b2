"""The pod and RBAC checks of test_manifests.py fail on what they must reject (so a green run means something)."""

from __future__ import annotations

import copy

from tests.k8s.policy import Manifest, pod_problems, role_problems

GOOD_POD: Manifest = {
    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [
        {
            "name": "app",
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            },
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        }
    ],
}


def broken(path: list[str], value: object) -> Manifest:
    pod = copy.deepcopy(GOOD_POD)
    target = pod
    for key in path[:-1]:
        target = target[int(key)] if isinstance(target, list) else target.setdefault(key, {})
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return pod


def test_a_compliant_pod_passes() -> None:
    assert pod_problems("pod", GOOD_POD) == []


def test_each_broken_rule_is_reported() -> None:
    cases = {
        "pod/app: no resources.limits for memory": broken(["containers", "0", "resources", "limits", "memory"], None),
        "pod/app: no resources.requests for cpu, memory": broken(["containers", "0", "resources", "requests"], {}),
        "pod/app: runAsNonRoot is not true": broken(["securityContext", "runAsNonRoot"], False),
        "pod/app: runAsUser is 0": broken(["containers", "0", "securityContext", "runAsUser"], 0),
        "pod/app: seccompProfile is not RuntimeDefault": broken(["securityContext", "seccompProfile"], None),
        "pod/app: allowPrivilegeEscalation is not false": broken(
            ["containers", "0", "securityContext", "allowPrivilegeEscalation"], None
        ),
        "pod/app: capabilities do not drop ALL": broken(["containers", "0", "securityContext", "capabilities"], {}),
        "pod/app: readOnlyRootFilesystem is not true": broken(
            ["containers", "0", "securityContext", "readOnlyRootFilesystem"], False
        ),
        "pod/app: privileged": broken(["containers", "0", "securityContext", "privileged"], True),
        "pod: hostNetwork is set": broken(["hostNetwork"], True),
        "pod: volume data is a hostPath": broken(["volumes"], [{"name": "data", "hostPath": {"path": "/"}}]),
    }
    for expected, pod in cases.items():
        assert pod_problems("pod", pod) == [expected]


def test_an_init_container_is_checked_too() -> None:
    pod = copy.deepcopy(GOOD_POD)
    pod["initContainers"] = [{"name": "init", "resources": GOOD_POD["containers"][0]["resources"]}]
    assert pod_problems("pod", pod) == [
        "pod/init: allowPrivilegeEscalation is not false",
        "pod/init: capabilities do not drop ALL",
        "pod/init: readOnlyRootFilesystem is not true",
    ]


def test_role_wildcards_and_other_groups_are_reported() -> None:
    good = {"rules": [{"apiGroups": ["pipelines.kubeflow.org"], "resources": ["runs"], "verbs": ["create"]}]}
    assert role_problems(good) == []
    wildcard = {"rules": [{"apiGroups": ["pipelines.kubeflow.org"], "resources": ["runs"], "verbs": ["*"]}]}
    assert [problem.rpartition(": ")[2] for problem in role_problems(wildcard)] == ["wildcard in verbs"]
    core = {"rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]}
    assert [problem.rpartition(": ")[2] for problem in role_problems(core)] == [
        "apiGroups other than pipelines.kubeflow.org"
    ]
