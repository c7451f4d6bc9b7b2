"""Property tests (hypothesis): the validators, the feature functions and the promotion policy."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.common.config import PromoteSettings
from components.common.errors import PipelineError
from components.contracts import LEAKAGE_COLUMNS
from components.features.core import FEATURE_COLUMNS, build_features
from components.promote.core import decide
from components.schemas import HistoryFlights
from components.validate.core import mask_implausible_weather, split_valid_rows
from tests.components.conftest import build_history_flights

PROFILE = settings(max_examples=20, deadline=None, derandomize=True, database=None)
# A bad value per column, each breaking exactly one row rule.
CORRUPTIONS = {
    "origin": "BOS",
    "carrier": "ZZ",
    "distance": -1.0,
    "sched_dep_time": 2500,
    "flight": -3,
    "month": 13,
}


@st.composite
def flights_with_corruptions(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    rows = draw(st.integers(2, 60))
    frame = build_history_flights(rows=rows, days=draw(st.integers(1, 4)), seed=draw(st.integers(0, 2**16)))
    bad_rows = draw(st.sets(st.integers(0, rows - 1), max_size=rows - 1))
    corrupted = frame.copy()
    for row in bad_rows:
        column = draw(st.sampled_from(sorted(CORRUPTIONS)))
        if corrupted[column].dtype.kind in "iuf" and isinstance(CORRUPTIONS[column], str):
            corrupted[column] = corrupted[column].astype(object)
        corrupted.loc[row, column] = CORRUPTIONS[column]
    return frame, corrupted, {str(frame.loc[row, "flight_id"]) for row in bad_rows}


@PROFILE
@given(case=flights_with_corruptions())
def test_validation_quarantines_exactly_the_broken_rows(case: tuple[pd.DataFrame, pd.DataFrame, set[str]]) -> None:
    _, corrupted, broken = case
    before = corrupted.copy()

    result = split_valid_rows(corrupted, HistoryFlights, "history")

    assert set(result.quarantine["flight_id"]) == broken
    assert len(result.valid) + len(result.quarantine) == len(corrupted)  # same rows in and out
    assert not set(result.valid["flight_id"]) & broken
    assert sum(rule["rows"] for rule in result.report["broken_rules"]) >= len(broken)
    pd.testing.assert_frame_equal(corrupted, before)  # never mutates its input


@PROFILE
@given(frame=st.integers(0, 2**16).map(lambda seed: build_history_flights(rows=30, days=3, seed=seed)))
def test_a_valid_frame_passes_whole_and_unchanged(frame: pd.DataFrame) -> None:
    result = split_valid_rows(frame, HistoryFlights, "history")

    assert result.quarantine.empty
    assert result.valid["flight_id"].tolist() == frame["flight_id"].tolist()


@PROFILE
@given(
    speeds=st.lists(st.one_of(st.none(), st.floats(-1e4, 1e4, allow_nan=False)), min_size=1, max_size=40),
)
def test_masking_only_touches_implausible_readings(speeds: list[float | None]) -> None:
    frame = pd.DataFrame({"wind_speed": pd.array(speeds, dtype="Float64").astype(float)})
    before = frame.copy()

    masked, counts = mask_implausible_weather(frame)

    plausible = frame["wind_speed"].between(0, 150) | frame["wind_speed"].isna()
    pd.testing.assert_series_equal(masked["wind_speed"][plausible], frame["wind_speed"][plausible])
    assert masked["wind_speed"][~plausible].isna().all()
    assert counts.get("wind_speed", 0) == int((~plausible).sum())
    pd.testing.assert_frame_equal(frame, before)


@PROFILE
@given(seed=st.integers(0, 2**16), rows=st.integers(1, 50))
def test_features_keep_rows_never_mutate_and_never_use_outcomes(seed: int, rows: int) -> None:
    flights = HistoryFlights.validate(build_history_flights(rows=rows, days=2, seed=seed))
    before = flights.copy()

    features = build_features(flights)

    pd.testing.assert_frame_equal(flights, before)
    assert features["flight_id"].tolist() == flights["flight_id"].tolist()
    assert not set(LEAKAGE_COLUMNS) & set(features.columns)
    scrambled = flights.copy()
    for column in LEAKAGE_COLUMNS:
        scrambled[column] = scrambled[column].sample(frac=1.0, random_state=seed).to_numpy()
    pd.testing.assert_frame_equal(build_features(scrambled)[list(FEATURE_COLUMNS)], features[list(FEATURE_COLUMNS)])


POLICY = PromoteSettings(policy="margin")  # the paired policy reads a comparison: tests of its own
metric = st.floats(0.0, 1.0, allow_nan=False)
metrics = st.fixed_dictionaries({"roc_auc": metric, "brier": metric})


@settings(
    max_examples=300, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    challenger=metrics,
    baseline=metrics,
    champion=st.one_of(st.none(), metrics),
    same_version=st.booleans(),
    age=st.one_of(st.none(), st.integers(0, 400)),
)
def test_the_policy_never_promotes_below_the_floors_or_the_same_model(
    challenger: dict[str, float],
    baseline: dict[str, float],
    champion: dict[str, float] | None,
    same_version: bool,
    age: int | None,
) -> None:
    decision = decide(challenger, baseline, champion, same_version and champion is not None, age, POLICY)

    if decision.promote:
        assert challenger["roc_auc"] >= POLICY.min_roc_auc
        assert challenger["roc_auc"] > baseline["roc_auc"]
        assert challenger["brier"] < baseline["brier"]
        assert not (same_version and champion is not None)
    floors = (
        challenger["roc_auc"] >= POLICY.min_roc_auc
        and challenger["roc_auc"] > baseline["roc_auc"]
        and challenger["brier"] < baseline["brier"]
    )
    if champion is None:
        assert decision.promote == floors
    assert decision.reason


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    challenger=metrics,
    champion=metrics,
    gain=st.floats(0.0, 0.2, allow_nan=False),
    brier_gain=st.floats(0.0, 0.2, allow_nan=False),
)
def test_a_better_challenger_is_promoted_whenever_a_worse_one_is(
    challenger: dict[str, float], champion: dict[str, float], gain: float, brier_gain: float
) -> None:
    baseline = {"roc_auc": 0.5, "brier": 0.9}
    better = {"roc_auc": min(1.0, challenger["roc_auc"] + gain), "brier": max(0.0, challenger["brier"] - brier_gain)}

    worse_promoted = decide(challenger, baseline, champion, False, 1, POLICY).promote
    better_promoted = decide(better, baseline, champion, False, 1, POLICY).promote

    assert better_promoted or not worse_promoted


def test_an_empty_frame_is_never_validated_silently() -> None:
    with pytest.raises(PipelineError, match="the history set is empty"):
        split_valid_rows(build_history_flights(rows=5).iloc[:0], HistoryFlights, "history")
