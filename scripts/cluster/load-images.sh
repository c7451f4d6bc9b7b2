#!/usr/bin/env bash
# `make load`: copy the images of IMAGE_TAG (stages, mlflow, submit) into the kind node, so pods
# start them without a pull (SHA tags + imagePullPolicy IfNotPresent): docker save + kind load image-archive
# (kind_load in common.sh), as KFP's own CI does.
#   scripts/cluster/load-images.sh CLUSTER IMAGE...
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$here/common.sh"

[[ $# -ge 2 ]] || die "usage: scripts/cluster/load-images.sh KIND_CLUSTER IMAGE..."
cluster="$1"
shift
need_kind
need_docker
missing=()
for image in "$@"; do
    "${DOCKER:-docker}" image inspect "$image" >/dev/null 2>&1 || missing+=("$image")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    die "image(s) not built: ${missing[*]}: run make build (same IMAGE_REPO / IMAGE_TAG) first"
fi
"${KIND:-kind}" get clusters 2>/dev/null | grep -qx "$cluster" \
    || die "no kind cluster named $cluster: run make cluster (or set KIND_CLUSTER)"
kind_load "$cluster" "$@"
echo "loaded $# images into kind cluster $cluster"
