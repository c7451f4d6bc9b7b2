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

from typing import NamedTuple

from kfp import dsl
from kfp.dsl import HTML, ClassificationMetrics, Dataset, Input, Metrics, Model, Output

from components.common.deployment import STAGES, placeholder_image

__all__ = ["STAGES", "evaluate", "features", "ingest", "monitor", "predict", "promote", "run_date_of", "train",
           "validate"]  # fmt: skip


@dsl.component(base_image=placeholder_image("ingest"), install_kfp_package=False)
def run_date_of(run_date: str, scheduled_time: str, replay_year: int) -> str:
    """The day this run is for: the run_date parameter, else the recurring run's scheduled day (UTC)."""
    arguments = dict(locals())
    from components.common.stage import resolve_run_date_component

    return resolve_run_date_component(arguments)


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
    valid_history: Input[Dataset],
    valid_scoring: Input[Dataset],
    history_features: Output[Dataset],
    scoring_features: Output[Dataset],
) -> str:
    """Row-wise features, the same code for training and scoring."""
    arguments = dict(locals())
    from components.common.stage import run_component

    return run_component("features", arguments)


@dsl.component(base_image=placeholder_image("train"), install_kfp_package=False)
def train(
    run_date: str,
    window: dict,
    train: dict,
    artifact_root: str,
    code_version: str,
    image: str,
    history_features: Input[Dataset],
    model: Output[Model],
) -> NamedTuple("TrainOutputs", model_version=str, report=str):  # type: ignore[valid-type]
    """Fit the challenger on the window before the holdout and register it (its version is an output of its own)."""
    arguments = dict(locals())
    from components.common.stage import run_component

    return run_component("train", arguments, outputs=("model_version",))


@dsl.component(base_image=placeholder_image("evaluate"), install_kfp_package=False)
def evaluate(
    run_date: str,
    window: dict,
    evaluate: dict,
    artifact_root: str,
    model_version: str,
    history_features: Input[Dataset],
    metrics: Output[Metrics],
    classification: Output[ClassificationMetrics],
    report: Output[HTML],
) -> str:
    """Challenger vs champion vs baseline on the holdout: Metrics, ClassificationMetrics, an HTML report."""
    arguments = dict(locals())
    from components.common.stage import run_component

    return run_component("evaluate", arguments)


@dsl.component(base_image=placeholder_image("promote"), install_kfp_package=False)
def promote(run_date: str, promote: dict, artifact_root: str, model_version: str) -> str:
    """Apply the written policy; the champion pointer moves atomically, or not at all."""
    arguments = dict(locals())
    from components.common.stage import run_component

    return run_component("promote", arguments)


@dsl.component(base_image=placeholder_image("predict"), install_kfp_package=False)
def predict(
    run_date: str,
    warehouse_url: str,
    artifact_root: str,
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
    run_date: str, warehouse_url: str, artifact_root: str, scoring_features: Input[Dataset], drift: Output[Dataset]
) -> str:
    """Drift against the training window; yesterday's predictions against yesterday's outcomes."""
    arguments = dict(locals())
    from components.common.stage import run_component

    return run_component("monitor", arguments)
