#!/bin/sh
# Install one locked requirements set (docker/requirements/<set>.txt, exported from uv.lock by
# `make build`) into /opt/venv, in the builder stage. For any set but `core`, put exactly the files
# that adds or changes under /layer, so a stage image gets them as one layer on top of the shared ones
# (core, or core + ml) instead of a second copy of the whole environment.
#
# usage: install-packages.sh SET
set -eu

set_name=${1:?usage: install-packages.sh SET}
rm -rf /layer  # a set installed on top of another one starts with an empty layer of its own
venv=/opt/venv
site=$(echo "$venv"/lib/python3*/site-packages)
marker=$(mktemp)
before=$(mktemp)
find "$venv" -mindepth 1 | sort >"$before"
sleep 1  # ctime granularity: everything written from here on is newer than the marker

# Exact versions and hashes from uv.lock; --no-deps because the exported set is already complete.
uv pip install --quiet --no-cache --python "$venv/bin/python" --require-hashes --no-deps \
    -r "/src/requirements/$set_name.txt"

# No tests in an image: the packages' own test suites are dead weight (pandas' alone is 30 MB).
find "$site" -depth -type d \( -name tests -o -name __pycache__ \) -cnewer "$marker" -exec rm -rf {} +

# Byte-compile what is new: stage start-up is measured, and a read-only image can't write .pyc later.
# unchecked-hash: the image never changes, so imports skip the source timestamp check.
find "$venv" -cnewer "$marker" -name '*.py' >/tmp/new-sources
python3 -m compileall -q -j 0 --invalidation-mode unchecked-hash -i /tmp/new-sources >/dev/null

vanished=$(find "$venv" -mindepth 1 | sort | comm -23 "$before" - | head -5)
[ -z "$vanished" ] || { echo "error: installing $set_name removed files, layers would diverge: $vanished" >&2; exit 1; }

mkdir -p /layer
if [ "$set_name" != core ]; then
    cd / && find "${venv#/}" -cnewer "$marker" ! -type d -print | tar -cf - --no-recursion -T - | tar -xf - -C /layer
fi
rm -f "$marker" "$before" /tmp/new-sources
