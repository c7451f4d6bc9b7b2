"""The promotion policy: every branch with its reason, and the floor as a property over all inputs."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from components.common.config import PromoteSettings
from components.promote.core import Decision, decide

POLICY = PromoteSettings(min_roc_auc=0.6, min_improvement=0.002, max_brier_increase=0.002, max_champion_age_days=30)
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
