"""The KFP lightweight components: one per stage, each only imports its shell and calls it.

``base_image`` is a placeholder per stage; the pipeline builder sets the real ``{repo}/{stage}:{tag}``
with ``set_container_image``. The bodies import inside the function because KFP ships the function's
source, not this module, to the runner. (No ``from __future__ import annotations`` here: KFP reads the
real annotation objects to type each input and output.)
"""

from typing import NamedTuple

from kfp import dsl
from kfp.dsl import HTML, ClassificationMetrics, Dataset, Input, Metrics, Model, Output

STAGES = ("ingest", "validate", "features", "train", "evaluate", "promote", "predict", "monitor")


def placeholder_image(stage: str) -> str:
    """The image a component names before the pipeline builder sets the configured one."""
    return f"flight-delay/{stage}:dev"


@dsl.component(base_image=placeholder_image("ingest"), install_kfp_package=False)
def run_date_of(run_date: str, scheduled_time: str, replay_year: int) -> str:
    """The day this run is for: the run_date parameter, else the recurring run's scheduled day (UTC)."""
    import json

    from components.common.entrypoint import run_stage
    from components.ingest.core import resolve_run_date

    report = run_stage(
        "run-date", run_date or "-", lambda: {"run_date": resolve_run_date(run_date, scheduled_time, replay_year)}
    )
    return str(json.loads(report)["run_date"])


@dsl.component(base_image=placeholder_image("ingest"), install_kfp_package=False)
def ingest(
    warehouse_url: str, run_date: str, window_days: int, history: Output[Dataset], scoring: Output[Dataset]
) -> str:
    """Flights of the training window (with outcomes) and of the run date (without), from SQL."""
    from pathlib import Path

    from components.common.entrypoint import run_stage
    from components.ingest.shell import run

    return run_stage(
        "ingest", run_date, lambda: run(warehouse_url, run_date, window_days, Path(history.path), Path(scoring.path))
    )


@dsl.component(base_image=placeholder_image("ingest"), install_kfp_package=False)
def ingest_scoring(warehouse_url: str, run_date: str, window_days: int, scoring: Output[Dataset]) -> str:
    """Flights of the run date only (the inference pipeline)."""
    from pathlib import Path

    from components.common.entrypoint import run_stage
    from components.ingest.shell import run

    return run_stage("ingest", run_date, lambda: run(warehouse_url, run_date, window_days, None, Path(scoring.path)))


@dsl.component(base_image=placeholder_image("validate"), install_kfp_package=False)
def validate(
    run_date: str,
    max_quarantine_share: float,
    history: Input[Dataset],
    scoring: Input[Dataset],
    valid_history: Output[Dataset],
    valid_scoring: Output[Dataset],
    quarantine: Output[Dataset],
) -> str:
    """pandera, lazily; rows that break row rules go to quarantine with their reasons."""
    from pathlib import Path

    from components.common.entrypoint import run_stage
    from components.validate.shell import run

    return run_stage(
        "validate",
        run_date,
        lambda: run(
            Path(history.path),
            Path(scoring.path),
            Path(valid_history.path),
            Path(valid_scoring.path),
            Path(quarantine.path),
            max_quarantine_share,
        ),
    )


@dsl.component(base_image=placeholder_image("validate"), install_kfp_package=False)
def validate_scoring(
    run_date: str,
    max_quarantine_share: float,
    scoring: Input[Dataset],
    valid_scoring: Output[Dataset],
    quarantine: Output[Dataset],
) -> str:
    """Validate the scoring set only (the inference pipeline)."""
    from pathlib import Path

    from components.common.entrypoint import run_stage
    from components.validate.shell import run

    return run_stage(
        "validate",
        run_date,
        lambda: run(
            None,
            Path(scoring.path),
            None,
            Path(valid_scoring.path),
            Path(quarantine.path),
            max_quarantine_share,
        ),
    )


@dsl.component(base_image=placeholder_image("features"), install_kfp_package=False)
def features(
    run_date: str,
    valid_history: Input[Dataset],
    valid_scoring: Input[Dataset],
    history_features: Output[Dataset],
    scoring_features: Output[Dataset],
) -> str:
    """Row-wise features, the same code for training and scoring."""
    from pathlib import Path

    from components.common.entrypoint import run_stage
    from components.features.shell import run

    return run_stage(
        "features",
        run_date,
        lambda: run(
            Path(valid_history.path),
            Path(valid_scoring.path),
            Path(history_features.path),
            Path(scoring_features.path),
        ),
    )


@dsl.component(base_image=placeholder_image("features"), install_kfp_package=False)
def features_scoring(run_date: str, valid_scoring: Input[Dataset], scoring_features: Output[Dataset]) -> str:
    """Features of the scoring set only (the inference pipeline)."""
    from pathlib import Path

    from components.common.entrypoint import run_stage
    from components.features.shell import run

    return run_stage(
        "features", run_date, lambda: run(None, Path(valid_scoring.path), None, Path(scoring_features.path))
    )


