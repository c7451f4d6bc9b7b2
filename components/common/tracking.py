"""MLflow as the tracking store: every pipeline run is an MLflow run (its registry side: common/registry.py).

Layout (one tracking store: locally a SQLite file under the artifact root, on a cluster the tracking server)::

    experiment  flight-delay                 one run per pipeline run (named after its day), plus rollback runs
      run tags  run_date, pipeline, code_version, images, kfp_run_id; decision.* (promote); rollback.* (rollback)
      params    the settings groups that shaped the run (window.window_days, train.max_iter, ...)
      metrics   holdout metrics of every contender, the scored day's count and mean risk, yesterday's outcomes, drift
    registered model  flight-disruption     one version per (training data, parameters, code): tag ``fingerprint``
      version tags    lineage (window, rows, data hash, code version, image, parameters), model_sha256, holdout.*
      version files   model/ (MLflow sklearn flavour, cloudpickle), reference.json (training feature profile)
      alias           champion               the version predict and monitor load

``mlflow`` is imported inside the functions: it costs about a second to import, and most code never needs it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from components.common.deployment import EXPERIMENT, REGISTERED_MODEL, TRACKING_URI_ENV
from components.common.errors import PipelineError, TransientError

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

SCHEMES = ("sqlite", "postgresql", "http", "https")
# MLflow's UI opens an experiment of this kind on its runs table, not on the GenAI traces overview.
KIND = {"mlflow.experimentKind": "custom_model_development"}
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


def quiet() -> None:
    """MLflow's HTTP retry budget, and its own notices (the pickle caution, database set-up) kept out of the logs."""
    quiet = {"MLFLOW_LOGGING_LEVEL": "ERROR", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    for key, value in {**_HTTP_DEFAULTS, **quiet}.items():
        os.environ.setdefault(key, value)  # MLflow configures its loggers from this when it is imported
    logging.getLogger("mlflow").setLevel(logging.ERROR)


def client(uri: str) -> MlflowClient:
    """A client of the tracking store and registry at ``uri``; a store that can't be opened is one line."""
    quiet()
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
