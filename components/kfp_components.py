"""The KFP lightweight components: one per stage, each a signature and one call of the stage's typed entry.

A component holds no logic: its body hands its arguments to :func:`components.common.stage.run_component`, which
builds the stage's ``Request`` (artifacts become their paths, settings groups their typed models), runs the stage
and returns its ``Report`` as JSON. ``python -m components.<stage>`` runs the same function, so what the container
tests run is what a cluster runs.

``base_image`` is a placeholder per stage; the pipeline builder sets the real ``{repo}/{stage}:{tag}`` with
``set_container_image``. The bodies import inside the function because KFP ships the function's source, not this
module, to the runner; ``dict(locals())`` comes first, while the locals are exactly the arguments. (No ``from
__future__ import annotations`` here: KFP reads the real annotation objects to type each input and output.)
"""

from typing import NamedTuple, Optional

from kfp import dsl
from kfp.dsl import HTML, Artifact, ClassificationMetrics, Dataset, Input, Markdown, Metrics, Model, Output

from components.common.deployment import STAGES, placeholder_image

__all__ = ["STAGES", "evaluate", "features", "finish_run", "ingest", "log_validation", "monitor", "predict", "promote",
           "start_run", "train", "validate"]  # fmt: skip


@dsl.component(base_image=placeholder_image("ingest"), install_kfp_package=False)
def start_run(
    run_date: str,
    scheduled_time: str,
    replay_year: int,
    tracking_uri: str,
    pipeline: str,
    code_version: str,
    images: str,
    kfp_run_id: str,
    window: dict,
    validate: dict,
    train: Optional[dict] = None,
    evaluate: Optional[dict] = None,
    promote: Optional[dict] = None,
) -> NamedTuple("RunStart", run_date=str, tracking_run_id=str):  # type: ignore[valid-type]
    """The day this run is for (run_date, else the recurring run's scheduled day), and its MLflow run, opened."""
    arguments = dict(locals())
    from components.common.run_tracking import start

    return start(arguments)


@dsl.component(base_image=placeholder_image("validate"), install_kfp_package=False)
def log_validation(
    run_date: str, tracking_uri: str, tracking_run_id: str, validate_report: str, quarantine: Input[Dataset]
) -> None:
    """The quarantine and the validation report onto the MLflow run (validate itself is cached)."""
    arguments = {**locals(), "quarantine": quarantine.path}
    from components.common.run_tracking import log_validation as log_it

    log_it(arguments)


@dsl.component(base_image=placeholder_image("ingest"), install_kfp_package=False)
def finish_run(tracking_uri: str, kfp_run_id: str, status: dsl.PipelineTaskFinalStatus) -> str:
    """The exit task: the MLflow run marked FINISHED or FAILED, as the pipeline run ended."""
    arguments = {"tracking_uri": tracking_uri, "kfp_run_id": kfp_run_id, "status": {"state": status.state}}
    from components.common.run_tracking import finish

    return finish(arguments)


@dsl.component(base_image=placeholder_image("ingest"), install_kfp_package=False)
def ingest(run_date: str, warehouse_url: str, window: dict, history: Output[Dataset], scoring: Output[Dataset]) -> str:
    """Flights of the training window (with outcomes) and of the run date (without), from SQL."""
    arguments = dict(locals())
    from components.common.stage import run_component

    return run_component("ingest", arguments)


@dsl.component(base_image=placeholder_image("validate"), install_kfp_package=False)
def validate(
    run_date: str,
    validate: dict,
    history: Input[Dataset],
    scoring: Input[Dataset],
    valid_history: Output[Dataset],
    valid_scoring: Output[Dataset],
    quarantine: Output[Dataset],
) -> str:
    """pandera, lazily; rows that break row rules go to quarantine with their reasons."""
    arguments = dict(locals())
    from components.common.stage import run_component

    return run_component("validate", arguments)


@dsl.component(base_image=placeholder_image("features"), install_kfp_package=False)
def features(
    run_date: str,
    window: dict,
    valid_history: Input[Dataset],
    valid_scoring: Input[Dataset],
    history_features: Output[Dataset],
    scoring_features: Output[Dataset],
) -> str:
    """Features known at the scoring time, the same code for training and scoring."""
    arguments = dict(locals())
    from components.common.stage import run_component

    return run_component("features", arguments)


@dsl.component(base_image=placeholder_image("train"), install_kfp_package=False)
def train(
    run_date: str,
    window: dict,
    train: dict,
    tracking_uri: str,
    tracking_run_id: str,
    code_version: str,
    image: str,
    history_features: Input[Dataset],
    model: Output[Model],
    refit: Output[Model],
) -> NamedTuple("TrainOutputs", model_version=str, report=str):  # type: ignore[valid-type]
    """Fit the challenger on the window before the holdout and register it (its version is an output of its own);
    refit the recipe on the whole window and save it for promote."""
    arguments = dict(locals())
    from components.common.stage import run_component

    return run_component("train", arguments, outputs=("model_version",))


@dsl.component(base_image=placeholder_image("evaluate"), install_kfp_package=False)
def evaluate(
    run_date: str,
    window: dict,
    evaluate: dict,
    tracking_uri: str,
    tracking_run_id: str,
    model_version: str,
    history_features: Input[Dataset],
    metrics: Output[Metrics],
    classification: Output[ClassificationMetrics],
    report: Output[HTML],
    card: Output[Markdown],
    evaluation: Output[Artifact],
    baseline: Output[Model],
) -> str:
    """Challenger vs champion vs baseline on the holdout: Metrics, ClassificationMetrics, a report, the model card."""
    arguments = dict(locals())
    from components.common.stage import run_component

    return run_component("evaluate", arguments)


@dsl.component(base_image=placeholder_image("promote"), install_kfp_package=False)
def promote(
    run_date: str,
    promote: dict,
    tracking_uri: str,
    tracking_run_id: str,
    model_version: str,
    evaluation: Input[Artifact],
    baseline: Input[Model],
    refit: Input[Model],
) -> str:
    """Apply the written policy; the registry's champion alias moves, or not at all; the decision is recorded."""
    arguments = dict(locals())
    from components.common.stage import run_component

    return run_component("promote", arguments)


@dsl.component(base_image=placeholder_image("predict"), install_kfp_package=False)
def predict(
    run_date: str,
    warehouse_url: str,
    tracking_uri: str,
    tracking_run_id: str,
    scoring_features: Input[Dataset],
    valid_scoring: Input[Dataset],
    predictions: Output[Dataset],
) -> str:
    """Score the run date with the champion; parquet plus the warehouse's predictions table."""
    arguments = dict(locals())
    from components.common.stage import run_component

    return run_component("predict", arguments)


@dsl.component(base_image=placeholder_image("monitor"), install_kfp_package=False)
def monitor(
    run_date: str,
    warehouse_url: str,
    tracking_uri: str,
    tracking_run_id: str,
    scoring_features: Input[Dataset],
    drift: Output[Dataset],
) -> str:
    """Drift against the training window; yesterday's predictions against yesterday's outcomes."""
    arguments = dict(locals())
    from components.common.stage import run_component

    return run_component("monitor", arguments)
