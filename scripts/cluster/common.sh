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

# check_claims SETTING CLAIM...: fail at once, in one line, when a volume claim can't be bound: a ProvisioningFailed
# or FailedBinding warning on it (a storage class that doesn't exist or can't provision; no class and no default
# one). A claim that is only Pending (WaitForFirstConsumer, a provisioner at work) or not created yet is no problem.
# SETTING names where the storage class is set, for the message.
check_claims() {
    local setting="$1" claim phase class classes warning
    shift
    for claim in "$@"; do
        phase="$(kcn get pvc "$claim" -o jsonpath='{.status.phase}' 2>/dev/null || true)"
        [[ -n "$phase" && "$phase" != Bound ]] || continue
        warning="$(kcn get events --field-selector "involvedObject.kind=PersistentVolumeClaim,involvedObject.name=$claim,type=Warning" \
            -o jsonpath='{range .items[*]}{.reason}: {.message}{"\n"}{end}' 2>/dev/null \
            | grep -E '^(ProvisioningFailed|FailedBinding): ' | tail -1 || true)"
        [[ -n "$warning" ]] || continue
        class="$(kcn get pvc "$claim" -o jsonpath='{.spec.storageClassName}' 2>/dev/null || true)"
        classes="$(kc get storageclass -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.metadata.annotations.storageclass\.kubernetes\.io/is-default-class}{"\n"}{end}' 2>/dev/null || true)"
        if [[ -z "$class" ]]; then
            class="none"
            grep -q ' true$' <<<"$classes" || class="none, and the cluster has no default one"
        fi
        classes="$(awk 'NF {print $1}' <<<"$classes" | paste -sd, -)"
        die "volume claim $claim is $phase ($warning): storage class $class; set storageClassName in $setting to one of this cluster's (${classes:-none})"
    done
}
