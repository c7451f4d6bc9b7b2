"""MLflow's model registry: every model a version of ``flight-disruption``, the champion an alias (the layout is
in components/common/tracking.py, which owns the store's connection and the runs).

A model is unpickled only after the sha256 of its pickle matches the ``model_sha256`` tag written when it was
registered (cloudpickle can run code on load; skops, MLflow's default, refuses scikit-learn's gradient-boosting
tree predictor as an untrusted type, so it would need a trust list kept by hand for every release).

``mlflow`` is imported inside the functions: it costs about a second to import, and most code never needs it.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from components.common.deployment import CHAMPION_ALIAS, REGISTERED_MODEL
from components.common.errors import PipelineError, TransientError
from components.common.tracking import client, quiet, shown, translated

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.tracking import MlflowClient

# "challenger" (trained by train), "refit" (its recipe on the whole window, the champion once promoted) or
# "baseline" (the naive baseline, the empty registry's champion).
ROLE_TAG = "role"
REFIT_OF_TAG = "refit_of"  # a refit's challenger: the version evaluate judges in its place
FINGERPRINT_TAG = "fingerprint"
SHA_TAG = "model_sha256"
MODEL_DIR = "model"
REFERENCE_FILE = "reference.json"
LINEAGE_FILE = "lineage.json"


def _ensure_registered_model(mlflow: MlflowClient) -> None:
    from mlflow.exceptions import MlflowException

    try:
        mlflow.get_registered_model(REGISTERED_MODEL)
    except MlflowException:
        with contextlib.suppress(MlflowException):  # created by another run a moment ago
            mlflow.create_registered_model(
                REGISTERED_MODEL, description="Probability that a flight out of New York arrives 15+ min late or never"
            )


def _by_fingerprint(mlflow: MlflowClient, fingerprint: str) -> list[ModelVersion]:
    found = mlflow.search_model_versions(f"name = '{REGISTERED_MODEL}' and tags.{FINGERPRINT_TAG} = '{fingerprint}'")
    return sorted(found, key=lambda version: int(version.version))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class SavedModel:
    """A model saved in MLflow's sklearn format in a local folder, with its pickle's sha256, ready to register."""

    folder: Path
    sha256: str

    @property
    def pickle(self) -> Path:
        """The model file."""
        return self.folder / MODEL_DIR / "model.pkl"


def save_model(
    model: Any, folder: Path, reference: Mapping[str, Any], input_example: Any, lineage: Mapping[str, Any] | None = None
) -> SavedModel:
    """Save a fitted model (cloudpickle, with its signature and an input example), its training profile and, for a
    model registered later by another task, its lineage (``lineage.json``)."""
    import mlflow.sklearn
    from mlflow.models import infer_signature

    quiet()
    signature = infer_signature(input_example, model.predict_proba(input_example)[:, 1])
    mlflow.sklearn.save_model(
        model,
        folder / MODEL_DIR,
        serialization_format="cloudpickle",
        signature=signature,
        input_example=input_example,
        pip_requirements=["scikit-learn", "pandas", "cloudpickle"],
    )
    (folder / REFERENCE_FILE).write_text(json.dumps(reference, sort_keys=True))
    if lineage is not None:
        (folder / LINEAGE_FILE).write_text(json.dumps(lineage, sort_keys=True))
    return SavedModel(folder, _sha256(folder / MODEL_DIR / "model.pkl"))


def saved_at(folder: Path, saved_by: str) -> tuple[SavedModel, dict[str, Any]]:
    """A model another task (``saved_by``) saved with its lineage; a missing or broken folder is one line."""
    try:
        lineage: dict[str, Any] = json.loads((folder / LINEAGE_FILE).read_text())
        return SavedModel(folder, _sha256(folder / MODEL_DIR / "model.pkl")), lineage
    except (OSError, ValueError) as error:
        raise PipelineError(f"saved model at {folder} is missing or broken ({error}): rerun {saved_by}") from None


def register_saved(uri: str, run_id: str, saved: SavedModel, key: str, tags: Mapping[str, Any]) -> tuple[str, bool]:
    """Register a saved model once per fingerprint ``key``; returns (version, newly registered).

    Idempotent: a version with the same fingerprint is returned as it is. Two runs registering the same fingerprint
    at once both create a version; each then keeps the lowest-numbered one and deletes its own if it is not that one,
    so both end on the same version and no duplicate is left. Tags are written with the version, in one call.
    """
    mlflow_client = client(uri)
    with translated(uri):
        existing = _by_fingerprint(mlflow_client, key)
        if existing:
            return str(existing[0].version), False
        _ensure_registered_model(mlflow_client)
        mlflow_client.log_artifacts(run_id, str(saved.folder), f"models/{key}")
        created = mlflow_client.create_model_version(
            REGISTERED_MODEL,
            f"runs:/{run_id}/models/{key}",
            run_id=run_id,
            tags={**{k: str(v) for k, v in tags.items()}, FINGERPRINT_TAG: key, SHA_TAG: saved.sha256},
        )
        winner = _by_fingerprint(mlflow_client, key)[0]
        if str(winner.version) != str(created.version):  # another run registered the same model first
            mlflow_client.delete_model_version(REGISTERED_MODEL, created.version)
            return str(winner.version), False
    return str(created.version), True


def version(uri: str, number: str) -> ModelVersion:
    """One version of the registered model; a missing one is one line."""

    mlflow = client(uri)
    try:
        with translated(uri):
            return mlflow.get_model_version(REGISTERED_MODEL, number)
    except TransientError:
        raise  # an unreachable server is not a missing version
    except PipelineError:
        raise PipelineError(
            f"model {REGISTERED_MODEL} has no version {number!r} in {shown(uri)}: "
            "list them with `make mlflow-ui` (Models tab)"
        ) from None


def model_versions(uri: str) -> list[ModelVersion]:
    """Every version of the registered model, lowest first (none before the first registration)."""
    with translated(uri):
        found = client(uri).search_model_versions(f"name = '{REGISTERED_MODEL}'")
    return sorted(found, key=lambda found_version: int(found_version.version))


def champion(uri: str) -> ModelVersion | None:
    """The version the ``champion`` alias points at, or ``None`` (no alias yet)."""
    from mlflow.exceptions import MlflowException

    mlflow = client(uri)
    with translated(uri):
        try:
            return mlflow.get_model_version_by_alias(REGISTERED_MODEL, CHAMPION_ALIAS)
        except MlflowException as error:
            if error.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                return None
            raise


def require_champion(uri: str) -> ModelVersion:
    """The champion version, or one line saying there is none and what to run."""
    serving = champion(uri)
    if serving is None:
        raise PipelineError(
            f"no champion: model {REGISTERED_MODEL} in {shown(uri)} has no version with the alias "
            f"'{CHAMPION_ALIAS}': run the daily pipeline first (make run)"
        )
    return serving


def set_champion(uri: str, number: str) -> None:
    """Move the ``champion`` alias (one atomic update in the store)."""
    with translated(uri):
        client(uri).set_registered_model_alias(REGISTERED_MODEL, CHAMPION_ALIAS, number)


def set_version_tags(uri: str, number: str, tags: Mapping[str, Any]) -> None:
    """Tags of one version."""
    mlflow = client(uri)
    with translated(uri):
        for key, value in tags.items():
            mlflow.set_model_version_tag(REGISTERED_MODEL, number, key, str(value))


def describe_version(uri: str, number: str, text: str) -> None:
    """A version's description (the model card, which the registry UI renders as Markdown)."""
    with translated(uri):
        client(uri).update_model_version(REGISTERED_MODEL, number, description=text)


