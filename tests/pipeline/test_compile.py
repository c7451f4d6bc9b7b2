"""The compiled pipelines, loaded back from YAML: DAG, per-stage images, caching and retry policy."""

from pathlib import Path
from typing import Any

import pytest
import yaml

import pipeline
from components.kfp_components import STAGES

DAILY_DAG = {
    "ingest": set(),
    "validate": {"ingest"},
    "features": {"validate"},
    "train": {"features"},
    "evaluate": {"features", "train"},
    "promote": {"evaluate", "train"},
    "predict": {"features", "validate", "promote"},
    "monitor": {"features", "predict"},
}
INFERENCE_DAG = {
    "ingest-scoring": set(),
    "validate-scoring": {"ingest-scoring"},
    "features-scoring": {"validate-scoring"},
    "predict": {"features-scoring", "validate-scoring"},
    "monitor": {"features-scoring", "predict"},
}
CACHED = {"validate", "features", "validate-scoring", "features-scoring"}
RETRIED = {"ingest", "ingest-scoring", "predict", "monitor"}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("compiled")
    assert (
        pipeline.main(["compile", "--output", str(output), "--image-repo", "registry.test/fd", "--image-tag", "abc123"])
        == 0
    )
    return {name: yaml.safe_load((output / f"{name}.yaml").read_text()) for name in pipeline.PIPELINES}


def _tasks(spec: dict[str, Any]) -> dict[str, Any]:
    tasks: dict[str, Any] = spec["root"]["dag"]["tasks"]
    return tasks


def _image(spec: dict[str, Any], task: dict[str, Any]) -> str:
    component = spec["components"][task["componentRef"]["name"]]
    image: str = spec["deploymentSpec"]["executors"][component["executorLabel"]]["container"]["image"]
    return image


@pytest.mark.parametrize(("name", "dag"), [("daily", DAILY_DAG), ("inference", INFERENCE_DAG)])
def test_dag_has_the_stages_in_order(compiled: dict[str, Any], name: str, dag: dict[str, set[str]]) -> None:
    tasks = _tasks(compiled[name])
    assert {task: set(spec.get("dependentTasks", [])) for task, spec in tasks.items()} == dag


@pytest.mark.parametrize("name", pipeline.PIPELINES)
def test_every_task_runs_its_own_stage_image(compiled: dict[str, Any], name: str) -> None:
    spec = compiled[name]
    for task_name, task in _tasks(spec).items():
        stage = task_name.removesuffix("-scoring")
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
        if task_name in RETRIED:
            assert task["retryPolicy"]["maxRetryCount"] == 3
            assert task["retryPolicy"]["backoffDuration"] == "30s"
        else:
            assert "retryPolicy" not in task, task_name


def test_daily_parameters_default_to_the_typed_settings(compiled: dict[str, Any]) -> None:
    parameters = compiled["daily"]["root"]["inputDefinitions"]["parameters"]
    assert {"run_date", "warehouse_url", "artifact_root"} <= {
        n for n, p in parameters.items() if not p.get("isOptional")
    }
    assert parameters["window_days"]["defaultValue"] == pipeline.DEFAULTS.window.window_days
    assert parameters["min_roc_auc"]["defaultValue"] == pipeline.DEFAULTS.promote.min_roc_auc


def test_compile_prints_the_files_it_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert pipeline.main(["compile", "--output", str(tmp_path)]) == 0
    assert capsys.readouterr().out.split() == [str(tmp_path / "daily.yaml"), str(tmp_path / "inference.yaml")]
    assert "flight-delay/train:dev" in (tmp_path / "daily.yaml").read_text()
