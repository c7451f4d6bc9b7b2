"""Submitting a run and waiting for it, against the real `kfp.Client`.

The KFP API server can't run on these machines (no Kubernetes backend), so this talks to a stand-in HTTP
server implementing the subset of the v2beta1 REST API the SDK uses. Runs are finished by the test.
"""

import pytest

import cluster
from components.common.errors import PipelineError
from tests.cluster.conftest import EXPERIMENT
from tests.support.kfp_standin import KfpStandIn

TIMEOUT_S, POLL_S = 5.0, 0.01


def test_submit_starts_a_run_of_that_version_with_the_arguments(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef
) -> None:
    run_id = cluster.submit_run(session, ref, EXPERIMENT, "daily 2013-06-01", {"run_date": "2013-06-01"})

    run = standin.runs[run_id]
    assert run["display_name"] == "daily 2013-06-01"
    assert run["pipeline_version_reference"] == {"pipeline_id": ref.pipeline_id, "pipeline_version_id": ref.version_id}
    assert run["runtime_config"]["parameters"] == {"run_date": "2013-06-01"}
    assert standin.experiments[run["experiment_id"]]["display_name"] == EXPERIMENT
    assert cluster.run_url(session.host, run_id) == f"{standin.host}/#/runs/details/{run_id}"


def test_the_experiment_is_created_once(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef
) -> None:
    first = cluster.submit_run(session, ref, EXPERIMENT, "a", {})
    second = cluster.submit_run(session, ref, EXPERIMENT, "b", {})
    assert standin.runs[first]["experiment_id"] == standin.runs[second]["experiment_id"]
    assert sorted(e["display_name"] for e in standin.experiments.values()) == ["Default", EXPERIMENT]


def test_wait_returns_when_the_run_succeeds_and_reports_each_state(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef
) -> None:
    standin.outcome_for = lambda run: "SUCCEEDED"
    standin.polls_to_finish = 3
    run_id = cluster.submit_run(session, ref, EXPERIMENT, "daily", {})
    lines: list[str] = []

    assert (
        cluster.wait_for_run(session, run_id, progress=lines.append, timeout_s=TIMEOUT_S, poll_s=POLL_S) == "SUCCEEDED"
    )
    assert lines == [f"run {run_id}: RUNNING", f"run {run_id}: SUCCEEDED"]


@pytest.mark.parametrize("state", ["FAILED", "CANCELED"])
def test_wait_raises_one_line_with_the_link_when_the_run_does_not_succeed(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef, state: str
) -> None:
    run_id = cluster.submit_run(session, ref, EXPERIMENT, "daily", {})
    standin.finish_run(run_id, state, message="task train exited 1")

    with pytest.raises(PipelineError) as caught:
        cluster.wait_for_run(session, run_id, timeout_s=TIMEOUT_S, poll_s=POLL_S)
    assert str(caught.value) == (
        f"run {standin.host}/#/runs/details/{run_id} ended {state} (task train exited 1): open the link to see "
        "which task failed and its logs"
    )


def test_wait_gives_up_after_the_timeout_and_says_the_run_goes_on(
    session: cluster.KfpSession, ref: cluster.PipelineRef, standin: KfpStandIn
) -> None:
    run_id = cluster.submit_run(session, ref, EXPERIMENT, "daily", {})
    with pytest.raises(PipelineError) as caught:
        cluster.wait_for_run(session, run_id, timeout_s=0.2, poll_s=0.02)
    assert str(caught.value) == (
        f"run {standin.host}/#/runs/details/{run_id} still PENDING after 0.2s: it keeps running on the cluster; "
        "follow it in the UI or wait longer with --timeout"
    )


def test_wait_polls_through_a_brief_outage(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef
) -> None:
    standin.outcome_for = lambda run: "SUCCEEDED"
    run_id = cluster.submit_run(session, ref, EXPERIMENT, "daily", {})
    standin.unavailable_polls = 3
    assert cluster.wait_for_run(session, run_id, timeout_s=TIMEOUT_S, poll_s=POLL_S) == "SUCCEEDED"
    assert standin.unavailable_polls == 0


def test_wait_that_loses_the_server_for_good_says_so(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef
) -> None:
    run_id = cluster.submit_run(session, ref, EXPERIMENT, "daily", {})
    standin.unavailable_polls = 10_000
    with pytest.raises(PipelineError) as caught:
        cluster.wait_for_run(session, run_id, timeout_s=0.1, poll_s=0.02)
    assert str(caught.value) == (
        f"lost contact with KFP at {standin.host} while waiting for run {standin.host}/#/runs/details/{run_id}: "
        "start `kubectl -n kubeflow port-forward svc/ml-pipeline-ui 8080:80` or set KFP_HOST, then check the run "
        "in the UI"
    )


def test_wait_for_an_unknown_run_names_it(session: cluster.KfpSession, standin: KfpStandIn) -> None:
    with pytest.raises(PipelineError) as caught:
        cluster.wait_for_run(session, "no-such-run", timeout_s=TIMEOUT_S, poll_s=POLL_S)
    assert str(caught.value) == (
        f"KFP at {standin.host} refused to read run no-such-run (HTTP 404: run no-such-run not found): "
        "pass a run id from `python pipeline.py submit`"
    )


def test_submit_to_a_deleted_version_is_refused(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef
) -> None:
    del standin.versions[ref.version_id]
    with pytest.raises(PipelineError) as caught:
        cluster.submit_run(session, ref, EXPERIMENT, "daily", {})
    assert str(caught.value) == (
        f"KFP at {standin.host} refused to start run daily (HTTP 404: pipeline version {ref.version_id} of pipeline "
        f"{ref.pipeline_id} not found): check the KFP API server logs"
    )
    assert not standin.runs
