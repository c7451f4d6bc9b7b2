#!/usr/bin/env bash
# `make push`: push the images of IMAGE_TAG (stages, mlflow, submit) to their registry (IMAGE_REPO).
#   scripts/cluster/push-images.sh IMAGE_REPO IMAGE...
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$here/common.sh"

[[ $# -ge 2 ]] || die "usage: scripts/cluster/push-images.sh IMAGE_REPO IMAGE..."
repo="$1"
shift
registry="${repo%%/*}"
if [[ "$repo" != */* || ( "$registry" != *.* && "$registry" != *:* && "$registry" != localhost ) ]]; then
    die "IMAGE_REPO=$repo names no registry: set it to yours, e.g. IMAGE_REPO=ghcr.io/OWNER/flight-delay (Docker Hub: docker.io/USER/flight-delay), then make build push"
fi
need_docker
missing=()
for image in "$@"; do
    "${DOCKER:-docker}" image inspect "$image" >/dev/null 2>&1 || missing+=("$image")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    die "image(s) not built: ${missing[*]}: run make build IMAGE_REPO=$repo first"
fi
for image in "$@"; do
    "${DOCKER:-docker}" push "$image"
done
echo "pushed $# images to $repo"
