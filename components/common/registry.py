"""The model registry under ``<artifact_root>/registry``: immutable versions and a champion pointer.

Layout::

    registry/models/<version>/model.pkl        the fitted scikit-learn pipeline
    registry/models/<version>/lineage.json     window, row counts, data hash, code version, params, sha256
    registry/models/<version>/reference.json   the training window's feature profile (for drift)
    registry/models/<version>/evaluation.json  holdout metrics, written by evaluate
    registry/champion.json                     the pointer; replaced atomically, never edited in place
    registry/decisions/<run_date>.<n>.json     every promotion decision, in order, never overwritten

A model file is only unpickled after its sha256 matches the one the registry recorded when it wrote it.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from components.common.errors import PipelineError
from components.common.files import pid_alive, read_json, remove_stray_temporaries, write_json, writer_pid


def registry_root(artifact_root: Path) -> Path:
    """Where the registry lives under an artifact root."""
    return artifact_root / "registry"


def _version_dir(root: Path, version: str) -> Path:
    return root / "models" / version


def register_model(root: Path, version: str, model: Any, lineage: dict[str, Any], reference: dict[str, Any]) -> bool:
    """Store a model version atomically (all files appear at once); False when it already exists."""
    target = _version_dir(root, version)
    if (target / "lineage.json").is_file():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{version}.{os.getpid()}."))
    try:
        payload = pickle.dumps(model, protocol=5)
        (staging / "model.pkl").write_bytes(payload)
        write_json(
            {**lineage, "version": version, "model_sha256": hashlib.sha256(payload).hexdigest()},
            staging / "lineage.json",
        )
        write_json(reference, staging / "reference.json")
        for written in staging.iterdir():
            with open(written, "rb") as handle:
                os.fsync(handle.fileno())
        try:
            os.replace(staging, target)
        except OSError:
            if (target / "lineage.json").is_file():
                return False  # another writer registered the same version first: same content by construction
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return True


def remove_stray_staging(root: Path) -> list[Path]:
    """Remove what killed writers left in the registry: half-built version folders and temp files.

    Only leftovers of dead processes go (the pid is in their names); a live writer's are left alone.
    """
    removed: list[Path] = []
    models = root / "models"
    if models.is_dir():
        for staging in models.glob(".*"):
            pid = writer_pid(staging.name + ".tmp")
            if staging.is_dir() and pid is not None and pid != os.getpid() and not pid_alive(pid):
                shutil.rmtree(staging, ignore_errors=True)
                removed.append(staging)
    for folder in (root, root / "decisions", *(p for p in models.glob("*") if p.is_dir())):
        removed += remove_stray_temporaries(folder)
    return removed


def read_lineage(root: Path, version: str) -> dict[str, Any]:
    """A version's lineage."""
    lineage: dict[str, Any] = read_json(_version_dir(root, version) / "lineage.json", f"lineage of model {version}")
    return lineage


def read_reference(root: Path, version: str) -> dict[str, Any]:
    """A version's training feature profile."""
    reference: dict[str, Any] = read_json(
        _version_dir(root, version) / "reference.json", f"reference of model {version}"
    )
    return reference


def model_file(root: Path, version: str) -> Path:
    """Where a version's model file is."""
    return _version_dir(root, version) / "model.pkl"


def load_model(root: Path, version: str) -> Any:
    """Unpickle a version's model, after checking it is byte for byte what the registry wrote."""
    expected = read_lineage(root, version)["model_sha256"]
    path = model_file(root, version)
    try:
        payload = path.read_bytes()
    except FileNotFoundError:
        raise PipelineError(f"model file of version {version} is missing from the registry at {root}") from None
    if hashlib.sha256(payload).hexdigest() != expected:
        raise PipelineError(
            f"model file of version {version} does not match the hash the registry recorded: "
            "it was changed after it was written; retrain with a new run"
        )
    return pickle.loads(payload)


def write_evaluation(root: Path, version: str, evaluation: dict[str, Any]) -> None:
    """Record a version's holdout evaluation."""
    write_json(evaluation, _version_dir(root, version) / "evaluation.json")


def read_evaluation(root: Path, version: str) -> dict[str, Any]:
    """A version's holdout evaluation."""
    evaluation: dict[str, Any] = read_json(
        _version_dir(root, version) / "evaluation.json", f"evaluation of model {version}"
    )
    return evaluation


def read_champion(root: Path) -> dict[str, Any] | None:
    """The champion pointer, or ``None`` before the first promotion."""
    path = root / "champion.json"
    if not path.is_file():
        return None
    pointer: dict[str, Any] = read_json(path, "champion pointer")
    return pointer


def set_champion(root: Path, pointer: dict[str, Any]) -> None:
    """Move the champion pointer in one atomic rename."""
    if not (_version_dir(root, pointer["version"]) / "lineage.json").is_file():
        raise PipelineError(f"cannot promote {pointer['version']}: no such version in the registry at {root}")
    write_json(pointer, root / "champion.json")


def record_decision(root: Path, run_date: str, decision: dict[str, Any]) -> Path:
    """Append a decision to the registry's history; a rerun of a day adds a record, never overwrites one.

    The record is written to a temp file, then hard-linked to the next free number: ``link`` fails if the
    name exists, so two runs deciding at once both keep their record.
    """
    folder = root / "decisions"
    folder.mkdir(parents=True, exist_ok=True)
    scratch = folder / f".{run_date}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
    scratch.write_text(json.dumps(decision, indent=2, sort_keys=True, default=str) + "\n")
    try:
        with open(scratch, "rb") as handle:
            os.fsync(handle.fileno())
        while True:
            numbers = [
                int(p.name.split(".")[1]) for p in folder.glob(f"{run_date}.*.json") if p.name.split(".")[1].isdigit()
            ]
            path = folder / f"{run_date}.{max(numbers, default=0) + 1:03d}.json"
            try:
                os.link(scratch, path)
            except FileExistsError:
                continue  # another run took this number a moment ago: take the next one
            return path
    finally:
        scratch.unlink(missing_ok=True)


def list_decisions(root: Path) -> list[dict[str, Any]]:
    """Every recorded decision, oldest first."""
    folder = root / "decisions"
    return [read_json(path, "decision") for path in sorted(folder.glob("*.json"))] if folder.is_dir() else []