@dsl.component(base_image=placeholder_image("train"), install_kfp_package=False)
def train(
    run_date: str,
    artifact_root: str,
    holdout_days: int,
    seed: int,
    max_iter: int,
    learning_rate: float,
    max_leaf_nodes: int,
    min_samples_leaf: int,
    l2_regularization: float,
    code_version: str,
    image: str,
    history_features: Input[Dataset],
    model: Output[Model],
) -> NamedTuple("TrainOutputs", model_version=str, report=str):  # type: ignore[valid-type]
    """Fit the challenger on the window before the holdout and register it."""
    import json
    import shutil
    from pathlib import Path

    from components.common.config import TrainSettings
    from components.common.entrypoint import run_stage
    from components.common.registry import registry_root
    from components.train.shell import run

    settings = TrainSettings(
        seed=seed,
        max_iter=max_iter,
        learning_rate=learning_rate,
        max_leaf_nodes=max_leaf_nodes,
        min_samples_leaf=min_samples_leaf,
        l2_regularization=l2_regularization,
    )
    report = run_stage(
        "train",
        run_date,
        lambda: run(
            Path(history_features.path),
            Path(artifact_root),
            run_date,
            holdout_days,
            settings,
            code_version,
            image,
        ),
    )
    version = json.loads(report)["model_version"]
    shutil.copyfile(registry_root(Path(artifact_root)) / "models" / version / "model.pkl", model.path)
    model.metadata["version"] = version
    return (version, report)  # KFP maps a plain tuple onto the NamedTuple outputs, in order


@dsl.component(base_image=placeholder_image("evaluate"), install_kfp_package=False)
def evaluate(
    run_date: str,
    artifact_root: str,
    holdout_days: int,
    model_version: str,
    threshold: float,
    seed: int,
    history_features: Input[Dataset],
    metrics: Output[Metrics],
    classification: Output[ClassificationMetrics],
    report: Output[HTML],
) -> str:
    """Challenger vs champion vs baseline on the holdout: Metrics, ClassificationMetrics, an HTML report."""
    from pathlib import Path

    from components.common.entrypoint import run_stage
    from components.evaluate.shell import run

    def work() -> dict:  # type: ignore[type-arg]
        evaluation = run(
            Path(history_features.path),
            Path(artifact_root),
            run_date,
            holdout_days,
            model_version,
            threshold,
            seed,
            Path(report.path),
        )
        for name, value in evaluation.flat_metrics.items():
            metrics.log_metric(name, round(value, 6))
        classification.log_roc_curve(evaluation.roc["fpr"], evaluation.roc["tpr"], evaluation.roc["thresholds"])
        classification.log_confusion_matrix(["on time", "disrupted"], evaluation.confusion)
        return {**evaluation.summary, "report_path": report.path}

    return run_stage("evaluate", run_date, work)


@dsl.component(base_image=placeholder_image("promote"), install_kfp_package=False)
def promote(
    run_date: str,
    artifact_root: str,
    model_version: str,
    min_roc_auc: float,
    min_improvement: float,
    max_brier_increase: float,
    max_champion_age_days: int,
) -> str:
    """Apply the written policy; the champion pointer moves atomically, or not at all."""
    from pathlib import Path

    from components.common.config import PromoteSettings
    from components.common.entrypoint import run_stage
    from components.promote.shell import run

    policy = PromoteSettings(
        min_roc_auc=min_roc_auc,
        min_improvement=min_improvement,
        max_brier_increase=max_brier_increase,
        max_champion_age_days=max_champion_age_days,
    )
    return run_stage("promote", run_date, lambda: run(Path(artifact_root), run_date, model_version, policy))


@dsl.component(base_image=placeholder_image("predict"), install_kfp_package=False)
def predict(
    warehouse_url: str,
    run_date: str,
    artifact_root: str,
    scoring_features: Input[Dataset],
    valid_scoring: Input[Dataset],
    predictions: Output[Dataset],
) -> str:
    """Score the run date with the champion; parquet plus the warehouse's predictions table."""
    from pathlib import Path

    from components.common.entrypoint import run_stage
    from components.predict.shell import run

    def work() -> dict:  # type: ignore[type-arg]
        report = run(
            warehouse_url,
            Path(artifact_root),
            run_date,
            Path(scoring_features.path),
            Path(valid_scoring.path),
            Path(predictions.path),
        )
        return {**report, "predictions_path": predictions.path}

    return run_stage("predict", run_date, work)


@dsl.component(base_image=placeholder_image("monitor"), install_kfp_package=False)
def monitor(
    warehouse_url: str, run_date: str, artifact_root: str, scoring_features: Input[Dataset], drift: Output[Dataset]
) -> str:
    """Drift against the training window; yesterday's predictions against yesterday's outcomes."""
    from pathlib import Path

    from components.common.entrypoint import run_stage
    from components.monitor.shell import run

    return run_stage(
        "monitor",
        run_date,
        lambda: run(
            warehouse_url,
            Path(artifact_root),
            run_date,
            Path(scoring_features.path),
            Path(drift.path),
        ),
    )
