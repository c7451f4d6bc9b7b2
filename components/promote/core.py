"""The promotion policy, written down as one pure function.

1. Floors: a challenger is never promoted unless its ROC AUC reaches ``min_roc_auc`` and it beats the naive
   baseline on both ROC AUC and Brier score.
2. No champion yet, or the champion is the naive baseline (the empty registry's stand-in): a challenger that passes
   the floors is promoted. A challenger that misses them leaves the baseline serving.
3. The challenger is the champion, or the challenger the champion was refit from (same data, parameters and
   code): nothing moves.
4. A stale champion (trained more than ``max_champion_age_days`` before the run date) is replaced by any
   challenger that passes the floors.
5. Then, by ``policy``:

   - ``paired`` (the default): challenger and champion are compared on the same holdout flights by a bootstrap
     over the holdout's days (components/evaluate/compare.py). The challenger is kept out only when it is worse
     beyond the noise: the interval of its ROC AUC difference lies below 0, or that of its Brier difference above
     0. Otherwise it is promoted: better, or a tie, which the fresher data wins.
   - ``margin`` (the policy before the paired test): the challenger must beat the champion's ROC AUC by
     ``min_improvement``, without a Brier score worse by more than ``max_brier_increase``. A 7-day holdout's
     AUC moves by 0.05-0.07 from week to week, so that margin is noise.
   - ``always``: the fresh challenger, whenever it passes the floors.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.common.config import PromoteSettings
from components.evaluate.evaluation import Comparison

_TOLERANCE = 1e-9  # a challenger exactly at a limit meets it, whatever the float rounding of the subtraction


@dataclass(frozen=True)
class Decision:
    """Whether the champion pointer moves to the challenger, and why."""

    promote: bool
    reason: str


def floors_failure(challenger: dict[str, float], baseline: dict[str, float], policy: PromoteSettings) -> str | None:
    """Why the challenger misses the floors (rule 1), or ``None`` when it passes them."""
    auc, brier = challenger["roc_auc"], challenger["brier"]
    if auc < policy.min_roc_auc:
        return f"challenger ROC AUC {auc:.4f} is below the floor {policy.min_roc_auc:.4f}"
    if auc <= baseline["roc_auc"] or brier >= baseline["brier"]:
        return (
            f"challenger does not beat the baseline (ROC AUC {auc:.4f} vs {baseline['roc_auc']:.4f}, "
            f"Brier {brier:.4f} vs {baseline['brier']:.4f})"
        )
    return None


def _margin(challenger: dict[str, float], champion: dict[str, float], policy: PromoteSettings) -> Decision:
    auc, brier = challenger["roc_auc"], challenger["brier"]
    gain = auc - champion["roc_auc"]
    if gain < policy.min_improvement - _TOLERANCE:
        return Decision(
            False,
            f"challenger ROC AUC {auc:.4f} vs champion {champion['roc_auc']:.4f}: "
            f"gain {gain:+.4f} is under {policy.min_improvement:.4f}",
        )
    if brier - champion["brier"] > policy.max_brier_increase + _TOLERANCE:
        return Decision(
            False,
            f"challenger Brier {brier:.4f} is worse than champion {champion['brier']:.4f} "
            f"by more than {policy.max_brier_increase:.4f}",
        )
    return Decision(
        True,
        f"challenger beats champion: ROC AUC {auc:.4f} vs {champion['roc_auc']:.4f} ({gain:+.4f}), "
        f"Brier {brier:.4f} vs {champion['brier']:.4f}",
    )


def _paired(comparison: Comparison) -> Decision:
    c = comparison
    auc = f"ROC AUC {c.roc_auc_diff:+.4f} [{c.roc_auc_diff_low:+.4f}, {c.roc_auc_diff_high:+.4f}]"
    brier = f"Brier {c.brier_diff:+.4f} [{c.brier_diff_low:+.4f}, {c.brier_diff_high:+.4f}]"
    paired = f"challenger - champion on the same {c.flights} flights, {c.confidence:.0%} intervals over {c.days} days"
    if c.roc_auc_diff_high < 0:
        return Decision(False, f"challenger ranks worse: {auc} ({paired})")
    if c.brier_diff_low > 0:
        return Decision(False, f"challenger is worse calibrated: {brier} ({paired})")
    if c.roc_auc_diff_low > 0:
        return Decision(True, f"challenger ranks better: {auc}, {brier} ({paired})")
    return Decision(True, f"no difference beyond the noise, the fresher data wins: {auc}, {brier} ({paired})")


def decide(  # noqa: PLR0911 - one return per rule of the policy reads best
    challenger: dict[str, float],
    baseline: dict[str, float],
    champion: dict[str, float] | None,
    same_version: bool,
    champion_age_days: int | None,
    policy: PromoteSettings,
    comparison: Comparison | None = None,
) -> Decision:
    """Apply the policy in the module docstring to holdout metrics (and, for ``paired``, the paired comparison)."""
    auc, brier = challenger["roc_auc"], challenger["brier"]
    failure = floors_failure(challenger, baseline, policy)
    if failure is not None:
        return Decision(False, failure)
    if champion is None:
        return Decision(True, f"no champion yet; challenger passes the floors (ROC AUC {auc:.4f}, Brier {brier:.4f})")
    if same_version:
        return Decision(False, "challenger is the current champion (same data, parameters and code)")
    if champion_age_days is not None and champion_age_days > policy.max_champion_age_days:
        return Decision(
            True,
            f"champion is stale ({champion_age_days} days old > {policy.max_champion_age_days}); "
            "challenger passes the floors",
        )
    if policy.policy == "always":
        return Decision(True, f"policy always: the fresh challenger passes the floors (ROC AUC {auc:.4f})")
    if policy.policy == "margin":
        return _margin(challenger, champion, policy)
    if comparison is None:
        return Decision(False, "no paired comparison of challenger and champion in the evaluation: rerun evaluate")
    return _paired(comparison)
