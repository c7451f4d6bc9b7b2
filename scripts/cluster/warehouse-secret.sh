#!/usr/bin/env bash
# Create, once each, with a random password:
# - the Secret `flights-warehouse` (keys: password, url): PostgreSQL's superuser, the warehouse URL the tasks read;
# - the Secret `flights-mlflow` (keys: password, url): the PostgreSQL user mlflow, the MLflow server's backend store.
# An existing Secret is kept: PostgreSQL initialised its data directory with that password (and the MLflow
# server's initContainer sets its user's password from its Secret on every start).
# The passwords never reach git, a command line or a log: they go through files in a private temp dir.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$here/common.sh"

namespace="${KFP_NAMESPACE:-kubeflow}"
need_kubectl
umask 077
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

# secret NAME COMPONENT USER DATABASE: the Secret NAME (password, url) for USER's DATABASE on the warehouse server.
secret() {
    local name="$1" component="$2" user="$3" database="$4" password
    if kcn get secret "$name" >/dev/null 2>&1; then
        echo "secret $name exists in $namespace: keeping it"
        return 0
    fi
    # 32 hex characters (128 bits): safe in a URL without escaping.
    password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    [[ ${#password} -eq 32 ]] || die "could not read 16 random bytes from /dev/urandom"
    mkdir "$dir/$name"
    printf '%s' "$password" >"$dir/$name/password"
    printf 'postgresql://%s:%s@flights-warehouse.%s.svc.cluster.local:5432/%s' \
        "$user" "$password" "$namespace" "$database" >"$dir/$name/url"
    kcn create secret generic "$name" --from-file="$dir/$name" --dry-run=client -o yaml \
        | kc label --local -f - -o yaml app.kubernetes.io/part-of=flight-delay "app.kubernetes.io/component=$component" \
        | kc apply -f -
    echo "created secret $name in $namespace (random password; keys: password, url)"
}

secret flights-warehouse warehouse flights flights
secret flights-mlflow tracking mlflow mlflow
