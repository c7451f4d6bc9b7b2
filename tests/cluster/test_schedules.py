"""The daily recurring run: create, update an existing schedule by name, remove; against the real `kfp.Client`.

The KFP API server can't run on these machines (no Kubernetes backend), so this talks to a stand-in HTTP
server implementing the subset of the v2beta1 REST API the SDK uses.
"""

from pathlib import Path

import pytest

import cluster
from components.common.errors import PipelineError
from tests.cluster.conftest import EXPERIMENT, PIPELINE
from tests.support.kfp_standin import KfpStandIn, iter_requests

NAME = "flight-delay-daily"
CRON = "0 0 6 * * *"
ARGUMENTS = {"run_date": "", "replay_year": 2013}


def _schedule(session: cluster.KfpSession, ref: cluster.PipelineRef, **changes: object) -> cluster.ScheduleResult:
    settings: dict[str, object] = {"cron": CRON, "arguments": ARGUMENTS} | changes
    return cluster.schedule(session, NAME, ref.pipeline_id, EXPERIMENT, **settings)  # type: ignore[arg-type]


def test_schedule_creates_a_daily_recurring_run_on_the_latest_version(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef
) -> None:
    result = _schedule(session, ref)

    assert result.action == "created"
    [job] = standin.schedules_named(NAME)
    assert job["recurring_run_id"] == result.recurring_run_id
    assert job["trigger"] == {"cron_schedule": {"cron": "0 0 6 * * *"}}
    assert job["max_concurrency"] == "1"
    assert job["no_catchup"] is True
    assert job["mode"] == "ENABLE"
    assert job["pipeline_version_reference"] == {"pipeline_id": ref.pipeline_id}  # no version id: always the latest
    assert "pipeline_spec" not in job
    assert job["runtime_config"] == {"parameters": ARGUMENTS}
    assert standin.experiments[job["experiment_id"]]["display_name"] == EXPERIMENT
    [sent] = iter_requests(standin, "POST", "/apis/v2beta1/recurringruns")
    assert "pipeline_version_id" not in sent["pipeline_version_reference"]


def test_the_same_settings_again_leave_the_schedule_unchanged(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef
) -> None:
    created = _schedule(session, ref)
    again = _schedule(session, ref, cron="0  0 6 * * *")  # same cron, other spacing

    assert again == cluster.ScheduleResult(created.recurring_run_id, "unchanged")
    assert len(standin.schedules_named(NAME)) == 1
    assert len(list(iter_requests(standin, "POST", "/apis/v2beta1/recurringruns"))) == 1


@pytest.mark.parametrize(
    "change",
    [{"cron": "0 30 5 * * *"}, {"arguments": {"run_date": "", "replay_year": 2014}}],
    ids=["other-cron", "other-arguments"],
)
def test_update_an_existing_schedule_by_name(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef, change: dict[str, object]
) -> None:
    created = _schedule(session, ref)
    updated = _schedule(session, ref, **change)

    assert updated.action == "updated"
    assert updated.recurring_run_id != created.recurring_run_id
    [job] = standin.schedules_named(NAME)  # still exactly one with that name
    assert job["recurring_run_id"] == updated.recurring_run_id
    assert job["trigger"]["cron_schedule"]["cron"] == change.get("cron", CRON)
    assert job["runtime_config"]["parameters"] == change.get("arguments", ARGUMENTS)


def test_duplicates_left_by_hand_are_collapsed_into_one(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef
) -> None:
    experiment_id = cluster.ensure_experiment(session, EXPERIMENT)
    for _ in range(2):  # e.g. made in the UI, pinned to a version
        session.client.create_recurring_run(
            experiment_id=experiment_id,
            job_name=NAME,
            cron_expression=CRON,
            params=ARGUMENTS,
            pipeline_id=ref.pipeline_id,
            version_id=ref.version_id,
        )
    assert len(standin.schedules_named(NAME)) == 2

    assert _schedule(session, ref).action == "updated"
    [job] = standin.schedules_named(NAME)
    assert job["pipeline_version_reference"] == {"pipeline_id": ref.pipeline_id}


def test_a_schedule_with_another_name_is_left_alone(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef
) -> None:
    other = cluster.schedule(session, "someone-elses", ref.pipeline_id, EXPERIMENT, CRON, {})
    _schedule(session, ref, cron="0 0 7 * * *")
    _schedule(session, ref)
    assert [job["recurring_run_id"] for job in standin.schedules_named("someone-elses")] == [other.recurring_run_id]


def test_each_fired_run_uses_the_latest_uploaded_version(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef, package: Path
) -> None:
    result = _schedule(session, ref)
    newer = cluster.upload_pipeline_version(session, package, PIPELINE, "ba9876543210")

    run_id = standin.trigger_recurring_run(result.recurring_run_id)
    assert standin.runs[run_id]["pipeline_version_reference"]["pipeline_version_id"] == newer.version_id


