"""k8s/mlflow/init-database.sh, the MLflow server's initContainer, against a real PostgreSQL (a throwaway server on
loopback, as tests/support/postgres.py starts it): it creates the database and user, again changes nothing but the
password, and a missing password file is one line."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.k8s.conftest import K8S
from tests.support.postgres import SUPERUSER, PostgresServer, require_postgres

pytestmark = pytest.mark.postgres
SCRIPT = K8S / "mlflow" / "init-database.sh"


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    require_postgres()
    with PostgresServer() as server:
        yield server


def _init(server: PostgresServer, folder: Path, mlflow_password: str | None) -> subprocess.CompletedProcess[str]:
    (folder / "warehouse").write_text("unused-with-trust-auth")
    if mlflow_password is not None:
        (folder / "mlflow").write_text(mlflow_password)
    env = {
        **os.environ,
        "PATH": f"{server.bindir}:{os.environ['PATH']}",  # psql and pg_isready, as in the postgres image
        "PGHOST": "127.0.0.1",
        "PGPORT": str(server.port),
        "PGUSER": SUPERUSER,
        "PGDATABASE": "flights",
        "WAREHOUSE_PASSWORD_FILE": str(folder / "warehouse"),
        "MLFLOW_PASSWORD_FILE": str(folder / "mlflow"),
        "WAIT_SECONDS": "10",
    }
    return subprocess.run(["sh", str(SCRIPT)], env=env, capture_output=True, text=True, check=False, timeout=60)


def test_creates_the_database_and_user_idempotently(postgres: PostgresServer, tmp_path: Path) -> None:
    first = _init(postgres, tmp_path, "first-password")
    assert first.returncode == 0, first.stderr
    password_before = postgres.psql("SELECT rolpassword FROM pg_authid WHERE rolname = 'mlflow'")
    second = _init(postgres, tmp_path, "second-password")  # a recreated Secret: the role follows it

    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "database mlflow and user mlflow ready on 127.0.0.1"
    assert postgres.psql("SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = 'mlflow'") == "t|f"
    assert postgres.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'mlflow'") == "mlflow"
    assert postgres.psql("SELECT rolpassword FROM pg_authid WHERE rolname = 'mlflow'") not in ("", password_before)
    assert "first-password" not in first.stdout + first.stderr + second.stdout + second.stderr


def test_a_missing_password_file_is_one_line(postgres: PostgresServer, tmp_path: Path) -> None:
    result = _init(postgres, tmp_path, None)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: {tmp_path / 'mlflow'} is missing or empty: create the Secrets with make warehouse"
    )
    assert postgres.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'mlflow'") == "0"