def _download(uri: str, source: str, into: Path) -> Path:
    import mlflow.artifacts

    with translated(uri):
        return Path(mlflow.artifacts.download_artifacts(artifact_uri=source, dst_path=str(into), tracking_uri=uri))


def load_model(uri: str, model_version: ModelVersion) -> Any:
    """A version's fitted model, unpickled only after its sha256 matches the one recorded at registration.

    Kept for the process once verified (a few versions): ``replay`` loads each champion once, not per stage per day.
    """
    return _load_verified(uri, str(model_version.version), model_version.source, model_version.tags.get(SHA_TAG))


@functools.lru_cache(maxsize=4)
def _load_verified(uri: str, number: str, source: str, expected: str | None) -> Any:
    import mlflow.sklearn

    with tempfile.TemporaryDirectory(prefix="flights-model-") as scratch:
        folder = _download(uri, source, Path(scratch))
        pickle = folder / MODEL_DIR / "model.pkl"
        if not pickle.is_file():
            raise PipelineError(f"model version {number} has no model file at {source}")
        if expected is None or _sha256(pickle) != expected:
            raise PipelineError(
                f"model file of version {number} does not match the hash recorded at registration: "
                "it was changed after it was written; retrain with a new run"
            )
        with translated(uri):
            return mlflow.sklearn.load_model(str(folder / MODEL_DIR))


def load_reference(uri: str, model_version: ModelVersion) -> dict[str, Any]:
    """A version's training feature profile (what drift is measured against); a fresh copy, read once per process."""
    return copy.deepcopy(_reference(uri, model_version.source))


@functools.lru_cache(maxsize=4)
def _reference(uri: str, source: str) -> dict[str, Any]:
    import mlflow.artifacts

    with tempfile.TemporaryDirectory(prefix="flights-reference-") as scratch, translated(uri):
        path = mlflow.artifacts.download_artifacts(
            artifact_uri=f"{source}/{REFERENCE_FILE}", dst_path=scratch, tracking_uri=uri
        )
        reference: dict[str, Any] = json.loads(Path(path).read_text())
    return reference
