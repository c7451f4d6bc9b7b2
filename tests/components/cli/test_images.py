"""Which images a command means, and IMAGE_DIGESTS: every stage pinned to the digest its push returned."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from components.cli.images import read_image_digests
from components.common.deployment import STAGES, StageImages
from components.common.errors import PipelineError


def digest(image: str) -> str:
    return "sha256:" + hashlib.sha256(image.encode()).hexdigest()


def write_digests(path: Path, images: list[str]) -> Path:
    path.write_text("".join(f"{image} {digest(image)}\n" for image in images))
    return path


def test_a_digests_file_pins_every_stage(tmp_path: Path) -> None:
    digests = read_image_digests(write_digests(tmp_path / "digests.txt", [*STAGES, "submit", "mlflow"]))
    images = StageImages("ghcr.io/acme/flight-delay", "0123456789ab", digests)

    assert images.image("train") == f"ghcr.io/acme/flight-delay/train:0123456789ab@{digest('train')}"
    assert StageImages("r", "t").image("train") == "r/train:t"  # without digests: by tag, as before


def test_a_stage_without_a_digest_is_one_line(tmp_path: Path) -> None:
    path = write_digests(tmp_path / "digests.txt", [stage for stage in STAGES if stage != "monitor"])
    with pytest.raises(PipelineError) as raised:
        read_image_digests(path)
    assert str(raised.value) == f"{path} has no digest for monitor: push every image, then write it again"


def test_a_bad_line_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "digests.txt"
    path.write_text("train sha256:abc\n")
    with pytest.raises(PipelineError) as raised:
        read_image_digests(path)
    assert str(raised.value) == f"{path} line 1 is not '<image> sha256:<64 hex>': write it again after the push"
