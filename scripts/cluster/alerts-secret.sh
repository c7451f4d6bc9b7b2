#!/usr/bin/env bash
# `make deploy`: the optional alerts Secret `flights-alerts` (key webhook-url; shape: k8s/alerts/secret.template.yaml)
# in KFP_NAMESPACE, created or replaced from $FLIGHTS_ALERT_WEBHOOK_URL when that is set (the release workflow sets it
# from the GitHub environment's secret). Unset: the Secret is left as it is, or absent (no alert is sent).
# The URL is a credential: it goes to kubectl on stdin, never on a command line or in a log.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$here/common.sh"

namespace="${KFP_NAMESPACE:-kubeflow}"
url="${FLIGHTS_ALERT_WEBHOOK_URL:-}"
if [[ -z "$url" ]]; then
    echo "FLIGHTS_ALERT_WEBHOOK_URL is not set: keeping secret flights-alerts in $namespace as it is (none: no alerts)"
    exit 0
fi
[[ "$url" =~ ^https?://[^/[:space:]]+ ]] \
    || die "FLIGHTS_ALERT_WEBHOOK_URL is not an http(s):// URL with a host (the value is not shown: it is a secret)"
need_kubectl
printf '%s' "$url" \
    | kcn create secret generic flights-alerts --from-file=webhook-url=/dev/stdin --dry-run=client -o yaml \
    | kcn label --local -f - app.kubernetes.io/part-of=flight-delay app.kubernetes.io/component=alerts -o yaml \
    | kc apply -f -
echo "secret flights-alerts in $namespace: set from FLIGHTS_ALERT_WEBHOOK_URL"
