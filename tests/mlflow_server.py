"""A real MLflow tracking server for tests: ``mlflow server --workers 1`` on a free loopback port, with a PostgreSQL
backend store (its own database and user) and served artifacts (``mlflow-artifacts:/``), as on a cluster.

The server comes from its own hash-locked environment (docker/mlflow/requirements.txt, synced into .venv-mlflow by
``make mlflow-env``, the same one ``make mlflow-ui`` runs); the tests talk to it with the client in .venv
(mlflow-skinny). PostgreSQL is a throwaway server of its own (tests/support/postgres.py): the session's
``postgres_server`` is stopped and restarted by fault trials, which must not take the tracking server down with it.
Start-up (about 25 s, mostly the server creating its tables and importing) is paid once per session::

    pytestmark = pytest.mark.postgres

    def test_tracks(mlflow_server: MlflowServer) -> None:   # from tests.mlflow_server import MlflowServer
        client = MlflowClient(mlflow_server.uri)           # http://127.0.0.1:PORT

Registered for every suite by ``pytest_plugins`` in tests/conftest.py. Without PostgreSQL server binaries the
fixture skips with the reason; with ``REQUIRE_POSTGRES=1`` (CI) it fails instead.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.postgres import PostgresServer, require_postgres

REPO = Path(__file__).resolve().parents[1]
MLFLOW_VENV = REPO / ".venv-mlflow"
DATABASE = "mlflow"
USER = "mlflow"
PASSWORD = "mlflow-test-only"  # a throwaway server on loopback with trust authentication: not a secret
START_TIMEOUT_S = 240.0  # measured: 24-26 s with one worker on 2 busy cores; CI machines can be busier
LOG_TAIL_LINES = 30
# Whatever the caller's environment points MLflow at must not reach the server (or change its store).
_CLIENT_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID")


@dataclass(frozen=True)
class MlflowServer:
    """A running tracking server: ``uri`` for clients, ``backend_uri`` its PostgreSQL store, where it logs."""

    uri: str
    backend_uri: str
    artifacts: Path
    log: Path


def server_environment() -> Path:
    """The server's locked environment (``make mlflow-env``: a no-op when in sync); its ``mlflow`` executable."""
    result = subprocess.run(
        ["make", "--no-print-directory", "mlflow-env"],
        cwd=REPO,
        env={key: value for key, value in os.environ.items() if not key.startswith(("MAKE", "MFLAGS"))},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-LOG_TAIL_LINES:])
        pytest.fail(f"make mlflow-env failed (the MLflow server's environment, .venv-mlflow):\n{tail}", pytrace=False)
    return MLFLOW_VENV / "bin" / "mlflow"


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str, timeout: float) -> bool:
    """Whether ``GET url`` answers 200 (no proxy: the server is on loopback)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def healthy(uri: str) -> bool:
    """Whether ``GET <uri>/health`` answers 200."""
    return _answers(f"{uri}/health", timeout=2)


def _tail(log: Path) -> str:
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return "\n".join(lines[-LOG_TAIL_LINES:]) or "(empty)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's own process group (uvicorn's worker too), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def running_server(
    mlflow: Path, backend_uri: str, folder: Path, timeout: float = START_TIMEOUT_S
) -> Iterator[MlflowServer]:
    """``mlflow server --workers 1`` on a free loopback port until the block ends; fails with its log's tail."""
    port = free_port()
    artifacts = folder / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    log = folder / "mlflow-server.log"
    command = [str(mlflow), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    command += ["--backend-store-uri", backend_uri, "--serve-artifacts", "--artifacts-destination", str(artifacts)]
    env = {key: value for key, value in os.environ.items() if key not in _CLIENT_VARIABLES}
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, cwd=folder, env=env, start_new_session=True
        )
    server = MlflowServer(f"http://127.0.0.1:{port}", backend_uri, artifacts, log)
    try:
        started = time.monotonic()
        while not healthy(server.uri):
            if process.poll() is not None:
                pytest.fail(
                    f"mlflow server exited with code {process.returncode} before answering /health "
                    f"(log {log}):\n{_tail(log)}",
                    pytrace=False,
                )
            if time.monotonic() - started > timeout:
                pytest.fail(
                    f"mlflow server did not answer {server.uri}/health within {timeout:g} s (log {log}):\n{_tail(log)}",
                    pytrace=False,
                )
            time.sleep(0.25)
        # The first API call loads the request handlers and opens the store (3 s measured): pay it here, once.
        if not _answers(f"{server.uri}/api/2.0/mlflow/experiments/search?max_results=1", timeout=timeout):
            pytest.fail(f"mlflow server answers /health but not a search of experiments (log {log}):\n{_tail(log)}")
        yield server
    finally:
        _stop(process)


@contextlib.contextmanager
def mlflow_postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server with MLflow's own database and user; yields the backend store URI.

    ``postgresql://`` is enough: SQLAlchemy 2.1 picks psycopg (3), the driver the server's environment has.
    """
    require_postgres()
    with PostgresServer() as postgres:
        postgres.psql(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'", database="postgres")
        postgres.psql(f"CREATE DATABASE {DATABASE} OWNER {USER}", database="postgres")
        yield f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{postgres.port}/{DATABASE}"


@pytest.fixture(scope="session")
def mlflow_server() -> Iterator[MlflowServer]:
    """A real MLflow tracking server over HTTP, PostgreSQL-backed, for the whole session (stopped at its end)."""
    require_postgres()
    mlflow = server_environment()
    with (
        tempfile.TemporaryDirectory(prefix="mlflow-server-") as scratch,
        mlflow_postgres() as backend_uri,
        running_server(mlflow, backend_uri, Path(scratch)) as server,
    ):
        yield server
