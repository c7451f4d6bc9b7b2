"""Running a pipeline on this machine with ``kfp.local``: each stage in this venv (``SubprocessRunner``) or in its
own image (``DockerRunner``). The run's folder is ``<artifact_root>/runs/<day>/<started>-<id>/<pipeline run>``, one
per invocation; a run that fails or is interrupted leaves no partial folder behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from kfp import local

from components.common.config import Settings
from components.common.deployment import ALERT_WEBHOOK_ENV, STAGES, StageImages
from components.common.errors import PipelineError
from components.common.stage import ERROR_MARK


class _ProgressStream:
    """Everything ``kfp.local`` prints goes to a log file; the stages' own log lines also go to stderr."""

    _ours = re.compile(r"\b(INFO|WARNING|ERROR) run_date=\S+ stage=\S+ ")

    def __init__(self, log: IO[str], echo: str) -> None:
        self.log, self.echo, self._pending = log, echo, ""

    def write(self, text: str) -> int:
        self.log.write(text)
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if self.echo == "all" or (self.echo == "stages" and self._ours.search(line)):
                sys.stderr.write(line.strip() + "\n")
        return len(text)

    def flush(self) -> None:
        self.log.flush()


def stage_error(log_text: str) -> str | None:
    """The last stage's one-line error in a run's log, as the CLI shows it."""
    matches = re.findall(rf"stage=(\S+) {re.escape(ERROR_MARK)} (.*)", log_text)
    return f"stage {matches[-1][0]} failed: {matches[-1][1].strip()}" if matches else None


@contextlib.contextmanager
def _project_python_first() -> Iterator[None]:
    """``kfp.local`` starts ``python3`` from PATH: make that this interpreter, for the run only."""
    original = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), original])
    try:
        yield
    finally:
        os.environ["PATH"] = original


@contextlib.contextmanager
def _alert_webhook(url: str) -> Iterator[None]:
    """The config's alert webhook as $FLIGHTS_ALERT_WEBHOOK_URL for the run's tasks (the exit task reads it; the
    docker runner forwards it), for the run only. Never a parameter: it is a secret. Empty: the environment's own."""
    original = os.environ.get(ALERT_WEBHOOK_ENV)
    if url:
        os.environ[ALERT_WEBHOOK_ENV] = url
    try:
        yield
    finally:
        if original is None:
            os.environ.pop(ALERT_WEBHOOK_ENV, None)
        else:
            os.environ[ALERT_WEBHOOK_ENV] = original


def _outermost(folders: list[Path]) -> list[Path]:
    """The folders that are not inside another one of them (nested bind mounts would be redundant)."""
    unique = sorted(set(folders))
    return [f for f in unique if not any(f != other and f.is_relative_to(other) for other in unique)]


def docker_run_arguments(settings: Settings) -> dict[str, Any]:
    """How ``kfp.local.DockerRunner`` starts each stage's container.

    The artifact root (with a local SQLite tracking store) and a DuckDB warehouse's folder are bind-mounted at the
    same absolute paths (kfp.local itself mounts only the run's pipeline root); a PostgreSQL warehouse and a
    tracking server are reached over the host's network. Containers run as the calling user, so files on the host
    stay theirs, with a read-only root filesystem, a tmpfs /tmp, no capabilities and no privilege escalation.
    """
    import docker

    from components.common.warehouse.url import parse_warehouse_url

    warehouse = parse_warehouse_url(settings.warehouse_url)
    folders = [Path(settings.artifact_root)] + ([warehouse.path.parent] if warehouse.path is not None else [])
    arguments: dict[str, Any] = {
        "mounts": [docker.types.Mount(str(f), str(f), type="bind") for f in _outermost(folders)],
        "user": f"{os.getuid()}:{os.getgid()}",
        "read_only": True,
        "tmpfs": {"/tmp": "rw,nosuid,nodev,mode=1777,size=1g"},
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "environment": {key: value for key, value in os.environ.items() if key.startswith(("FLIGHTS_", "MLFLOW_"))},
    }
    if warehouse.path is None or urlsplit(settings.tracking_uri).scheme not in ("sqlite", ""):
        arguments["network_mode"] = "host"  # a server on this machine's loopback: PostgreSQL, the tracking server
    return arguments


