"""The compiled pipelines, loaded back from YAML: DAG, per-stage images, caching and retry policy, and what a
cluster needs: the Secret wiring, the tracking server's address (and no volume), resources, the schedule-time
parameter, and the tracked run: opened by the first task, closed by the exit handler's task."""

from pathlib import Path
from typing import Any

import pytest
import yaml

import pipeline
from components.common.config import load_settings
from components.common.deployment import CLUSTER_TRACKING_URI, STAGES

# Every stage also waits for "start-run", the first task, which decides the day and opens the MLflow run.
DAILY_DAG = {
    "ingest": set(),
    "validate": {"ingest"},
    "features": {"validate"},
    "train": {"features"},
    "evaluate": {"features", "train"},
    "promote": {"evaluate", "train"},
    "predict": {"features", "validate", "promote"},
    "monitor": {"features", "predict"},
    "log-validation": {"validate"},
}
# The same head (ingest, validate, features) and tail (predict, monitor), from the same components.
INFERENCE_DAG = {
    "ingest": set(),
    "validate": {"ingest"},
    "features": {"validate"},
    "predict": {"features", "validate"},
    "monitor": {"features", "predict"},
    "log-validation": {"validate"},
}
RUN_DATE_TASK = "start-run"
EXIT_TASK = "finish-run"
# The tasks that are not stages, and the stage image each runs in.
TRACKING_TASKS = {RUN_DATE_TASK: "ingest", "log-validation": "validate", EXIT_TASK: "ingest"}
WAREHOUSE_TASKS = {"ingest", "predict", "monitor"}
CACHED = {"validate", "features"}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("compiled")
    assert (
        pipeline.main(["compile", "--output", str(output), "--image-repo", "registry.test/fd", "--image-tag", "abc123"])
        == 0
    )
    # The first YAML document is the pipeline spec; the second, kfp-kubernetes' platform config (test_*_secret, ...).
    return {name: next(yaml.safe_load_all((output / f"{name}.yaml").read_text())) for name in pipeline.PIPELINES}


def _tasks(spec: dict[str, Any]) -> dict[str, Any]:
    """Every task: those inside the exit handler's group, and the exit task beside it."""
    root = spec["root"]["dag"]["tasks"]
    [group] = [name for name in root if name.startswith("exit-handler")]
    inner: dict[str, Any] = spec["components"][root[group]["componentRef"]["name"]]["dag"]["tasks"]
    return {**inner, EXIT_TASK: root[EXIT_TASK]}


def _image(spec: dict[str, Any], task: dict[str, Any]) -> str:
    component = spec["components"][task["componentRef"]["name"]]
    image: str = spec["deploymentSpec"]["executors"][component["executorLabel"]]["container"]["image"]
    return image


@pytest.mark.parametrize(("name", "dag"), [("daily", DAILY_DAG), ("inference", INFERENCE_DAG)])
def test_dag_has_the_stages_in_order(compiled: dict[str, Any], name: str, dag: dict[str, set[str]]) -> None:
    tasks = _tasks(compiled[name])
    expected = {task: after | {RUN_DATE_TASK} for task, after in dag.items()} | {RUN_DATE_TASK: set()}
    expected[EXIT_TASK] = {"exit-handler-1"}
    assert {task: set(spec.get("dependentTasks", [])) for task, spec in tasks.items()} == expected


@pytest.mark.parametrize("name", pipeline.PIPELINES)
def test_the_exit_task_closes_the_mlflow_run_whatever_happened(compiled: dict[str, Any], name: str) -> None:
    """The exit task runs after every other task, failed or not, with their final status; it finds the MLflow run by
    the KFP run's id, as the first task tagged it (an exit task may depend on no other task's output)."""
    tasks = _tasks(compiled[name])
    exit_task = tasks[EXIT_TASK]
    assert exit_task["triggerPolicy"]["strategy"] == "ALL_UPSTREAM_TASKS_COMPLETED"
    inputs = exit_task["inputs"]["parameters"]
    assert inputs["status"] == {"taskFinalStatus": {"producerTask": "exit-handler-1"}}
    job_id = {"runtimeValue": {"constant": "{{$.pipeline_job_uuid}}"}}
    assert inputs["kfp_run_id"] == tasks[RUN_DATE_TASK]["inputs"]["parameters"]["kfp_run_id"] == job_id
    assert inputs["tracking_uri"] == {"componentInputParameter": "tracking_uri"}


@pytest.mark.parametrize("name", pipeline.PIPELINES)
def test_every_task_runs_its_own_stage_image(compiled: dict[str, Any], name: str) -> None:
    spec = compiled[name]
    for task_name, task in _tasks(spec).items():
        stage = TRACKING_TASKS.get(task_name, task_name)
        assert stage in STAGES
        assert _image(spec, task) == f"registry.test/fd/{stage}:abc123"
        assert task["taskInfo"]["name"], "every task has a display name"