def test_a_five_field_cron_is_refused_showing_the_six_field_form(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef
) -> None:
    with pytest.raises(PipelineError) as caught:
        _schedule(session, ref, cron="0 6 * * *")
    assert (
        str(caught.value)
        == "cron '0 6 * * *' has 5 fields but KFP recurring runs take 6, seconds first: use '0 0 6 * * *'"
    )
    assert not standin.recurring_runs
    assert not list(iter_requests(standin, "POST", "/apis/v2beta1/recurringruns"))


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        (
            "0 0 6 * *",
            "cron '0 0 6 * *' has 5 fields but KFP recurring runs take 6, seconds first: use '0 0 0 6 * *'",
        ),
        (
            "daily",
            "cron 'daily' has 1 fields: KFP recurring runs take six fields, seconds first: seconds minutes hours "
            "day-of-month month day-of-week, e.g. '0 0 6 * * *'",
        ),
        (
            "0 0 6 * * * 2026",
            "cron '0 0 6 * * * 2026' has 7 fields: KFP recurring runs take six fields, seconds first: seconds minutes "
            "hours day-of-month month day-of-week, e.g. '0 0 6 * * *'",
        ),
        (
            "0 0 6 * * $(id)",
            "cron '0 0 6 * * $(id)' has an invalid field '$(id)': KFP recurring runs take six fields, seconds first: "
            "seconds minutes hours day-of-month month day-of-week, e.g. '0 0 6 * * *'",
        ),
    ],
    ids=["five-fields", "one-field", "seven-fields", "bad-characters"],
)
def test_validate_cron_rejects(cron: str, expected: str) -> None:
    with pytest.raises(PipelineError) as caught:
        cluster.validate_cron(cron)
    assert str(caught.value) == expected


def test_the_stand_in_accepts_five_fields_like_the_real_server(
    session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef
) -> None:
    """Why the client checks: robfig/cron's default parser takes five fields too, read seconds-first."""
    experiment_id = cluster.ensure_experiment(session, EXPERIMENT)
    session.client.create_recurring_run(
        experiment_id=experiment_id,
        job_name="five",
        cron_expression="0 6 * * *",
        pipeline_id=ref.pipeline_id,
        version_id=ref.version_id,
    )
    assert len(standin.schedules_named("five")) == 1


def test_schedule_for_an_unknown_pipeline_is_refused(session: cluster.KfpSession, standin: KfpStandIn) -> None:
    with pytest.raises(PipelineError) as caught:
        cluster.schedule(session, NAME, "no-such-pipeline", EXPERIMENT, CRON, {})
    assert str(caught.value) == (
        f"KFP at {standin.host} refused to find pipeline no-such-pipeline (HTTP 404: pipeline no-such-pipeline not "
        "found): upload it first with `python pipeline.py submit`"
    )
    assert not standin.recurring_runs


def test_schedule_refuses_a_backend_older_than_2_17(package: Path) -> None:
    with KfpStandIn(tag_name="2.14.0") as standin:
        session = cluster.connect(standin.host)
        ref = cluster.upload_pipeline_version(session, package, PIPELINE, "0123456789ab")
        with pytest.raises(PipelineError) as caught:
            _schedule(session, ref)
        assert str(caught.value) == (
            "KFP backend 2.14.0 is older than 2.17.0 (the schedule-time placeholder and latest-version recurring "
            f"runs need it; SDK is {cluster.SDK_VERSION}): reinstall KFP with `make cluster-down cluster`"
        )
        assert not standin.recurring_runs


def test_unschedule_removes_it(session: cluster.KfpSession, standin: KfpStandIn, ref: cluster.PipelineRef) -> None:
    created = _schedule(session, ref)
    lines: list[str] = []

    assert cluster.unschedule(session, NAME, EXPERIMENT, progress=lines.append) is True
    assert lines == [f"removed recurring run {NAME} ({created.recurring_run_id})"]
    assert not standin.recurring_runs


@pytest.mark.parametrize("experiment_exists", [True, False], ids=["known-experiment", "unknown-experiment"])
def test_unschedule_an_unknown_name_is_not_an_error_and_says_so(
    session: cluster.KfpSession, standin: KfpStandIn, experiment_exists: bool
) -> None:
    if experiment_exists:
        cluster.ensure_experiment(session, EXPERIMENT)
    lines: list[str] = []

    assert cluster.unschedule(session, "no-such-schedule", EXPERIMENT, progress=lines.append) is False
    assert lines == [f"no recurring run named no-such-schedule in experiment {EXPERIMENT}: nothing to remove"]
    assert not list(iter_requests(standin, "DELETE", "/apis/v2beta1/recurringruns"))
