"""Uploading the compiled pipeline: the pipeline once, then one version per code revision, never a duplicate."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from kfp_server_api.models import V2beta1Pipeline  # type: ignore[import-untyped]

from cluster._api import api_call, find_named
from cluster.session import KfpSession, quiet_sdk
from components.common.errors import PipelineError

PACKAGE_SUFFIXES = (".yaml", ".yml", ".zip", ".tar.gz", ".tgz")


@dataclass(frozen=True)
class PipelineRef:
    """A pipeline and one of its versions on the KFP server."""

    pipeline_id: str
    version_id: str


def find_pipeline_id(session: KfpSession, pipeline_name: str) -> str | None:
    """The id of the pipeline named `pipeline_name`, or None."""
    matches = find_named(
        session, f"list pipelines named {pipeline_name}", session.client.list_pipelines, "pipelines", pipeline_name
    )
    if len(matches) > 1:
        raise PipelineError(
            f"{len(matches)} KFP pipelines are named {pipeline_name}: delete the extra ones in the KFP UI (Pipelines)"
        )
    return str(matches[0].pipeline_id) if matches else None


def find_version_id(session: KfpSession, pipeline_id: str, version_name: str) -> str | None:
    """The id of the version named `version_name` of pipeline `pipeline_id`, or None."""
    found = find_named(
        session,
        f"list versions of pipeline {pipeline_id}",
        functools.partial(session.client.list_pipeline_versions, pipeline_id=pipeline_id),
        "pipeline_versions",
        version_name,
    )
    return str(found[0].pipeline_version_id) if found else None


def _check_package(package: Path) -> None:
    if not package.is_file():
        raise PipelineError(
            f"pipeline package {package} does not exist: compile it first (`python pipeline.py compile`)"
        )
    if not package.name.endswith(PACKAGE_SUFFIXES):
        raise PipelineError(
            f"pipeline package {package} is not {', '.join(PACKAGE_SUFFIXES)}: pass the compiled pipeline YAML"
        )


def upload_pipeline_version(session: KfpSession, package: Path, pipeline_name: str, version_name: str) -> PipelineRef:
    """Create the pipeline on first use, then the version `version_name`; an existing version is reused as is.

    The pipeline is created empty (not by `upload_pipeline`, which would add a version named after the
    pipeline), so its versions are exactly the code revisions that were submitted.
    """
    _check_package(package)
    pipeline_id = find_pipeline_id(session, pipeline_name)
    if pipeline_id is None:
        with api_call(f"create pipeline {pipeline_name}", session.host):
            created = session.client.pipelines.pipeline_service_create_pipeline(
                pipeline=V2beta1Pipeline(display_name=pipeline_name, name=pipeline_name)
            )
        pipeline_id = str(created.pipeline_id)
    version_id = find_version_id(session, pipeline_id, version_name)
    if version_id is None:
        with (
            api_call(
                f"upload version {version_name} of pipeline {pipeline_name}",
                session.host,
                fix="check that the package is a compiled KFP v2 pipeline (`python pipeline.py compile`)",
            ),
            quiet_sdk(),
        ):
            uploaded = session.client.upload_pipeline_version(
                pipeline_package_path=str(package), pipeline_version_name=version_name, pipeline_id=pipeline_id
            )
        version_id = str(uploaded.pipeline_version_id)
    return PipelineRef(pipeline_id=pipeline_id, version_id=version_id)
