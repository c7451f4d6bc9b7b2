"""Which stage images a command means: the flags, else the environment `make` sets, else the config."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from components.common.config import Settings
from components.common.deployment import STAGES, StageImages
from components.common.errors import PipelineError

# What IMAGE_DIGESTS names: a file of `<image> sha256:<hex>` lines, as the release workflow writes it after pushing
# (scripts/cluster/render.sh reads the same file for the manifests).
DIGESTS_ENV = "IMAGE_DIGESTS"
_DIGEST_LINE = re.compile(r"^(?P<image>[a-z0-9-]+)\s+(?P<digest>sha256:[0-9a-f]{64})$")


def read_image_digests(path: Path) -> tuple[tuple[str, str], ...]:
    """Every stage's digest from a digests file; a missing file, a bad line or a stage without one is one line."""
    if not path.is_file():
        raise PipelineError(f"{DIGESTS_ENV}={path} is not a file: pass the digests file of the push")
    found: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        match = _DIGEST_LINE.match(line.strip())
        if match is None:
            raise PipelineError(f"{path} line {number} is not '<image> sha256:<64 hex>': write it again after the push")
        found[match["image"]] = match["digest"]
    missing = [stage for stage in STAGES if stage not in found]
    if missing:
        raise PipelineError(f"{path} has no digest for {', '.join(missing)}: push every image, then write it again")
    return tuple(sorted(found.items()))


def stage_images(
    args: argparse.Namespace, settings: Settings, *, built: bool, default_tag: str | None = None
) -> StageImages:
    """The stage images: the flags, else the config's. For images that must exist (``built``: compile, the
    docker runner, the cluster) IMAGE_REPO / IMAGE_TAG come before the config, as `make build` and `make compile`
    set them, then ``default_tag``; there $IMAGE_DIGESTS, when set, pins each image to its pushed digest."""
    environment = os.environ if built else {}
    digests = environment.get(DIGESTS_ENV)
    return StageImages(
        args.image_repo or environment.get("IMAGE_REPO") or settings.images.repo,
        args.image_tag or environment.get("IMAGE_TAG") or default_tag or settings.images.tag,
        read_image_digests(Path(digests)) if digests else (),
    )
