# Shared helpers for scripts/cluster/*.sh (sourced, not run).
# shellcheck shell=bash

die() {
    echo "error: $*" >&2
    exit 1
}

# need TOOL HOW: a one-line error naming how to install TOOL when it is missing.
need() {
    command -v "$1" >/dev/null 2>&1 || die "$1 not found on PATH: $2"
}

need_kubectl() {
    need "${KUBECTL:-kubectl}" "install kubectl (https://kubernetes.io/docs/tasks/tools/), or set KUBECTL=/path/to/kubectl"
}

need_kind() {
    need "${KIND:-kind}" "install kind ${KIND_VERSION:-v0.29.0} (https://kind.sigs.k8s.io/docs/user/quick-start/#installation), or set KIND=/path/to/kind"
}

need_docker() {
    need "${DOCKER:-docker}" "install Docker (https://docs.docker.com/engine/install/), or set DOCKER=/path/to/docker"
}

# kubectl with the namespace of the project (and the context KUBE_CONTEXT, when set).
# (No arrays that may be empty: macOS's bash 3.2 calls an empty "${array[@]}" unbound under set -u.)
kc() {
    if [[ -n "${KUBE_CONTEXT:-}" ]]; then
        "${KUBECTL:-kubectl}" --context "$KUBE_CONTEXT" "$@"
    else
        "${KUBECTL:-kubectl}" "$@"
    fi
}

kcn() {
    kc --namespace "${KFP_NAMESPACE:-kubeflow}" "$@"
}
