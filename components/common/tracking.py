"""MLflow as the tracking store and the model registry: every pipeline run is an MLflow run, every model a version.

Layout (one tracking store: locally a SQLite file under the artifact root, on a cluster the tracking server)::

    experiment  flight-delay                 one run per pipeline run (named after its day), plus rollback runs
      run tags  run_date, pipeline, code_version, images, kfp_run_id; decision.* (promote); rollback.* (rollback)
      params    the settings groups that shaped the run (window.window_days, train.max_iter, ...)
      metrics   holdout metrics of every contender, the scored day's count and mean risk, yesterday's outcomes, drift
    registered model  flight-disruption     one version per (training data, parameters, code): tag ``fingerprint``
      version tags    lineage (window, rows, data hash, code version, image, parameters), model_sha256, holdout.*
      version files   model/ (MLflow sklearn flavour, cloudpickle), reference.json (training feature profile)
      alias           champion               the version predict and monitor load

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
import logging
import os
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from components.common.deployment import CHAMPION_ALIAS, EXPERIMENT, REGISTERED_MODEL, TRACKING_URI_ENV
from components.common.errors import PipelineError, TransientError

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.tracking import MlflowClient

SCHEMES = ("sqlite", "postgresql", "http", "https")
# MLflow's UI opens an experiment of this kind on its runs table, not on the GenAI traces overview.
KIND = {"mlflow.experimentKind": "custom_model_development"}
# "challenger" (trained by train), "refit" (its recipe on the whole window, the champion once promoted) or
# "baseline" (the naive baseline, the empty registry's champion).
ROLE_TAG = "role"
REFIT_OF_TAG = "refit_of"  # a refit's challenger: the version evaluate judges in its place
FINGERPRINT_TAG = "fingerprint"
SHA_TAG = "model_sha256"
MODEL_DIR = "model"
REFERENCE_FILE = "reference.json"
LINEAGE_FILE = "lineage.json"
# A stage retries a lost connection a few times (urllib3's backoff inside MLflow's HTTP client), then fails as a
# transient error; MLflow's own defaults (7 retries, 120 s timeout) take about four minutes to give up.
_HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "3", "MLFLOW_HTTP_REQUEST_TIMEOUT": "20"}


def local_tracking_uri(artifact_root: Path) -> str:
    """The embedded default: MLflow's SQLite backend under the artifact root."""
    return f"sqlite:///{(artifact_root / 'mlflow' / 'mlflow.db').resolve()}"


def sqlite_file(uri: str) -> Path | None:
    """The database file of a SQLite store (``None``: another kind of store)."""
    return Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None


def artifact_location(uri: str) -> str | None:
    """Where a store keeps run and model files: a SQLite store beside its database; a server decides its own."""
    database = sqlite_file(uri)
    return (database.parent / "artifacts").resolve().as_uri() if database is not None else None


def resolve_tracking_uri(uri: str) -> str:
    """The tracking URI to use (``""``: ``$MLFLOW_TRACKING_URI``), checked for a scheme MLflow can store in."""
    uri = uri or os.environ.get(TRACKING_URI_ENV, "")
    if not uri:
        raise PipelineError(f"no tracking URI: pass --tracking-uri or set ${TRACKING_URI_ENV}")
    scheme = urlsplit(uri).scheme.split("+")[0]
    if scheme not in SCHEMES:
        raise PipelineError(
            f"tracking URI {shown(uri)} has an unknown scheme {scheme or '(none)'!r}: "
            "use sqlite:///PATH, postgresql://USER@HOST/DB or http(s)://HOST:PORT"
        )
    database = sqlite_file(uri)
    if database is not None:
        folder = database.parent
        if folder.exists() and not folder.is_dir():
            raise PipelineError(f"tracking store folder {folder} is a file: pass another --artifact-root")
    return uri


def shown(uri: str) -> str:
    """A URI without its password, for messages."""
    parts = urlsplit(uri)
    if parts.password:
        return uri.replace(f":{parts.password}@", ":***@")
    return uri


