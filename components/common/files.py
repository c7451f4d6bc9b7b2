"""Files written for people and for the next stage: atomic (temp file + fsync + rename), and what a killed writer
left behind told apart from a live writer's work by the pid in the temp file's name."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from components.common.errors import PipelineError


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success fsync it and rename it into place.

    On failure the temporary file is removed, so readers see the old file or the new one, never half.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # The writer's pid is in the name, so a later stage can tell a dead writer's leftovers from a live one's.
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def disk_errors(path: Path) -> Iterator[None]:
    """A full disk or a read-only folder is one line naming the file and the fix (the temp file is gone)."""
    try:
        yield
    except OSError as error:
        if error.errno is None:
            raise  # not the disk: e.g. the stream being written broke (pyarrow raises those as OSError)
        reason = os.strerror(error.errno)
        raise PipelineError(
            f"cannot write {path} ({reason}): free disk space or choose another --artifact-root, then rerun"
        ) from None


def write_json(document: Any, path: Path) -> None:
    """Write a JSON document atomically."""
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")


def read_json(path: Path, what: str) -> Any:
    """Read a JSON document; a missing or broken file is a one-line error."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise PipelineError(f"{what} {path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise PipelineError(
            f"{what} {path} is not valid JSON ({error.msg if hasattr(error, 'msg') else error})"
        ) from None


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid is running (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def writer_pid(name: str) -> int | None:
    """The pid in a temp name ``.<target>.<pid>.<random>[.tmp]``, or ``None`` for any other name."""
    parts = name.removesuffix(".tmp").split(".")
    return int(parts[-2]) if len(parts) >= 4 and parts[-2].isdigit() else None


def remove_stray_temporaries(folder: Path) -> list[Path]:
    """Remove temp files that dead writers left in ``folder`` (``.<name>.<pid>.<random>.tmp``); returns them.

    A temp file of a live process (another run writing now) is left alone.
    """
    if not folder.is_dir():
        return []
    strays = []
    for candidate in folder.glob(".*.tmp"):
        pid = writer_pid(candidate.name)
        if candidate.is_file() and pid is not None and pid != os.getpid() and not pid_alive(pid):
            candidate.unlink(missing_ok=True)
            strays.append(candidate)
    return strays


def write_text(text: str, path: Path) -> None:
    """Write a text file (a report for people) atomically."""
    with disk_errors(path), atomic_path(path) as temporary:
        temporary.write_text(text)
