#!/usr/bin/env bash
# Install and start what the CI tests need on a fresh Debian 12 machine (as root):
# the Docker engine (Debian's docker.io), PostgreSQL server binaries, debootstrap (for the offline base image) and
# shellcheck (for the cluster scripts).
# Idempotent: a package already installed or an engine already answering is left as it is.
set -euo pipefail

# What is already there is used as it is (GitHub's runners ship docker-ce: installing docker.io there would conflict).
missing=()
command -v dockerd >/dev/null 2>&1 || docker info >/dev/null 2>&1 || missing+=(docker.io)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)  # tests/k8s lints scripts/cluster/*.sh
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
    log=${DOCKERD_LOG:-/tmp/dockerd.log}
    echo "starting dockerd (log: $log)"
    nohup dockerd >"$log" 2>&1 &
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    docker info >/dev/null 2>&1 || { echo "dockerd did not start: see $log" >&2; tail -20 "$log" >&2; exit 1; }
fi
echo "docker engine $(docker version --format '{{.Server.Version}}'), PostgreSQL $(ls /usr/lib/postgresql)"
