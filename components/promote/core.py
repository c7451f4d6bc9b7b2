"""The promotion policy, written down as one pure function.

1. Floors: a challenger is never promoted unless its ROC AUC reaches ``min_roc_auc`` and it beats the naive
   baseline on both ROC AUC and Brier score.
2. No champion yet, or the champion is the naive baseline (the empty registry's stand-in): a challenger that passes
   the floors is promoted. A challenger that misses them leaves the baseline serving.
3. The challenger is the champion (same version: same data, parameters and code): nothing moves.
4. A stale champion (trained more than ``max_champion_age_days`` before the run date) is replaced by any
   challenger that passes the floors.
5. Otherwise the challenger must beat the champion's ROC AUC by ``min_improvement`` on the same holdout,
   without a Brier score worse by more than ``max_brier_increase``.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.common.config import PromoteSettings

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


def decide(  # noqa: PLR0911 - one return per rule of the policy reads best
    challenger: dict[str, float],
    baseline: dict[str, float],
    champion: dict[str, float] | None,
    same_version: bool,
    champion_age_days: int | None,
    policy: PromoteSettings,
) -> Decision:
    """Apply the policy in the module docstring to holdout metrics."""
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
    gain = auc - champion["roc_auc"]
    brier_increase = brier - champion["brier"]
    if gain < policy.min_improvement - _TOLERANCE:
        return Decision(
            False,
            f"challenger ROC AUC {auc:.4f} vs champion {champion['roc_auc']:.4f}: "
            f"gain {gain:+.4f} is under {policy.min_improvement:.4f}",
        )
    if brier_increase > policy.max_brier_increase + _TOLERANCE:
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
