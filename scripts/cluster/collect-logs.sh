#!/usr/bin/env bash
# Everything worth reading after a failed cluster run, into one folder (the e2e workflow uploads it):
#   scripts/cluster/collect-logs.sh OUT_DIR     (env: KIND_CLUSTER, KFP_NAMESPACE)
# Never fails: each command that can't run leaves a note in its file instead.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$here/common.sh"

out="${1:?usage: scripts/cluster/collect-logs.sh OUT_DIR}"
namespace="${KFP_NAMESPACE:-kubeflow}"
cluster="${KIND_CLUSTER:-flight-delay}"
mkdir -p "$out/pods"

kc get nodes -o wide >"$out/nodes.txt" 2>&1
kc get pods -A -o wide >"$out/pods-all-namespaces.txt" 2>&1
kc get all,pvc,configmap,serviceaccount,cronjob,job -n "$namespace" -o wide >"$out/resources.txt" 2>&1
kc get events -A --sort-by=.lastTimestamp >"$out/events.txt" 2>&1
kcn describe pods >"$out/describe-pods.txt" 2>&1
kcn describe jobs,cronjobs,statefulsets >"$out/describe-workloads.txt" 2>&1
kcn get workflows.argoproj.io -o yaml >"$out/argo-workflows.yaml" 2>&1
kcn get scheduledworkflows.kubeflow.org -o yaml >"$out/scheduled-workflows.yaml" 2>&1
for pod in $(kcn get pods -o jsonpath='{.items[*].metadata.name}' 2>/dev/null); do
    kcn logs "$pod" --all-containers --prefix --timestamps >"$out/pods/$pod.log" 2>&1
    kcn logs "$pod" --all-containers --prefix --previous >"$out/pods/$pod.previous.log" 2>/dev/null \
        || rm -f "$out/pods/$pod.previous.log"
done
if command -v "${KIND:-kind}" >/dev/null 2>&1; then
    "${KIND:-kind}" export logs --name "$cluster" "$out/kind" >/dev/null 2>&1 || echo "kind export logs failed" >"$out/kind.txt"
fi
echo "diagnostics in $out"
