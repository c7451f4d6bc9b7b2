"""The promotion policy: every branch with its reason, and the floor as a property over all inputs."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from components.common.config import PromoteSettings
from components.evaluate.evaluation import Comparison
from components.promote.core import Decision, decide

POLICY = PromoteSettings(
    policy="margin", min_roc_auc=0.6, min_improvement=0.002, max_brier_increase=0.002, max_champion_age_days=30
)
BASELINE = {"roc_auc": 0.62, "brier": 0.17}
CHAMPION = {"roc_auc": 0.70, "brier": 0.150}


def _decide(
    auc: float,
    brier: float,
    champion: dict[str, float] | None = CHAMPION,
    same_version: bool = False,
    age: int | None = 5,
    baseline: dict[str, float] = BASELINE,
) -> Decision:
    return decide({"roc_auc": auc, "brier": brier}, baseline, champion, same_version, age, POLICY)


def test_below_the_floor_is_never_promoted() -> None:
    assert _decide(0.55, 0.10, champion=None) == Decision(False, "challenger ROC AUC 0.5500 is below the floor 0.6000")


@pytest.mark.parametrize(
    ("auc", "brier", "reason"),
    [
        (0.61, 0.16, "ROC AUC 0.6100 vs 0.6200, Brier 0.1600 vs 0.1700"),  # worse ranking
        (0.62, 0.16, "ROC AUC 0.6200 vs 0.6200, Brier 0.1600 vs 0.1700"),  # a tie is not a win
        (0.75, 0.17, "ROC AUC 0.7500 vs 0.6200, Brier 0.1700 vs 0.1700"),  # no better calibrated
    ],
)
def test_a_challenger_must_beat_the_baseline_on_both_metrics(auc: float, brier: float, reason: str) -> None:
    assert _decide(auc, brier, champion=None) == Decision(False, f"challenger does not beat the baseline ({reason})")


def test_the_first_challenger_that_passes_the_floors_is_promoted() -> None:
    assert _decide(0.65, 0.16, champion=None, age=None) == Decision(
        True, "no champion yet; challenger passes the floors (ROC AUC 0.6500, Brier 0.1600)"
    )


def test_the_champion_itself_does_not_move_the_pointer() -> None:
    assert _decide(0.70, 0.150, same_version=True, age=400) == Decision(
        False, "challenger is the current champion (same data, parameters and code)"
    )


def test_a_stale_champion_is_replaced_even_by_a_weaker_challenger() -> None:
    assert _decide(0.65, 0.16, age=31) == Decision(
        True, "champion is stale (31 days old > 30); challenger passes the floors"
    )


def test_a_champion_of_exactly_the_maximum_age_is_not_stale() -> None:
    assert _decide(0.65, 0.16, age=30).promote is False


def test_too_small_a_gain_keeps_the_champion() -> None:
    assert _decide(0.701, 0.149) == Decision(
        False, "challenger ROC AUC 0.7010 vs champion 0.7000: gain +0.0010 is under 0.0020"
    )


def test_a_worse_brier_score_keeps_the_champion() -> None:
    assert _decide(0.72, 0.155) == Decision(
        False, "challenger Brier 0.1550 is worse than champion 0.1500 by more than 0.0020"
    )


def test_a_better_challenger_is_promoted() -> None:
    assert _decide(0.72, 0.151) == Decision(
        True, "challenger beats champion: ROC AUC 0.7200 vs 0.7000 (+0.0200), Brier 0.1510 vs 0.1500"
    )


@pytest.mark.parametrize(
    ("auc", "brier", "champion"),
    [(0.688, 0.150, {"roc_auc": 0.686, "brier": 0.150}), (0.72, 0.152, CHAMPION)],
    ids=["gain at limit", "brier at limit"],
)
def test_a_challenger_exactly_at_the_limits_is_promoted(auc: float, brier: float, champion: dict[str, float]) -> None:
    decision = _decide(auc, brier, champion=champion)

    assert decision.promote, decision.reason


_ANY_NUMBER = st.floats(allow_nan=True, allow_infinity=True)
_METRICS = st.fixed_dictionaries({"roc_auc": _ANY_NUMBER, "brier": _ANY_NUMBER})
_POLICIES = st.builds(
    PromoteSettings,
    min_roc_auc=st.floats(0.5, 1.0),
    min_improvement=st.floats(0.0, 0.5),
    max_brier_increase=st.floats(0.0, 0.5),
    max_champion_age_days=st.integers(1, 400),
)


@settings(derandomize=True, database=None)  # the same examples every run: the suite is deterministic
@given(
    policy=_POLICIES,
    auc=st.floats(0.0, 1.0),
    brier=_ANY_NUMBER,
    baseline=_METRICS,
    champion=st.none() | _METRICS,
    same_version=st.booleans(),
    age=st.none() | st.integers(-10, 10_000),
)
def test_a_challenger_below_the_floor_is_never_promoted_whatever_the_other_numbers(
    policy: PromoteSettings,
    auc: float,
    brier: float,
    baseline: dict[str, float],
    champion: dict[str, float] | None,
    same_version: bool,
    age: int | None,
) -> None:
    assume(auc < policy.min_roc_auc)

    decision = decide({"roc_auc": auc, "brier": brier}, baseline, champion, same_version, age, policy)

    assert decision.promote is False
    assert decision.reason.endswith(f"is below the floor {policy.min_roc_auc:.4f}")


_FINITE_METRICS = st.fixed_dictionaries({"roc_auc": st.floats(0.0, 1.0), "brier": st.floats(0.0, 1.0)})


@settings(derandomize=True, database=None)
@given(
    policy=_POLICIES,
    challenger=_FINITE_METRICS,
    baseline=_FINITE_METRICS,
    champion=st.none() | _FINITE_METRICS,
    same_version=st.booleans(),
    age=st.none() | st.integers(0, 10_000),
)
def test_a_promoted_challenger_always_passed_the_floors(
    policy: PromoteSettings,
    challenger: dict[str, float],
    baseline: dict[str, float],
    champion: dict[str, float] | None,
    same_version: bool,
    age: int | None,
) -> None:
    decision = decide(challenger, baseline, champion, same_version, age, policy)

    if decision.promote:
        assert challenger["roc_auc"] >= policy.min_roc_auc
        assert challenger["roc_auc"] > baseline["roc_auc"]
        assert challenger["brier"] < baseline["brier"]
        assert not (same_version and champion is not None)


# --- the paired policy (the default) ------------------------------------------------------------------------------


def _comparison(auc: tuple[float, float, float], brier: tuple[float, float, float]) -> Comparison:
    return Comparison(
        days=7, flights=6000, roc_auc_diff=auc[0], roc_auc_diff_low=auc[1], roc_auc_diff_high=auc[2],
        brier_diff=brier[0], brier_diff_low=brier[1], brier_diff_high=brier[2], confidence=0.9, resamples=200,
    )  # fmt: skip


def _paired(comparison: Comparison | None) -> Decision:
    return decide({"roc_auc": 0.69, "brier": 0.16}, BASELINE, CHAMPION, False, 5, PromoteSettings(), comparison)


def test_the_paired_policy_is_the_default() -> None:
    assert PromoteSettings().policy == "paired"


def test_a_tie_within_the_noise_goes_to_the_fresher_challenger() -> None:
    decision = _paired(_comparison((-0.004, -0.02, 0.012), (0.001, -0.002, 0.004)))

    assert decision.promote
    assert decision.reason.startswith(
        "no difference beyond the noise, the fresher data wins: ROC AUC -0.0040 [-0.0200, +0.0120]"
    )


def test_a_challenger_worse_beyond_the_noise_keeps_the_champion() -> None:
    ranks = _paired(_comparison((-0.03, -0.05, -0.01), (0.0, -0.002, 0.002)))
    calibration = _paired(_comparison((0.0, -0.01, 0.01), (0.004, 0.001, 0.007)))

    assert ranks == Decision(
        False,
        "challenger ranks worse: ROC AUC -0.0300 [-0.0500, -0.0100] "
        "(challenger - champion on the same 6000 flights, 90% intervals over 7 days)",
    )
    assert not calibration.promote
    assert calibration.reason.startswith("challenger is worse calibrated: Brier +0.0040 [+0.0010, +0.0070]")


def test_a_challenger_better_beyond_the_noise_is_promoted() -> None:
    decision = _paired(_comparison((0.03, 0.01, 0.05), (-0.002, -0.004, 0.0)))

    assert decision.promote
    assert decision.reason.startswith("challenger ranks better: ROC AUC +0.0300 [+0.0100, +0.0500]")


def test_without_a_comparison_the_paired_policy_moves_nothing() -> None:
    assert _paired(None) == Decision(
        False, "no paired comparison of challenger and champion in the evaluation: rerun evaluate"
    )


def test_the_always_policy_takes_any_challenger_past_the_floors() -> None:
    always = PromoteSettings(policy="always")
    worse = {"roc_auc": 0.65, "brier": 0.165}

    assert decide(worse, BASELINE, CHAMPION, False, 5, always).promote
    assert not decide({"roc_auc": 0.61, "brier": 0.18}, BASELINE, CHAMPION, False, 5, always).promote  # floors
