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

# kind_load CLUSTER IMAGE...: put images onto the kind node as KFP's own CI does, `docker save` into one archive
# (shared layers once) then `kind load image-archive`. `kind load docker-image` fails with "content digest ... not
# found" under Docker's containerd image store (the default for new installs from Docker 29; kind issue #3795);
# kind's documented workaround is a single-platform save, so the daemon's own platform is passed where `docker
# save` takes --platform (Docker 28 and later). The archive goes to a private temp dir ($TMPDIR; RUNNER_TEMP on
# GitHub), removed however this ends.
kind_load() {
    local cluster="$1" scratch archive save_platform=()
    shift
    if "${DOCKER:-docker}" image save --help 2>/dev/null | grep -q -- '--platform'; then
        save_platform=(--platform "$("${DOCKER:-docker}" version --format '{{.Server.Os}}/{{.Server.Arch}}')")
    fi
    scratch="$(mktemp -d "${TMPDIR:-/tmp}/kind-load.XXXXXX")"
    archive="$scratch/images.tar"
    # shellcheck disable=SC2064 # expanded now: the trap must remove this dir after the locals are gone
    trap "rm -rf '$scratch'" EXIT
    "${DOCKER:-docker}" image save ${save_platform[@]+"${save_platform[@]}"} -o "$archive" "$@" \
        || die "docker save of $* failed (see above)"
    "${KIND:-kind}" load image-archive --name "$cluster" "$archive" \
        || die "kind load image-archive into $cluster failed (see above): is it up? (make cluster)"
    rm -rf "$scratch"
    trap - EXIT
}
