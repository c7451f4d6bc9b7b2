"""`pipeline.py submit | schedule | unschedule | doctor | backfill --runner kfp`, end to end against a KFP API.

The KFP API server can't run on these machines (no Kubernetes backend), so this talks to a stand-in HTTP
server implementing the subset of the v2beta1 REST API the SDK uses. Everything else is real: the real pipeline
compiled with the real KFP compiler and kfp-kubernetes, uploaded and started through the real `kfp.Client`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import pipeline
from components.common.deployment import STAGES
from tests.support.kfp_standin import KfpStandIn

TAG = "0123456789ab"


def _main(standin: KfpStandIn | str, *argv: str) -> int:
    host = standin if isinstance(standin, str) else standin.host
    return pipeline.main([argv[0], "--host", host, "--image-tag", TAG, *argv[1:]])


def _parameters(run: dict[str, Any]) -> dict[str, Any]:
    parameters: dict[str, Any] = run["runtime_config"]["parameters"]
    return parameters


def _only(items: dict[str, dict[str, Any]]) -> dict[str, Any]:
    assert len(items) == 1, items
    return next(iter(items.values()))


def test_submit_uploads_a_version_of_this_revision_and_starts_the_demo_day(
    standin: KfpStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main(standin, "submit") == 0

    run = _only(standin.runs)
    assert (
        capsys.readouterr().out.strip()
        == f"submitted daily for 2013-06-15: {standin.host}/#/runs/details/{run['run_id']}"
    )
    parameters = _parameters(run)
    assert parameters["run_date"] == "2013-06-15"
    assert "warehouse_url" not in parameters
    assert "artifact_root" not in parameters
    assert "code_version" not in parameters  # compiled in: the images' tag (below)
    assert _only(standin.pipelines)["name"] == "flight-delay-daily"
    version = _only(standin.versions)
    assert version["name"].startswith(f"{TAG}-")
    text = json.dumps(version["pipeline_spec"])
    assert f"flight-delay/train:{TAG}" in text
    assert "flights-warehouse" in text  # the platform spec came along: the Secret reaches the tasks
    assert "postgresql://" not in text


def test_the_same_revision_twice_reuses_its_version(standin: KfpStandIn) -> None:
    assert _main(standin, "submit", "--date", "2013-06-15") == 0
    assert _main(standin, "submit", "--date", "2013-06-16") == 0

    assert len(standin.versions) == 1
    assert sorted(_parameters(run)["run_date"] for run in standin.runs.values()) == ["2013-06-15", "2013-06-16"]


def test_today_is_replayed_onto_2013(standin: KfpStandIn) -> None:
    assert _main(standin, "submit", "--date", "today", "--replay-year", "2013") == 0

    today = dt.datetime.now(dt.UTC).date()
    expected = today.replace(year=2013, day=28 if (today.month, today.day) == (2, 29) else today.day)
    assert _parameters(_only(standin.runs))["run_date"] == expected.isoformat()


@pytest.mark.parametrize(("outcome", "code"), [("SUCCEEDED", 0), ("FAILED", 2)])
def test_submit_wait_exits_with_the_run(
    standin: KfpStandIn, capsys: pytest.CaptureFixture[str], outcome: str, code: int
) -> None:
    standin.outcome_for = lambda _run: outcome
    standin.polls_to_finish = 1

    assert _main(standin, "submit", "--wait", "--timeout", "30") == code

    run_id = _only(standin.runs)["run_id"]
    url = f"{standin.host}/#/runs/details/{run_id}"
    captured = capsys.readouterr()
    if code == 0:
        assert captured.out.splitlines()[-1] == f"run SUCCEEDED: {url}"
    else:
        assert captured.err.strip().splitlines()[-1] == (
            f"error: run {url} ended FAILED: open the link to see which task failed and its logs"
        )


def test_schedule_then_update_it_by_name(standin: KfpStandIn, capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(standin, "schedule", "--replay-year", "2013") == 0
    assert _main(standin, "schedule", "--replay-year", "2013", "--cron", "0 30 5 * * *") == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("recurring run 'flight-delay-daily' created: cron '0 0 6 * * *' (UTC)")
    assert out[1].startswith("recurring run 'flight-delay-daily' updated: cron '0 30 5 * * *' (UTC)")
    [job] = standin.schedules_named("flight-delay-daily")
    assert job["trigger"] == {"cron_schedule": {"cron": "0 30 5 * * *"}}
    assert job["max_concurrency"] == "1"
    assert job["no_catchup"] is True
    assert set(job["pipeline_version_reference"]) == {"pipeline_id"}  # always the latest version
    parameters = job["runtime_config"]["parameters"]
    assert parameters["run_date"] == ""
    assert parameters["replay_year"] == 2013


def _code_version_of(version: dict[str, Any]) -> Any:
    """The code_version a run of this version records when its parameters don't name one: the compiled default."""
    spec = version["pipeline_spec"]["pipeline_spec"]  # the pipeline spec beside its platform spec
    return spec["root"]["inputDefinitions"]["parameters"]["code_version"]["defaultValue"]


