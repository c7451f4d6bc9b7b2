"""What evaluate hands promote: the versions compared and their holdout metrics. Pydantic only, so promote (whose
image has no scikit-learn) and the run summary read it without the evaluate stage's libraries."""

from __future__ import annotations

from pydantic import BaseModel


class Metrics(BaseModel):
    """Ranking and calibration of one contender's probabilities on the holdout, then what an operations team reads
    off them (components/evaluate/core.py's ``operations_metrics``; optional, so that evaluation.json files written
    before them still validate)."""

    roc_auc: float
    pr_auc: float
    brier: float
    log_loss: float
    within_day_roc_auc: float | None = None  # each day's flights ranked against each other, mean over days
    top10_precision: float | None = None  # share disrupted among each day's riskiest 10 %, mean over days
    top10_lift: float | None = None  # that share over the day's observed rate, mean over days
    predicted_disrupted: float | None = None  # the sum of the probabilities
    observed_disrupted: float | None = None
    ece: float | None = None  # expected calibration error, 10 equal-width bins
    brier_skill: float | None = None  # 1 - Brier / the baseline's Brier (the baseline's own is 0)


# How the report and the model card show the metrics: field, heading, format.
SHOWN_METRICS = (
    ("roc_auc", "ROC AUC", ".4f"),
    ("pr_auc", "PR AUC", ".4f"),
    ("brier", "Brier", ".4f"),
    ("log_loss", "log loss", ".4f"),
    ("within_day_roc_auc", "within-day ROC AUC", ".4f"),
    ("top10_precision", "top-10 % precision", ".4f"),
    ("top10_lift", "top-10 % lift", ".2f"),
    ("predicted_disrupted", "predicted disrupted", ".1f"),
    ("observed_disrupted", "observed disrupted", ".0f"),
    ("ece", "ECE", ".4f"),
    ("brier_skill", "Brier skill", ".4f"),
)
METRICS_NOTE = (
    "Within-day ROC AUC ranks each day's flights against each other; top-10 % precision is the share disrupted among"
    " each day's riskiest tenth of flights, and its lift that share over the day's rate (both averaged over days)."
    " Predicted disrupted is the sum of the probabilities; ECE the expected calibration error over 10 equal-width"
    " bins; Brier skill 1 - Brier / the baseline's Brier."
)


class Comparison(BaseModel):
    """Challenger - champion on the same holdout flights, each difference with its interval from a bootstrap over
    the holdout's days (components/evaluate/compare.py)."""

    days: int
    flights: int
    roc_auc_diff: float
    roc_auc_diff_low: float
    roc_auc_diff_high: float
    brier_diff: float
    brier_diff_low: float
    brier_diff_high: float
    confidence: float
    resamples: int


class Evaluation(BaseModel):
    """What promote reads: the versions compared, their holdout metrics, and the paired comparison (``None`` without
    a champion). ``champion_judged_version`` is the version whose holdout figures stand for the champion: the
    champion itself, or, for a champion refit on its whole window (which has seen this holdout), the challenger it
    was refit from."""

    run_date: str
    challenger_version: str
    champion_version: str | None
    baseline_fingerprint: str  # the saved baseline's
    holdout_rows: int
    challenger: Metrics
    champion: Metrics | None
    baseline: Metrics
    champion_judged_version: str | None = None
    comparison: Comparison | None = None