def _quiet() -> None:
    """MLflow's HTTP retry budget, and its own notices (the pickle caution, database set-up) kept out of the logs."""
    quiet = {"MLFLOW_LOGGING_LEVEL": "ERROR", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    for key, value in {**_HTTP_DEFAULTS, **quiet}.items():
        os.environ.setdefault(key, value)  # MLflow configures its loggers from this when it is imported
    logging.getLogger("mlflow").setLevel(logging.ERROR)


def client(uri: str) -> MlflowClient:
    """A client of the tracking store and registry at ``uri``; a store that can't be opened is one line."""
    _quiet()
    from mlflow.tracking import MlflowClient

    with translated(uri):
        return MlflowClient(tracking_uri=uri, registry_uri=uri)


@contextlib.contextmanager
def translated(uri: str) -> Iterator[None]:
    """MLflow's and the network's exceptions as this project's: unreachable is transient, the rest permanent."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except PipelineError:
        raise
    except MlflowException as error:
        text = str(error.message).splitlines()[0][:200]
        if any(mark in text for mark in ("Max retries exceeded", "Connection refused", "timed out", "API request")):
            raise TransientError(
                f"tracking server {shown(uri)} does not answer ({text}): start it, or fix --tracking-uri / "
                f"${TRACKING_URI_ENV}"
            ) from None
        raise PipelineError(f"tracking store {shown(uri)}: {text}") from None
    except OSError as error:
        raise TransientError(
            f"tracking store {shown(uri)} is unreachable ({error}): start it, or fix --tracking-uri"
        ) from None


def ensure_experiment(uri: str) -> str:
    """The experiment's id, creating it (and a fresh store's tables and folder) when missing.

    A fresh SQLite store must be created by one process: two creating it at once fail. The CLI calls this once
    before any task runs; a cluster's server creates its tables when it starts.
    """
    database = sqlite_file(uri)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    mlflow = client(uri)
    with translated(uri):
        experiment = mlflow.get_experiment_by_name(EXPERIMENT)
        if experiment is not None:
            return str(experiment.experiment_id)
        try:
            return str(mlflow.create_experiment(EXPERIMENT, artifact_location=artifact_location(uri), tags=KIND))
        except Exception:  # another process created it a moment ago
            experiment = mlflow.get_experiment_by_name(EXPERIMENT)
            if experiment is None:
                raise
            return str(experiment.experiment_id)


def check_reachable(uri: str) -> None:
    """Fail at once, with one line, when the tracking store does not answer (the CLI's preflight)."""
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    mlflow = client(uri)
    try:
        with translated(uri):
            mlflow.search_experiments(max_results=1)
    except TransientError as error:
        raise PipelineError(str(error)) from None


# --- runs -------------------------------------------------------------------------------------------------------


def start_run(uri: str, run_name: str, tags: Mapping[str, str], params: Mapping[str, Any]) -> str:
    """A new run in the experiment (or the open one with the same ``kfp_run_id``: a retried first task)."""
    mlflow = client(uri)
    experiment = ensure_experiment(uri)
    with translated(uri):
        kfp_run = tags.get("kfp_run_id")
        if kfp_run:
            found = mlflow.search_runs([experiment], f"tags.kfp_run_id = '{kfp_run}'", max_results=1)
            if found:
                return str(found[0].info.run_id)
        run = mlflow.create_run(experiment, tags=dict(tags), run_name=run_name)
        log(uri, run.info.run_id, params=params)
        return str(run.info.run_id)


def log(
    uri: str,
    run_id: str,
    *,
    metrics: Mapping[str, float | None] | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
) -> None:
    """Metrics, params and tags of a run in one call (``None`` metrics are skipped)."""
    from mlflow.entities import Metric, Param, RunTag

    now = int(time.time() * 1000)
    with translated(uri):
        client(uri).log_batch(
            run_id,
            metrics=[Metric(k, float(v), now, 0) for k, v in (metrics or {}).items() if v is not None],
            params=[Param(k, str(v)) for k, v in (params or {}).items()],
            tags=[RunTag(k, str(v)) for k, v in (tags or {}).items()],
            synchronous=True,
        )


def log_files(uri: str, run_id: str, files: Mapping[str, Path], folder: str | None = None) -> None:
    """Files as artifacts of a run, each under the given name (in ``folder``)."""
    with tempfile.TemporaryDirectory(prefix="flights-artifacts-") as scratch, translated(uri):
        for name, path in files.items():
            staged = Path(scratch) / name
            staged.write_bytes(path.read_bytes())
        client(uri).log_artifacts(run_id, scratch, folder)


def end_runs(uri: str, kfp_run_id: str, succeeded: bool) -> list[str]:
    """Close the open runs of a KFP run as FINISHED or FAILED (the pipelines' exit task); returns their ids."""
    mlflow = client(uri)
    with translated(uri):
        experiment = mlflow.get_experiment_by_name(EXPERIMENT)
        if experiment is None:
            return []
        runs = mlflow.search_runs(
            [experiment.experiment_id], f"tags.kfp_run_id = '{kfp_run_id}' and attributes.status = 'RUNNING'"
        )
        for run in runs:
            mlflow.set_terminated(run.info.run_id, "FINISHED" if succeeded else "FAILED")
    return [run.info.run_id for run in runs]


def close_run(uri: str, run_id: str, status: str) -> None:
    """Mark one run FINISHED, FAILED or KILLED."""
    with translated(uri):
        client(uri).set_terminated(run_id, status)


def end_interrupted(uri: str, run_date: str, since_ms: int) -> None:
    """Mark KILLED the runs of a day that a stopped local run left RUNNING (its exit task never ran)."""
    for run in runs_with(uri, f"tags.run_date = '{run_date}' and attributes.status = 'RUNNING'"):
        if run.info.start_time >= since_ms:
            close_run(uri, run.info.run_id, "KILLED")


@contextlib.contextmanager
def stage_run(uri: str, run_id: str, name: str, tags: Mapping[str, str]) -> Iterator[str]:
    """The pipeline run a stage logs into; a stage called on its own (``run_id`` empty) gets a run of its own."""
    if run_id:
        yield run_id
        return
    own = start_run(uri, name, tags, {})
    status = "FAILED"
    try:
        yield own
        status = "FINISHED"
    finally:
        with contextlib.suppress(PipelineError), translated(uri):
            client(uri).set_terminated(own, status)


# --- the registry -----------------------------------------------------------------------------------------------


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

    _quiet()
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


def empty_store(uri: str) -> int:
    """Forget every run and model of the store (``replay --fresh``): the registered model deleted with its versions
    and aliases, every run of the experiment deleted (MLflow keeps deleted runs out of every search and of the UI's
    default view until ``mlflow gc``). Returns how many runs went."""
    mlflow = client(uri)
    with translated(uri):
        if mlflow.search_registered_models(f"name = '{REGISTERED_MODEL}'"):
            mlflow.delete_registered_model(REGISTERED_MODEL)
        experiment = mlflow.get_experiment_by_name(EXPERIMENT)
        if experiment is None:
            return 0
        deleted, token = 0, None
        while True:
            page = mlflow.search_runs([experiment.experiment_id], "", max_results=1000, page_token=token)
            for run in page:
                mlflow.delete_run(run.info.run_id)
            deleted += len(page)
            token = page.token
            if not token:
                return deleted


def runs_with(uri: str, filter_string: str, max_results: int = 100) -> list[Any]:
    """Runs of the experiment matching a filter, newest first."""
    mlflow = client(uri)
    with translated(uri):
        experiment = mlflow.get_experiment_by_name(EXPERIMENT)
        if experiment is None:
            return []
        return list(
            mlflow.search_runs(
                [experiment.experiment_id], filter_string, max_results=max_results, order_by=["start_time DESC"]
            )
        )