def check_docker_images(images: StageImages, stages: tuple[str, ...] = STAGES) -> None:
    """Fail with one line, before anything runs, when no engine answers or a stage image is missing."""
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as error:
        raise PipelineError(
            f"no Docker engine answers ({str(error).splitlines()[0][:120]}): start one, or use --runner local"
        ) from None
    with contextlib.closing(client):
        missing = []
        for stage in stages:
            try:
                client.images.get(images.image(stage))
            except docker.errors.ImageNotFound:
                missing.append(images.image(stage))
    if missing:
        raise PipelineError(
            f"image(s) {', '.join(missing)} not found: run `make build IMAGE_TAG={images.tag}` or pass --image-tag"
        )


@contextlib.contextmanager
def _quiet_kfp_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        # SubprocessRunner warns that each stage names a container image; running them in this venv is the point.
        warnings.filterwarnings("ignore", message="You may be attemping to run a task", category=RuntimeWarning)
        # ...and that display names and resources only take effect on a cluster.
        warnings.filterwarnings("ignore", message=r"Task '.*': settings \[.*\] have no effect", category=UserWarning)
        yield


def _remove_run(pipeline_root: Path, created: list[Path]) -> None:
    """Remove what a failed or interrupted run added: its own run folder, and the folders it had to create."""
    shutil.rmtree(pipeline_root, ignore_errors=True)
    for made in created:  # deepest first; only folders this run made, and only if empty
        with contextlib.suppress(OSError):
            made.rmdir()


def run_once(
    pipeline: Any, arguments: dict[str, Any], settings: Settings, run_date: str, echo: str, runner: str = "local"
) -> dict[str, str]:
    """Run one pipeline function for one day on the local or docker runner; returns its outputs (stage reports).

    The caller has already run the preflight checks for ``run_date`` (and, for docker, ``check_docker_images``).
    A stage's one-line error comes back as a ``PipelineError`` naming the full log; an interrupted run leaves no
    run folder and no log.
    """
    artifact_root = Path(settings.artifact_root)
    day_root = artifact_root / "runs" / run_date
    created = [p for p in (day_root, day_root.parent, artifact_root) if not p.exists()]
    # Made here, by the caller, so that a container running as the caller can write into them. Each run gets a
    # folder of its own, so two runs of the same day at once never mistake (or remove) each other's.
    day_root.mkdir(parents=True, exist_ok=True)
    pipeline_root = Path(tempfile.mkdtemp(dir=day_root, prefix=time.strftime("%Y%m%dT%H%M%S-")))
    # As in the images: OpenMP threads sleep instead of spinning, so training degrades gently on a busy machine.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    log_file = tempfile.NamedTemporaryFile("w", prefix=f"flight-delay-{run_date}-", suffix=".log", delete=False)  # noqa: SIM115
    # kfp.local makes a workspace folder per init and never removes it: give it one that goes away.
    workspace = tempfile.TemporaryDirectory(prefix="kfp-workspace-")
    with (
        log_file,
        workspace,
        _alert_webhook(settings.alert_webhook_url),
        _project_python_first(),
        _quiet_kfp_warnings(),
    ):
        local.init(
            runner=(
                local.DockerRunner(**docker_run_arguments(settings))
                if runner == "docker"
                else local.SubprocessRunner(use_venv=False)
            ),
            pipeline_root=str(pipeline_root),
            workspace_root=workspace.name,
            raise_on_error=True,
        )
        try:
            with contextlib.redirect_stdout(_ProgressStream(log_file, echo)):
                pipeline(**arguments)  # the pipelines return nothing: an exit handler's tasks can't be outputs
        except KeyboardInterrupt:
            _remove_run(pipeline_root, created)
            Path(log_file.name).unlink(missing_ok=True)
            raise
        except RuntimeError as failure:
            log_file.flush()
            _remove_run(pipeline_root, created)
            message = stage_error(Path(log_file.name).read_text()) or str(failure).splitlines()[0]
            raise PipelineError(f"{message} (full log: {log_file.name})") from None
    Path(log_file.name).unlink(missing_ok=True)
    (run_folder,) = pipeline_root.iterdir()
    return stage_reports(run_folder)


def stage_reports(run_folder: Path) -> dict[str, str]:
    """Each stage's JSON report (``<stage>_report``), from the outputs ``kfp.local`` wrote in the run's folder."""
    import json

    reports = {}
    for stage in STAGES:
        output = run_folder / stage / "executor_output.json"
        if output.is_file():
            values = json.loads(output.read_text()).get("parameterValues", {})
            reports[f"{stage}_report"] = values.get("report", values.get("Output"))
    return reports


def link_report_as_html(report: Path) -> Path:
    """The evaluation report under a ``.html`` name beside KFP's extensionless artifact, so a browser renders it."""
    html = report.with_suffix(".html")
    if report.is_file() and not html.exists():
        os.link(report, html)
    return html
