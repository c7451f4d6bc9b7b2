#!/usr/bin/env bash
# `make cluster`: a kind cluster with standalone Kubeflow Pipelines at a pinned version, ready to use.
# Env (make passes them): KIND_CLUSTER, KIND_NODE_IMAGE, KFP_VERSION, KFP_CLUSTER_SCOPED and KFP_PLATFORM (the two
# kustomize URLs at that ref), KFP_NAMESPACE, CLUSTER_TIMEOUT (s), KFP_UI_PORT. Reuses an existing cluster of that name (then only (re)applies KFP and waits).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$here/common.sh"

cluster="${KIND_CLUSTER:-flight-delay}"
node_image="${KIND_NODE_IMAGE:-kindest/node:v1.33.1}"
kfp_version="${KFP_VERSION:-2.17.0}"
namespace="${KFP_NAMESPACE:-kubeflow}"
timeout="${CLUSTER_TIMEOUT:-900}"
ui_port="${KFP_UI_PORT:-8080}"
kfp_manifests="github.com/kubeflow/pipelines/manifests/kustomize"
cluster_scoped="${KFP_CLUSTER_SCOPED:-$kfp_manifests/cluster-scoped-resources?ref=$kfp_version}"
platform="${KFP_PLATFORM:-$kfp_manifests/env/platform-agnostic?ref=$kfp_version}"

need_kind
need_kubectl
need_docker
[[ "$timeout" =~ ^[0-9]+$ ]] || die "CLUSTER_TIMEOUT='$timeout' is not a number of seconds"

if "${KIND:-kind}" get clusters 2>/dev/null | grep -qx "$cluster"; then
    echo "kind cluster $cluster exists: reusing it"
else
    echo "creating kind cluster $cluster ($node_image)"
    "${KIND:-kind}" create cluster --name "$cluster" --image "$node_image" --wait 180s
fi
export KUBE_CONTEXT="kind-$cluster"

echo "installing Kubeflow Pipelines $kfp_version (standalone): $cluster_scoped"
kc apply -k "$cluster_scoped"
kc wait --for condition=established --timeout=120s crd/applications.app.k8s.io
echo "installing Kubeflow Pipelines $kfp_version: $platform"
kc apply -k "$platform"

# Pod Security: KFP's own pods (MySQL, the object store, Argo's workflow pods with their init/wait
# containers, and every pipeline task pod KFP creates) do not meet `restricted`, so enforcing it in this
# namespace would stop KFP. Warn and audit instead: kubectl shows a warning for any pod of ours that breaks
# `restricted` (ours are written to pass it; tests/k8s checks that offline).
kc label namespace "$namespace" --overwrite \
    pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/warn-version=latest \
    pod-security.kubernetes.io/audit=restricted pod-security.kubernetes.io/audit-version=latest >/dev/null

echo "waiting up to ${timeout}s for the deployments in $namespace to be Available"
deadline=$((SECONDS + timeout))
while :; do
    # name=available/desired for every deployment
    states="$(kcn get deployments -o jsonpath='{range .items[*]}{.metadata.name}={.status.availableReplicas}/{.spec.replicas}{"\n"}{end}' || true)"
    total=0
    waiting=()
    while IFS= read -r line; do
        [[ -n "$line" ]] || continue
        total=$((total + 1))
        name="${line%%=*}"
        counts="${line#*=}"
        available="${counts%/*}"
        desired="${counts#*/}"
        if [[ "${available:-0}" -lt "${desired:-1}" ]]; then
            waiting+=("$name")
        fi
    done <<<"$states"
    if [[ $total -gt 0 && ${#waiting[@]} -eq 0 ]]; then
        echo "all $total deployments available"
        break
    fi
    if [[ $SECONDS -ge $deadline ]]; then
        echo "error: KFP not ready after ${timeout}s; still waiting for: ${waiting[*]:-(no deployments yet)}" >&2
        kcn get pods -o wide >&2 || true
        echo "inspect with: kubectl -n $namespace describe pods; raise CLUSTER_TIMEOUT=... if the machine is slow" >&2
        if [[ "$(kc get nodes -o jsonpath='{.items[0].status.nodeInfo.architecture}' 2>/dev/null || true)" == arm64 ]]; then
            echo "on arm64 (e.g. Apple Silicon) some KFP images may be amd64-only (reported: metadata-writer);" \
                "kubectl -n $namespace scale deployment/metadata-writer --replicas=0 drops only the lineage view" >&2
        fi
        exit 1
    fi
    echo "  $((total - ${#waiting[@]}))/$total available (waiting: ${waiting[*]:-deployments to appear}), $((deadline - SECONDS))s left"
    sleep 15
done
# KFP's one-off setup Jobs (e.g. the object store's bucket and credentials) must finish before a run
# can write its outputs: wait for them too, in the time left (at least a minute).
jobs="$(kcn get jobs -o name 2>/dev/null || true)"
if [[ -n "$jobs" ]]; then
    left=$((deadline - SECONDS > 60 ? deadline - SECONDS : 60))
    echo "waiting up to ${left}s for KFP's setup jobs: ${jobs//$'\n'/ }"
    # shellcheck disable=SC2086 # one argument per job name
    kcn wait --for=condition=complete $jobs --timeout="${left}s" \
        || die "KFP's setup jobs did not complete (kubectl -n $namespace describe jobs); raise CLUSTER_TIMEOUT=..."
fi

"${KUBECTL:-kubectl}" config use-context "kind-$cluster" >/dev/null
cat <<MSG

Kubeflow Pipelines $kfp_version is ready on kind cluster $cluster (kubectl's current context: kind-$cluster).
Open the UI (and the API the Makefile's KFP_HOST points at):
    kubectl -n $namespace port-forward svc/ml-pipeline-ui $ui_port:80     (or: make ui)
    then http://localhost:$ui_port
Next: make warehouse, make build, make load, make submit.
MSG
