"""Which stage images a command means: the flags, else the environment `make` sets, else the config."""

from __future__ import annotations

import argparse
import os

from components.common.config import Settings
from components.common.deployment import StageImages


def stage_images(
    args: argparse.Namespace, settings: Settings, *, built: bool, default_tag: str | None = None
) -> StageImages:
    """The stage images: the flags, else the config's. For images that must exist (``built``: compile, the
    docker runner, the cluster) IMAGE_REPO / IMAGE_TAG come before the config, as `make build` and `make compile`
    set them, then ``default_tag``."""
    environment = os.environ if built else {}
    return StageImages(
        args.image_repo or environment.get("IMAGE_REPO") or settings.images.repo,
        args.image_tag or environment.get("IMAGE_TAG") or default_tag or settings.images.tag,
    )
