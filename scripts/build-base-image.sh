#!/usr/bin/env bash
# Build the stage images' base with no container registry at all (air-gapped machines, our CI):
# Debian 12 (bookworm) with Python 3.11 at /usr/bin/python3, the same Python as the public
# python:3.11-slim-bookworm, made with debootstrap from Debian's archive and loaded with `docker import`.
# The host's CA bundle replaces the image's, so TLS-inspecting proxies are trusted inside `docker build`.
#
# usage: scripts/build-base-image.sh NAME:TAG        (as root; needs debootstrap and a Docker engine)
# env:   DEBIAN_MIRROR (default http://deb.debian.org/debian), CA_BUNDLE (default the host's bundle),
#        FORCE=1 rebuilds an image that already exists.
set -euo pipefail

image=${1:?usage: scripts/build-base-image.sh NAME:TAG}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ca_bundle=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

fail() { echo "error: $*" >&2; exit 2; }
command -v debootstrap >/dev/null 2>&1 || fail "debootstrap not found: apt-get install debootstrap (Debian/Ubuntu)"
[[ $(id -u) == 0 ]] || fail "debootstrap needs root: run this as root (e.g. sudo make base-image)"
[[ -s $ca_bundle ]] || fail "CA bundle $ca_bundle not found: set CA_BUNDLE to your system's PEM bundle"
docker info >/dev/null 2>&1 || fail "no Docker engine answers: start dockerd (see README, Containers)"
if [[ ${FORCE:-0} != 1 ]] && docker image inspect "$image" >/dev/null 2>&1; then
    echo "$image already exists (FORCE=1 rebuilds it)"
    exit 0
fi

rootfs=$(mktemp -d /tmp/base-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "debootstrap bookworm (minbase + python3, python3-venv, ca-certificates) from $mirror"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$rootfs" "$mirror" \
    >"$rootfs.log" 2>&1 || { tail -20 "$rootfs.log" >&2; fail "debootstrap failed (full log: $rootfs.log)"; }
rm -f "$rootfs.log"

# Trust what the host trusts (a TLS-inspecting proxy's CA included); keep a copy update-ca-certificates won't drop.
install -m 0644 "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
install -m 0644 "$ca_bundle" "$rootfs/usr/local/share/ca-certificates/host-ca-bundle.crt"
# What an image never needs: package lists and caches, docs, man pages, translations.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/log/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/* "$rootfs"/tmp/*

created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
tar --numeric-owner -C "$rootfs" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["python3"]' \
    --change "LABEL org.opencontainers.image.title=python-3.11-bookworm-offline org.opencontainers.image.created=$created" \
    --change 'LABEL org.opencontainers.image.description="Debian 12 and Python 3.11 from debootstrap, host CA bundle"' \
    - "$image" >/dev/null
echo "built $image: $(docker run --rm "$image" python3 --version)"
