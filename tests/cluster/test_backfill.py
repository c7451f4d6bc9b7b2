"""Backfill on the cluster: one run per day, in order, never two at once, stopping at the first failure.

The KFP API server can't run on these machines (no Kubernetes backend), so this talks to a stand-in HTTP
server implementing the subset of the v2beta1 REST API the SDK uses. The stand-in records when each run was
created and when it finished, and ends a run after it has been polled twice (`outcome_for`).
"""

import pytest

import cluster
from components.common.errors import PipelineError
from tests.cluster.conftest import EXPERIMENT
from tests.support.kfp_standin import KfpStandIn

DAYS = ["2013-06-01", "2013-06-02", "2013-06-03", "2013-06-04"]
TIMEOUT_S, POLL_S = 5.0, 0.01


def _arguments(day: str) -> dict[str, str]:
    return {"run_date": day}


def test_one_run_per_day_in_order_never_two_at_once(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef
) -> None:
    standin.outcome_for = lambda run: "SUCCEEDED"
    lines: list[str] = []

    run_ids = cluster.backfill(
        session, ref, EXPERIMENT, DAYS, _arguments, progress=lines.append, timeout_s=TIMEOUT_S, poll_s=POLL_S
    )

    assert [standin.runs[run_id]["runtime_config"]["parameters"]["run_date"] for run_id in run_ids] == DAYS
    assert [standin.runs[run_id]["display_name"] for run_id in run_ids] == [f"backfill {day}" for day in DAYS]
    assert standin.events == [(event, run_id) for run_id in run_ids for event in ("created", "finished")]
    assert standin.max_concurrent_runs() == 1
    assert f"2013-06-01: submitted {cluster.run_url(session.host, run_ids[0])}" in lines
    assert lines[-1] == "2013-06-04: SUCCEEDED"


def test_backfill_stops_at_the_first_failure_and_says_what_to_rerun(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef
) -> None:
    standin.outcome_for = lambda run: "FAILED" if run["display_name"].endswith("2013-06-03") else "SUCCEEDED"

    with pytest.raises(PipelineError) as caught:
        cluster.backfill(session, ref, EXPERIMENT, DAYS, _arguments, timeout_s=TIMEOUT_S, poll_s=POLL_S)

    failed = next(run_id for run_id, run in standin.runs.items() if run["display_name"] == "backfill 2013-06-03")
    assert str(caught.value) == (
        f"backfill stopped at 2013-06-03: run {standin.host}/#/runs/details/{failed} ended FAILED: open the link to "
        "see which task failed and its logs (2013-06-01..2013-06-02 succeeded; fix it, then rerun "
        "`make backfill RUNNER=kfp START=2013-06-03 END=2013-06-04`)"
    )
    submitted = sorted(run["display_name"] for run in standin.runs.values())
    assert submitted == ["backfill 2013-06-01", "backfill 2013-06-02", "backfill 2013-06-03"]  # 06-04 never


def test_a_day_that_outlives_the_timeout_stops_the_backfill(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef
) -> None:
    with pytest.raises(PipelineError) as caught:
        cluster.backfill(session, ref, EXPERIMENT, DAYS[:2], _arguments, timeout_s=0.1, poll_s=0.02)

    [run_id] = standin.runs
    assert str(caught.value) == (
        f"backfill stopped at 2013-06-01: run {standin.host}/#/runs/details/{run_id} still PENDING after 0.1s: it "
        "keeps running on the cluster; follow it in the UI or wait longer with --timeout (fix it, then rerun "
        "`make backfill RUNNER=kfp START=2013-06-01 END=2013-06-02`)"
    )


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ([], "no days to backfill: START must be on or before END"),
        (
            ["2013-06-02", "2013-06-01"],
            "backfill days must be strictly increasing: pass --start before --end, each day once",
        ),
        (
            ["2013-06-01", "2013-06-01"],
            "backfill days must be strictly increasing: pass --start before --end, each day once",
        ),
        (
            ["2013-13-01"],
            "backfill days must be YYYY-MM-DD (month must be in 1..12): pass --start/--end as YYYY-MM-DD",
        ),
    ],
    ids=["empty", "backwards", "repeated", "not-a-date"],
)
def test_bad_days_are_refused_before_any_run(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef, days: list[str], expected: str
) -> None:
    with pytest.raises(PipelineError) as caught:
        cluster.backfill(session, ref, EXPERIMENT, days, _arguments, timeout_s=TIMEOUT_S, poll_s=POLL_S)
    assert str(caught.value) == expected
    assert not standin.runs