def test_a_scheduled_run_records_the_code_version_it_runs_not_the_one_of_the_day_it_was_scheduled(
    standin: KfpStandIn,
) -> None:
    """The recurring run starts the latest version; a later upload (new images) must show as the runs' code version."""
    assert _main(standin, "schedule") == 0
    assert pipeline.main(["submit", "--host", standin.host, "--image-tag", "fedcba987654"]) == 0

    [job] = standin.schedules_named("flight-delay-daily")
    assert "code_version" not in job["runtime_config"]["parameters"]
    run = standin.runs[standin.trigger_recurring_run(job["recurring_run_id"])]
    version = standin.versions[run["pipeline_version_reference"]["pipeline_version_id"]]
    assert "code_version" not in _parameters(run)
    assert _code_version_of(version) == "fedcba987654"
    assert {_code_version_of(v) for v in standin.versions.values()} == {TAG, "fedcba987654"}


def test_schedule_without_flags_takes_the_environments_config(
    standin: KfpStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make deploy ENV=dev` passes only --config: the schedule and the tracking server are configs/dev.yaml's."""
    assert _main(standin, "schedule", "--config", "configs/dev.yaml", "--replay-year", "2013") == 0

    assert capsys.readouterr().out.startswith("recurring run 'flight-delay-daily' created: cron '0 0 5 * * *' (UTC)")
    [job] = standin.schedules_named("flight-delay-daily")
    assert job["trigger"] == {"cron_schedule": {"cron": "0 0 5 * * *"}}
    parameters = job["runtime_config"]["parameters"]
    assert parameters["tracking_uri"] == "http://flights-mlflow.flights-dev.svc.cluster.local:5000"
    assert "warehouse_url" not in parameters  # the Secret's, on the cluster


def test_with_image_digests_the_uploaded_pipeline_names_every_stage_by_digest(
    standin: KfpStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the release deploys: IMAGE_DIGESTS (written after the push) pins each task's image to its digest."""
    digests = {stage: "sha256:" + f"{number:x}" * 64 for number, stage in enumerate(STAGES, start=1)}
    (tmp_path / "digests.txt").write_text("".join(f"{stage} {value[:71]}\n" for stage, value in digests.items()))
    monkeypatch.setenv("IMAGE_DIGESTS", str(tmp_path / "digests.txt"))
    assert _main(standin, "schedule", "--config", "configs/prod.yaml", "--image-repo", "ghcr.io/acme/fd") == 0

    [version] = standin.versions.values()
    executors = version["pipeline_spec"]["pipeline_spec"]["deploymentSpec"]["executors"]  # with its platform spec
    images = {executor["container"]["image"] for executor in executors.values()}
    assert images == {f"ghcr.io/acme/fd/{stage}:{TAG}@{digests[stage][:71]}" for stage in STAGES}


def test_a_five_field_cron_is_refused_before_anything_is_uploaded(
    standin: KfpStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main(standin, "schedule", "--cron", "0 6 * * *") == 2

    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: cron '0 6 * * *' has 5 fields"), line
    assert standin.pipelines == {}
    assert standin.recurring_runs == {}


def test_unschedule_removes_it_and_then_has_nothing_to_remove(
    standin: KfpStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main(standin, "schedule") == 0
    capsys.readouterr()
    assert pipeline.main(["unschedule", "--host", standin.host]) == 0
    assert pipeline.main(["unschedule", "--host", standin.host]) == 0

    assert capsys.readouterr().out.splitlines() == [
        "removed the recurring run 'flight-delay-daily'",
        "no recurring run named 'flight-delay-daily' in experiment 'flight-delay': nothing to remove",
    ]
    assert standin.recurring_runs == {}


def test_backfill_on_kfp_runs_one_day_at_a_time_in_order(standin: KfpStandIn) -> None:
    standin.outcome_for = lambda _run: "SUCCEEDED"
    standin.polls_to_finish = 1

    code = _main(standin, "backfill", "--runner", "kfp", "--start", "2013-06-14", "--end", "2013-06-16")

    assert code == 0
    runs = sorted(standin.runs.values(), key=lambda run: run["_order"])
    assert [_parameters(run)["run_date"] for run in runs] == ["2013-06-14", "2013-06-15", "2013-06-16"]
    assert standin.max_concurrent_runs() == 1
    assert len(standin.versions) == 1


def test_an_image_tag_that_is_no_revision_is_refused(standin: KfpStandIn, capsys: pytest.CaptureFixture[str]) -> None:
    assert pipeline.main(["submit", "--host", standin.host, "--image-tag", "latest"]) == 2

    assert capsys.readouterr().err.strip() == (
        "error: image tag 'latest' does not name a code revision (KFP's cache ignores image digests): "
        "build with `make build` and pass IMAGE_TAG=<git sha>"
    )
    assert standin.pipelines == {}
    assert standin.runs == {}


def test_unreachable_kfp_is_one_line(closed_port_host: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(closed_port_host, "submit") == 2

    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: KFP not reachable at {closed_port_host}"), line


def test_doctor_reports_version_skew_in_one_line(standin: KfpStandIn, capsys: pytest.CaptureFixture[str]) -> None:
    standin.tag_name = "2.14.0"

    assert pipeline.main(["doctor", "--host", standin.host, "--kind-cluster", "", "--image-tag", TAG]) == 1

    problems = capsys.readouterr().err.strip().splitlines()
    assert any(line.startswith("problem: ") and "2.14.0" in line and "2.17" in line for line in problems), problems
    assert all(line.startswith("problem: ") for line in problems)


def test_submit_warns_about_version_skew_and_still_submits(
    standin: KfpStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    standin.tag_name = "2.18.0"

    assert _main(standin, "submit") == 0

    err = capsys.readouterr().err
    assert "WARNING" in err
    assert "KFP SDK 2.17.3 and backend 2.18.0 differ in major.minor" in err
    assert len(standin.runs) == 1


def test_doctor_names_an_unreachable_tracking_server_in_one_line(
    standin: KfpStandIn, closed_port_host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["doctor", "--host", standin.host, "--kind-cluster", "", "--image-tag", TAG]
    assert pipeline.main([*argv, "--tracking-uri", closed_port_host]) == 1

    problems = capsys.readouterr().err.strip().splitlines()
    mlflow = [line for line in problems if "MLflow" in line]
    assert mlflow == [
        f"problem: MLflow tracking server not reachable at {closed_port_host} ([Errno 111] Connection refused): "
        "start `make ui` (it port-forwards svc/flights-mlflow to http://127.0.0.1:5000; `make warehouse` deploys the "
        "server) or pass --tracking-uri"
    ]


def test_scheduled_run_waits_for_the_recurring_runs_run_and_names_its_run_date(
    standin: KfpStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the kind e2e does with a one-minute cron: the run carrying the recurring run's id, its day, its end."""
    assert _main(standin, "schedule", "--name", "e2e", "--cron", "0 * * * * *", "--replay-year", "2013") == 0
    assert _main(standin, "submit") == 0  # a run in the same experiment that no schedule started
    [job] = standin.schedules_named("e2e")
    run_id = standin.trigger_recurring_run(job["recurring_run_id"])
    standin.outcome_for = lambda _run: "SUCCEEDED"
    standin.polls_to_finish = 1
    capsys.readouterr()

    assert pipeline.main(["scheduled-run", "--host", standin.host, "--name", "e2e", "--timeout", "30"]) == 0

    slot = standin.runs[run_id]["scheduled_at"]  # the stand-in's clock: 2026-01-01T00:00:NNZ
    url = f"{standin.host}/#/runs/details/{run_id}"
    assert capsys.readouterr().out.splitlines() == [
        f"recurring run 'e2e' started {url}: scheduled at {slot.replace('Z', '+00:00')}, run date 2013-01-01",
        f"run SUCCEEDED: {url}",
    ]


def test_scheduled_run_that_never_starts_is_one_line(standin: KfpStandIn, capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(standin, "schedule", "--name", "e2e", "--cron", "0 * * * * *") == 0
    capsys.readouterr()

    argv = ["scheduled-run", "--host", standin.host, "--name", "e2e", "--start-timeout", "0"]
    assert pipeline.main(argv) == 2

    [line] = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert line == (
        "error: recurring run e2e started no run within 0s (cron '0 * * * * *' UTC): "
        "check `kubectl -n kubeflow logs deploy/ml-pipeline-scheduledworkflow`"
    )
