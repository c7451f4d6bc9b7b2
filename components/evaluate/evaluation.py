"""What evaluate hands promote: the versions compared and their holdout metrics. Pydantic only, so promote (whose
image has no scikit-learn) and the run summary read it without the evaluate stage's libraries."""

from __future__ import annotations

from pydantic import BaseModel


class Metrics(BaseModel):
    """Ranking and calibration of one contender's probabilities on the holdout."""

    roc_auc: float
    pr_auc: float
    brier: float
    log_loss: float


class Evaluation(BaseModel):
    """What promote reads: the versions compared, and their holdout metrics."""

    run_date: str
    challenger_version: str
    champion_version: str | None
    baseline_fingerprint: str  # the saved baseline's
    holdout_rows: int
    challenger: Metrics
    champion: Metrics | None
    baseline: Metrics
