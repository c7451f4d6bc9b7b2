#!/usr/bin/env bash
# Create the Secret `flights-warehouse` (keys: password, url) with a random password, once.
# An existing Secret is kept: PostgreSQL initialised its data directory with that password.
# The password never reaches git, a command line or a log: it goes through files in a private temp dir.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$here/common.sh"

namespace="${KFP_NAMESPACE:-kubeflow}"
need_kubectl

if kcn get secret flights-warehouse >/dev/null 2>&1; then
    echo "secret flights-warehouse exists in $namespace: keeping it"
    exit 0
fi
umask 077
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
# 32 hex characters (128 bits): safe in a URL without escaping.
password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
[[ ${#password} -eq 32 ]] || die "could not read 16 random bytes from /dev/urandom"
printf '%s' "$password" >"$dir/password"
printf 'postgresql://flights:%s@flights-warehouse.%s.svc.cluster.local:5432/flights' "$password" "$namespace" >"$dir/url"
kcn create secret generic flights-warehouse --from-file="$dir" --dry-run=client -o yaml \
    | kc label --local -f - -o yaml app.kubernetes.io/part-of=flight-delay app.kubernetes.io/component=warehouse \
    | kc apply -f -
echo "created secret flights-warehouse in $namespace (random password; keys: password, url)"
