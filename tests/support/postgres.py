"""A throwaway PostgreSQL server for tests and benchmarks: a temp data dir, a free loopback port, gone afterwards.

Usable without pytest::

    from tests.support.postgres import throwaway_postgres
    with throwaway_postgres() as url:   # postgresql://flights@127.0.0.1:PORT/flights
        ...

Tests use the ``postgres_server`` fixture (import it into a conftest), which skips with a reason when the
server binaries are missing, and fails instead when ``REQUIRE_POSTGRES=1`` (CI).

We run as root and PostgreSQL refuses to: as root, the server runs as the ``postgres`` system user
(``runuser``), with a data directory that user owns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

SUPERUSER = "flights"
DATABASE = "flights"
RUN_AS = "postgres"  # the system user Debian's postgresql package creates


class PostgresUnavailableError(RuntimeError):
    """PostgreSQL server binaries (or a non-root user to run them) are missing on this machine."""


def find_bindir() -> Path:
    """Where ``initdb``/``postgres`` live: ``pg_config --bindir``, else the newest ``/usr/lib/postgresql/*/bin``."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10)
            candidates.append(Path(out.stdout.strip()))
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "postgres").is_file():
            return bindir
    raise PostgresUnavailableError(
        "PostgreSQL server binaries (initdb, postgres) not found via pg_config or /usr/lib/postgresql/*/bin: "
        "apt-get install postgresql (or run scripts/ci/install-services.sh)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One PostgreSQL cluster in a temp directory; ``start``/``stop`` may be called repeatedly (fault trials)."""

    def __init__(self, root: Path | None = None) -> None:
        self.bindir = find_bindir()
        self._as_root = os.geteuid() == 0
        if self._as_root:
            try:
                self._user = pwd.getpwnam(RUN_AS)
            except KeyError:
                raise PostgresUnavailableError(
                    f"running as root but there is no '{RUN_AS}' user to run PostgreSQL as"
                ) from None
        self._own_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="throwaway-pg-")) if root is None else root
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.port = _free_port()
        self.url = f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"
        self._process: subprocess.Popen[bytes] | None = None
        self._log = self.root / "postgres.log"

    def url_for(self, database: str) -> str:
        """The URL of another database on this server."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _command(self, *argv: str) -> list[str]:
        return ["runuser", "-u", RUN_AS, "--", *argv] if self._as_root else list(argv)

    def _chown(self, path: Path) -> None:
        if self._as_root:
            os.chown(path, self._user.pw_uid, self._user.pw_gid)

    def init(self) -> None:
        """``initdb`` with trust authentication on loopback only (a throwaway, test-only cluster)."""
        self.root.chmod(0o755)
        for folder in (self.data, self.sockets):
            folder.mkdir(mode=0o700)
            self._chown(folder)
        self._chown(self.root)
        subprocess.run(
            self._command(
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and wait until it accepts connections."""
        log = open(self._log, "ab")  # noqa: SIM115 - the server process keeps it open
        self._process = subprocess.Popen(
            self._command(
                str(self.bindir / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.sockets),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=50",
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER],
                check=False,
                capture_output=True,
            )
            if ready.returncode == 0:
                return
            if self._process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not start on port {self.port}: see {self._log}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast`` disconnects clients; ``immediate`` is a crash-like stop)."""
        if self._process is None:
            return
        if self._process.poll() is None:
            subprocess.run(
                self._command(str(self.bindir / "pg_ctl"), "stop", "-D", str(self.data), "-m", mode, "-w"),
                check=False,
                capture_output=True,
                timeout=60,
            )
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def psql(self, sql: str, database: str = DATABASE) -> str:
        """Run SQL with ``psql`` (for setup: databases, templates) and return its unaligned output."""
        result = subprocess.run(
            [
                str(self.bindir / "psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                SUPERUSER,
                "-d",
                database,
                "-c",
                sql,
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database (optionally a copy of ``template``: fast, file-level); returns its URL."""
        suffix = f" TEMPLATE {template}" if template else ""
        self.psql(f'CREATE DATABASE "{name}"{suffix}', database="postgres")
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting its clients."""
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")

    def __enter__(self) -> PostgresServer:
        try:
            self.init()
            self.start()
            self.psql(f"CREATE DATABASE {DATABASE}", database="postgres")
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        """Stop the server and remove its directory."""
        with contextlib.suppress(Exception):
            self.stop("immediate")
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a throwaway server and yield the URL of its empty ``flights`` database; stop and remove it after."""
    with PostgresServer() as server:
        yield server.url


def require_postgres() -> None:
    """In pytest: skip when PostgreSQL is unavailable, fail when ``REQUIRE_POSTGRES=1``."""
    import pytest

    try:
        find_bindir()
    except PostgresUnavailableError as missing:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but {missing}")
        pytest.skip(str(missing))


def _cli(argv: list[str] | None = None) -> int:
    """``python -m tests.support.postgres up|down DIR``: a server that outlives the command (make pg-up/pg-down)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m tests.support.postgres")
    parser.add_argument("action", choices=("up", "down"))
    parser.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    state = args.directory / "server.json"
    if args.action == "up":
        if state.is_file():
            print(json.loads(state.read_text())["url"])
            return 0
        args.directory.mkdir(parents=True, exist_ok=True)
        root = args.directory.resolve() / "cluster"
        root.mkdir()
        server = PostgresServer(root)
        server.init()
        server.start()
        server.psql(f"CREATE DATABASE {DATABASE}", database="postgres")
        assert server._process is not None
        state.write_text(json.dumps({"url": server.url, "pid": server._process.pid, "root": str(root)}))
        from components.common.warehouse.seed import seed_warehouse

        seed_warehouse(server.url)
        print(server.url)
        return 0
    if not state.is_file():
        print(f"no server recorded in {state}")
        return 0
    recorded = json.loads(state.read_text())
    bindir = find_bindir()
    as_root = ["runuser", "-u", RUN_AS, "--"] if os.geteuid() == 0 else []
    subprocess.run(
        [*as_root, str(bindir / "pg_ctl"), "stop", "-D", str(Path(recorded["root"]) / "data"), "-m", "fast", "-w"],
        check=False,
        capture_output=True,
        timeout=60,
    )
    shutil.rmtree(args.directory, ignore_errors=True)
    print(f"stopped {recorded['url']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_cli())
