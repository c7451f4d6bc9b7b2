"""Reading a real MLflow tracking store the way a user does in the UI: runs, decisions, versions, the champion.

Tests read the store through MLflow's own client, never through the code under test.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from mlflow.tracking import MlflowClient

from components.common.deployment import CHAMPION_ALIAS, EXPERIMENT, REGISTERED_MODEL


def local_uri(artifact_root: Path) -> str:
    """The embedded default store of an artifact root, as the CLI derives it."""
    return f"sqlite:///{(artifact_root / 'mlflow' / 'mlflow.db').resolve()}"


def client(uri: str) -> MlflowClient:
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def runs(uri: str) -> list[Any]:
    """Every run of the experiment, oldest first."""
    mlflow = client(uri)
    experiment = mlflow.get_experiment_by_name(EXPERIMENT)
    if experiment is None:
        return []
    return list(mlflow.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"]))


def decisions(uri: str) -> list[dict[str, str]]:
    """Every recorded decision (promote's and rollback's ``decision.*`` run tags), oldest first."""
    found = []
    for run in runs(uri):
        tags = {k.removeprefix("decision."): v for k, v in run.data.tags.items() if k.startswith("decision.")}
        if tags:
            found.append(tags)
    return found


def versions(uri: str) -> list[Any]:
    """Every version of the registered model, lowest first (none when the model was never registered)."""
    found = client(uri).search_model_versions(f"name = '{REGISTERED_MODEL}'")
    return sorted(found, key=lambda version: int(version.version))


def champion(uri: str) -> str | None:
    """The version the champion alias is on, or ``None``."""
    try:
        return str(client(uri).get_model_version_by_alias(REGISTERED_MODEL, CHAMPION_ALIAS).version)
    except Exception:
        return None


def state(uri: str) -> dict[str, Any]:
    """What a failed command must leave as it was: runs (id, status, tags), versions (tags) and the alias."""
    return {
        "runs": [(r.info.run_id, r.info.status, sorted(r.data.tags.items())) for r in runs(uri)],
        "versions": [(v.version, sorted(v.tags.items())) for v in versions(uri)],
        "champion": champion(uri),
    }


def relocate_local_store(source_root: Path, copy_root: Path | str, database: Path | None = None) -> None:
    """Point a copied artifact root's SQLite store at its own files.

    The store records absolute locations (the experiment's artifact location, each run's artifact URI, each version's
    source): a plain copy would still read and write the original's run and model files. ``copy_root`` may be where
    a container sees the copy (``/out/artifacts``); then ``database`` is the copy's database on this machine.
    """
    old, new = str(source_root.resolve()), str(Path(copy_root).resolve())
    database = database or Path(copy_root) / "mlflow" / "mlflow.db"
    with contextlib.closing(sqlite3.connect(database)) as connection, connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for column in connection.execute(f'PRAGMA table_info("{table}")').fetchall():
                if "CHAR" in column[2].upper() or "TEXT" in column[2].upper():
                    connection.execute(
                        f'UPDATE "{table}" SET "{column[1]}" = replace("{column[1]}", ?, ?) '
                        f'WHERE instr("{column[1]}", ?) > 0',
                        (old, new, old),
                    )
