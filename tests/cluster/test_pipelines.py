"""Uploading the compiled pipeline: the pipeline once, a version per code revision, never a duplicate.

The KFP API server can't run on these machines (no Kubernetes backend), so this talks to a stand-in HTTP
server implementing the subset of the v2beta1 REST API the SDK uses.
"""

from pathlib import Path

import pytest

import cluster
from components.common.errors import PipelineError
from tests.cluster.conftest import PIPELINE
from tests.support.kfp_standin import KfpStandIn, iter_requests


def test_first_upload_creates_the_pipeline_then_the_version(
    session: cluster.KfpSession, standin: KfpStandIn, package: Path
) -> None:
    ref = cluster.upload_pipeline_version(session, package, PIPELINE, "0123456789ab")

    assert [p["display_name"] for p in standin.pipelines.values()] == [PIPELINE]
    assert ref.pipeline_id in standin.pipelines
    version = standin.versions[ref.version_id]
    # Exactly the code revision: no extra version named after the pipeline.
    assert [v["display_name"] for v in standin.versions.values()] == ["0123456789ab"]
    assert version["pipeline_id"] == ref.pipeline_id
    assert set(version["pipeline_spec"]) == {"pipeline_spec", "platform_spec"}  # the Secret wiring went up too


def test_uploading_the_same_version_again_reuses_it(
    session: cluster.KfpSession, standin: KfpStandIn, package: Path
) -> None:
    first = cluster.upload_pipeline_version(session, package, PIPELINE, "0123456789ab")
    again = cluster.upload_pipeline_version(session, package, PIPELINE, "0123456789ab")

    assert again == first
    assert len(standin.versions) == 1
    assert len(list(iter_requests(standin, "POST", "/apis/v2beta1/pipelines/upload_version"))) == 1


def test_a_new_revision_is_a_new_version_of_the_same_pipeline(
    session: cluster.KfpSession, standin: KfpStandIn, package: Path
) -> None:
    first = cluster.upload_pipeline_version(session, package, PIPELINE, "0123456789ab")
    second = cluster.upload_pipeline_version(session, package, PIPELINE, "ba9876543210")

    assert second.pipeline_id == first.pipeline_id
    assert second.version_id != first.version_id
    assert len(standin.pipelines) == 1
    assert sorted(v["display_name"] for v in standin.versions.values()) == ["0123456789ab", "ba9876543210"]


def test_a_missing_package_is_refused_before_any_request(
    session: cluster.KfpSession, standin: KfpStandIn, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.yaml"
    before = len(standin.requests)
    with pytest.raises(PipelineError) as caught:
        cluster.upload_pipeline_version(session, missing, PIPELINE, "0123456789ab")
    assert str(caught.value) == (
        f"pipeline package {missing} does not exist: compile it first (`python pipeline.py compile`)"
    )
    assert len(standin.requests) == before
    assert not standin.pipelines


def test_a_file_that_is_not_a_pipeline_is_refused_by_the_server(
    session: cluster.KfpSession, standin: KfpStandIn, tmp_path: Path
) -> None:
    not_a_pipeline = tmp_path / "values.yaml"
    not_a_pipeline.write_text("replicas: 2\n")
    with pytest.raises(PipelineError) as caught:
        cluster.upload_pipeline_version(session, not_a_pipeline, PIPELINE, "0123456789ab")
    assert str(caught.value) == (
        f"KFP at {standin.host} refused to upload version 0123456789ab of pipeline {PIPELINE} (HTTP 400: Failed to "
        "read a pipeline spec file: not a KFP pipeline spec): check that the package is a compiled KFP v2 pipeline "
        "(`python pipeline.py compile`)"
    )
    assert not standin.versions


def test_two_pipelines_with_the_name_are_an_error_naming_the_fix(
    session: cluster.KfpSession, standin: KfpStandIn, package: Path
) -> None:
    for _ in range(2):  # as two UI uploads in different namespaces would leave them
        standin.pipelines[f"id-{len(standin.pipelines)}"] = {
            "pipeline_id": f"id-{len(standin.pipelines)}",
            "name": PIPELINE,
            "display_name": PIPELINE,
            "_order": len(standin.pipelines),
        }
    with pytest.raises(PipelineError) as caught:
        cluster.upload_pipeline_version(session, package, PIPELINE, "0123456789ab")
    assert str(caught.value) == (
        f"2 KFP pipelines are named {PIPELINE}: delete the extra ones in the KFP UI (Pipelines)"
    )