def test_daily_uses_eight_distinct_images(compiled: dict[str, Any]) -> None:
    spec = compiled["daily"]
    images = {_image(spec, task) for task in _tasks(spec).values()}
    assert images == {f"registry.test/fd/{stage}:abc123" for stage in STAGES}


@pytest.mark.parametrize("name", pipeline.PIPELINES)
def test_caching_and_retry_policy(compiled: dict[str, Any], name: str) -> None:
    for task_name, task in _tasks(compiled[name]).items():
        assert task["cachingOptions"].get("enableCache", False) is (task_name in CACHED), task_name
        # One more attempt for a lost pod; the window (Argo's maxDuration) counts from the first attempt.
        assert task["retryPolicy"] == {
            "maxRetryCount": 1, "backoffDuration": "30s", "backoffFactor": 2.0, "backoffMaxDuration": "3600s"
        }, task_name  # fmt: skip


def test_local_runs_get_no_retry_policy() -> None:
    """kfp.local honours a retry policy; transient errors are retried inside the stages, so a permanent one must
    fail on the first attempt there."""
    for name in pipeline.PIPELINES:
        spec = pipeline.build_pipeline(name, pipeline.StageImages("r", "t"), on_cluster=False).pipeline_spec
        assert all(not task.HasField("retry_policy") for task in spec.root.dag.tasks.values()), name


# A settings group per parameter, not one parameter per field.
DAILY_PARAMETERS = {"run_date", "replay_year", "code_version", "warehouse_url", "tracking_uri",
                    "window", "validate", "train", "evaluate", "promote"}  # fmt: skip
INFERENCE_PARAMETERS = {
    "run_date",
    "replay_year",
    "code_version",
    "warehouse_url",
    "tracking_uri",
    "window",
    "validate",
}


def test_parameters_are_one_value_per_settings_group(compiled: dict[str, Any]) -> None:
    daily = compiled["daily"]["root"]["inputDefinitions"]["parameters"]
    assert set(daily) == DAILY_PARAMETERS
    assert set(compiled["inference"]["root"]["inputDefinitions"]["parameters"]) == INFERENCE_PARAMETERS
    # A recurring run passes none of these: the scheduled day, the Secret's URL, the tracking server's address.
    assert daily["run_date"]["defaultValue"] == ""
    assert daily["warehouse_url"]["defaultValue"] == ""
    assert daily["tracking_uri"]["defaultValue"] == ""
    assert daily["replay_year"]["defaultValue"] == 0
    # ...nor the code version: each uploaded version records its own images' tag.
    assert daily["code_version"]["defaultValue"] == "abc123"
    assert compiled["inference"]["root"]["inputDefinitions"]["parameters"]["code_version"]["defaultValue"] == "abc123"
    assert daily["train"]["parameterType"] == "STRUCT"


def test_compiled_defaults_are_the_config_files(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("window:\n  window_days: 120\n  holdout_days: 10\ntrain:\n  max_iter: 77\n")
    assert pipeline.main(["compile", "--config", str(config), "--output", str(tmp_path / "out")]) == 0
    spec = next(yaml.safe_load_all((tmp_path / "out" / "daily.yaml").read_text()))
    parameters = spec["root"]["inputDefinitions"]["parameters"]
    expected = load_settings(config).stage_groups()
    window = {"window_days": 120, "holdout_days": 10, "scoring_time": "06:00", "rate_days": 28}
    assert parameters["window"]["defaultValue"] == window == expected["window"]
    assert parameters["train"]["defaultValue"]["max_iter"] == 77
    for group in ("validate", "train", "evaluate", "promote"):
        assert parameters[group]["defaultValue"] == pytest.approx(expected[group]), group


def test_compile_prints_the_files_it_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert pipeline.main(["compile", "--output", str(tmp_path)]) == 0
    assert capsys.readouterr().out.split() == [str(tmp_path / "daily.yaml"), str(tmp_path / "inference.yaml")]
    assert "flight-delay/train:dev" in (tmp_path / "daily.yaml").read_text()


def _platform(spec_text: str) -> dict[str, Any]:
    """The kubernetes platform config of each executor (the second YAML document kfp-kubernetes adds)."""
    documents = list(yaml.safe_load_all(spec_text))
    assert len(documents) == 2, "the compiled file has the pipeline spec and the platform spec"
    executors: dict[str, Any] = documents[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    return executors


@pytest.fixture(scope="module")
def compiled_text(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    output = tmp_path_factory.mktemp("compiled-text")
    assert pipeline.main(["compile", "--output", str(output), "--image-tag", "0123456789ab"]) == 0
    return {name: (output / f"{name}.yaml").read_text() for name in pipeline.PIPELINES}


def _executor_of(spec: dict[str, Any], task_name: str) -> str:
    label: str = spec["components"][_tasks(spec)[task_name]["componentRef"]["name"]]["executorLabel"]
    return label


@pytest.mark.parametrize("name", pipeline.PIPELINES)
def test_warehouse_url_reaches_exactly_the_warehouse_tasks_from_the_secret(
    compiled_text: dict[str, str], name: str
) -> None:
    spec = next(yaml.safe_load_all(compiled_text[name]))
    platform = _platform(compiled_text[name])
    for task_name in _tasks(spec):
        config = platform.get(_executor_of(spec, task_name), {})
        secrets = [s for s in config.get("secretAsEnv", []) if s["secretName"] != "flights-alerts"]
        if task_name in WAREHOUSE_TASKS:
            assert len(secrets) == 1, task_name
            assert secrets[0]["secretName"] == "flights-warehouse"
            assert secrets[0]["keyToEnv"] == [{"secretKey": "url", "envVar": "FLIGHTS_WAREHOUSE_URL"}]
        else:
            assert secrets == [], f"{task_name} has no business with the warehouse"


@pytest.mark.parametrize("name", pipeline.PIPELINES)
def test_only_the_exit_task_reads_the_alert_webhook_from_its_optional_secret(
    compiled_text: dict[str, str], name: str
) -> None:
    """The webhook's URL is a credential: an optional Secret's key as $FLIGHTS_ALERT_WEBHOOK_URL of the exit task
    (no Secret, no alert, the run unchanged), never a parameter, which the KFP UI would show."""
    spec = next(yaml.safe_load_all(compiled_text[name]))
    platform = _platform(compiled_text[name])
    for task_name in _tasks(spec):
        secrets = platform.get(_executor_of(spec, task_name), {}).get("secretAsEnv", [])
        alerts = [s for s in secrets if s["secretName"] == "flights-alerts"]
        if task_name == EXIT_TASK:
            [secret] = alerts
            assert secret["keyToEnv"] == [{"secretKey": "webhook-url", "envVar": "FLIGHTS_ALERT_WEBHOOK_URL"}]
            assert secret["optional"] is True
        else:
            assert alerts == [], f"{task_name} has no business with the alerts"
    assert set(_tasks(spec)[EXIT_TASK]["inputs"]["parameters"]) == {"status", "kfp_run_id", "tracking_uri"}
    assert not [p for p in spec["root"]["inputDefinitions"]["parameters"] if "alert" in p or "webhook" in p]


def test_a_configured_webhook_never_reaches_the_compiled_yaml(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text('alert_webhook_url: "https://hooks.example.com/services/T0/B0/secret-token"\n')
    assert pipeline.main(["compile", "--config", str(config), "--output", str(tmp_path / "out")]) == 0
    for name in pipeline.PIPELINES:
        text = (tmp_path / "out" / f"{name}.yaml").read_text()
        assert "hooks.example.com" not in text, name
        assert "secret-token" not in text, name


@pytest.mark.parametrize("name", pipeline.PIPELINES)
def test_no_warehouse_address_or_credential_in_the_compiled_yaml(compiled_text: dict[str, str], name: str) -> None:
    text = compiled_text[name]
    for leak in ("postgresql://", "postgres://", "duckdb://", "password"):
        assert leak not in text, leak


@pytest.mark.parametrize("name", pipeline.PIPELINES)
def test_every_task_reaches_the_tracking_server_and_none_mounts_a_volume(
    compiled_text: dict[str, str], name: str
) -> None:
    """The registry is MLflow's, over HTTP: no ReadWriteMany volume, no shared files between tasks."""
    spec = next(yaml.safe_load_all(compiled_text[name]))
    platform = _platform(compiled_text[name])
    for task_name in _tasks(spec):
        executor = _executor_of(spec, task_name)
        assert "pvcMount" not in platform.get(executor, {}), task_name
        env = spec["deploymentSpec"]["executors"][executor]["container"]["env"]
        assert {"name": "MLFLOW_TRACKING_URI", "value": CLUSTER_TRACKING_URI} in env, task_name


@pytest.mark.parametrize("name", pipeline.PIPELINES)
def test_every_stage_has_requests_and_limits(compiled_text: dict[str, str], name: str) -> None:
    spec = next(yaml.safe_load_all(compiled_text[name]))
    for task_name in _tasks(spec):
        resources = spec["deploymentSpec"]["executors"][_executor_of(spec, task_name)]["container"]["resources"]
        assert {"cpuRequest", "cpuLimit", "memoryRequest", "memoryLimit"} <= set(resources), task_name
        assert resources["memoryRequest"] <= resources["memoryLimit"], task_name


@pytest.mark.parametrize("name", pipeline.PIPELINES)
def test_images_carry_the_sha_tag(compiled_text: dict[str, str], name: str) -> None:
    spec = next(yaml.safe_load_all(compiled_text[name]))
    images = {e["container"]["image"] for e in spec["deploymentSpec"]["executors"].values()}
    assert all(image.endswith(":0123456789ab") for image in images), images
    assert not any(":latest" in image for image in images)


@pytest.mark.parametrize("name", pipeline.PIPELINES)
def test_run_date_comes_from_the_schedule_time_when_not_given(compiled: dict[str, Any], name: str) -> None:
    spec = compiled[name]
    tasks = _tasks(spec)
    inputs = tasks[RUN_DATE_TASK]["inputs"]["parameters"]
    assert inputs["scheduled_time"]["runtimeValue"]["constant"] == "{{$.pipeline_job_schedule_time_utc}}"
    # Inside the exit handler's group, the pipeline's parameters arrive as the group's inputs of the same name.
    assert inputs["run_date"]["componentInputParameter"] == "pipelinechannel--run_date"
    assert inputs["replay_year"]["componentInputParameter"] == "pipelinechannel--replay_year"
    assert tasks[RUN_DATE_TASK]["cachingOptions"].get("enableCache", False) is False
    # ...and every stage takes the day, and the MLflow run to log into, from that task, never the raw parameter.
    for task_name, task in tasks.items():
        if task_name in (RUN_DATE_TASK, EXIT_TASK):
            continue
        parameters = task["inputs"]["parameters"]
        assert parameters["run_date"]["taskOutputParameter"] == {
            "producerTask": RUN_DATE_TASK,
            "outputParameterKey": "run_date",
        }, task_name
        if "tracking_run_id" in parameters:
            assert parameters["tracking_run_id"]["taskOutputParameter"]["producerTask"] == RUN_DATE_TASK


def _millicpus(quantity: Any) -> float:
    text = str(quantity)
    return float(text[:-1]) if text.endswith("m") else float(text) * 1000


# A 2-CPU kind node: Kubernetes' own pods request 950m, KFP 2.17's 674m, the kind overlay's PostgreSQL and MLflow
# server 200m (tests/k8s), so a task pod must fit in the 176m left.
KIND_NODE_ROOM_M = 2000 - 950 - 674 - 200


@pytest.mark.parametrize("name", pipeline.PIPELINES)
def test_every_task_fits_on_a_two_cpu_kind_node(compiled_text: dict[str, str], name: str) -> None:
    spec = next(yaml.safe_load_all(compiled_text[name]))
    for task_name in _tasks(spec):
        resources = spec["deploymentSpec"]["executors"][_executor_of(spec, task_name)]["container"]["resources"]
        assert _millicpus(resources["cpuRequest"]) <= KIND_NODE_ROOM_M, task_name


OPENMP_THREADS = {"train": "2", "evaluate": "2", "predict": "1"}


@pytest.mark.parametrize("name", pipeline.PIPELINES)
def test_openmp_gets_as_many_threads_as_the_cpu_limit(compiled_text: dict[str, str], name: str) -> None:
    """HistGradientBoosting's OpenMP threads would otherwise be one per core of the node."""
    spec = next(yaml.safe_load_all(compiled_text[name]))
    for task_name in _tasks(spec):
        container = spec["deploymentSpec"]["executors"][_executor_of(spec, task_name)]["container"]
        threads = {e["value"] for e in container.get("env", []) if e["name"] == "OMP_NUM_THREADS"}
        assert threads == ({OPENMP_THREADS[task_name]} if task_name in OPENMP_THREADS else set()), task_name
        if task_name in OPENMP_THREADS:
            assert _millicpus(container["resources"]["cpuLimit"]) == 1000 * int(OPENMP_THREADS[task_name])


def test_local_runs_leave_openmp_alone() -> None:
    spec = pipeline.build_pipeline("daily", pipeline.StageImages("r", "t"), on_cluster=False).pipeline_spec
    for executor in spec.deployment_spec.fields["executors"].struct_value.fields.values():
        env = executor.struct_value.fields["container"].struct_value.fields.get("env")
        names = {item.struct_value.fields["name"].string_value for item in env.list_value.values} if env else set()
        assert "OMP_NUM_THREADS" not in names


@pytest.mark.parametrize(("limit", "threads"), [("2", 2), ("1.5", 1), ("500m", 1), ("4000m", 4)])
def test_openmp_threads_are_the_whole_cpus_of_the_limit(limit: str, threads: int) -> None:
    assert pipeline.openmp_threads(limit) == threads
