"""Feature profiles: each monitored input's statistics for every day of a window, and for a scored day."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from components.features.profile import (
    DAY_LEVEL,
    FLIGHT_CATEGORICAL,
    FLIGHT_NUMERIC,
    UNMONITORED,
    day_statistics,
    profile_features,
)


def test_a_profile_has_every_monitored_input_day_by_day_as_strict_json(history_features: pd.DataFrame) -> None:
    before = history_features.copy()

    profile = profile_features(history_features)

    pd.testing.assert_frame_equal(history_features, before)  # the input is not changed
    assert json.loads(json.dumps(profile, allow_nan=False)) == profile  # no NaN: any JSON reader takes it
    assert set(profile["inputs"]) == set(FLIGHT_NUMERIC + FLIGHT_CATEGORICAL + DAY_LEVEL)
    assert not set(UNMONITORED) & set(profile["inputs"])
    assert profile["days"] == ["2013-05-01", "2013-05-20"]
    days = history_features["flight_date"].nunique()
    for column, entry in profile["inputs"].items():
        assert entry["level"] == ("day" if column in DAY_LEVEL else "flight"), column
        assert all(len(series) == days for series in entry["daily"].values()), column
    assert set(profile["inputs"]["temp"]["daily"]) == {
        "null_share", "out_of_range_share", "off_grid_share", "daily_mean", "daily_spread",
    }  # fmt: skip
    assert set(profile["inputs"]["carrier"]["daily"]) == {"null_share", "psi", "unseen_categories"}
    daily = history_features.groupby("flight_date")
    assert profile["outcome"]["flights"] == daily.size().astype(float).tolist()
    assert profile["outcome"]["disrupted_rate"] == pytest.approx(daily["disrupted"].mean().tolist(), abs=1e-4)


def test_the_grid_is_the_readings_common_step(history_features: pd.DataFrame) -> None:
    knots = history_features.assign(wind_speed=np.round(np.arange(len(history_features)) % 30 * 1.15078, 5))

    inputs = profile_features(knots)["inputs"]

    assert inputs["wind_dir"]["grid"] == {"decimals": 0, "origin": 0, "step": 10}  # whole tens of degrees
    assert inputs["wind_speed"]["grid"] == {"decimals": 5, "origin": 0, "step": 115078}  # knots shown in mph
    assert "grid" not in inputs["visib"]  # statute-mile steps are not a lattice


def _day(features: pd.DataFrame, index: int) -> pd.Series:
    return features["flight_date"] == sorted(features["flight_date"].unique())[index]


def test_a_window_day_is_judged_by_the_other_days(history_features: pd.DataFrame) -> None:
    odd = _day(history_features, 3)
    changed = history_features.assign(
        wind_dir=history_features["wind_dir"].where(~odd, 5.0),  # off the grid of tens, on day 3 only
        carrier=history_features["carrier"].where(~odd, "ZZ"),  # a code only day 3 has
    )

    daily = profile_features(changed)["inputs"]

    off_grid, unseen = (np.array(daily[c]["daily"][k]) for c, k in [("wind_dir", "off_grid_share"),
                                                                        ("carrier", "unseen_categories")])  # fmt: skip
    assert off_grid[3] == pytest.approx(changed.loc[odd, "wind_dir"].notna().mean())
    assert unseen[3] == 1.0
    assert np.delete(off_grid, 3).max() == 0.0
    assert np.delete(unseen, 3).max() == 0.0


def test_a_window_day_scored_against_its_own_window_looks_like_one_of_its_days(history_features: pd.DataFrame) -> None:
    profile = profile_features(history_features)
    day = history_features[_day(history_features, 5)].drop(columns="disrupted")

    statistics = day_statistics(profile, day).set_index(["input", "check"])["value"]

    assert statistics["temp", "daily_mean"] == pytest.approx(day["temp"].mean())
    assert statistics["temp", "daily_mean"] == pytest.approx(profile["inputs"]["temp"]["daily"]["daily_mean"][5], 1e-3)
    assert statistics["plane_seats", "null_share"] == pytest.approx(day["plane_seats"].isna().mean())
    assert statistics["wind_dir", "off_grid_share"] == 0.0
    assert statistics["carrier", "unseen_categories"] == 0.0
    for column, check in [("sched_dep_minutes", "psi"), ("dest", "psi"), ("pressure", "daily_spread")]:
        assert statistics[column, check] == pytest.approx(profile["inputs"][column]["daily"][check][5], rel=1e-3)


def test_a_day_with_a_new_unit_is_off_the_grid_and_a_new_code_is_unseen(history_features: pd.DataFrame) -> None:
    profile = profile_features(history_features)
    day = history_features[_day(history_features, 5)].drop(columns="disrupted")
    broken = day.assign(wind_dir=day["wind_dir"] * 0.01745, carrier="ZZ")  # radians; a new airline

    statistics = day_statistics(profile, broken).set_index(["input", "check"])["value"]

    assert statistics["wind_dir", "off_grid_share"] == pytest.approx((day["wind_dir"].dropna() != 0).mean())
    assert statistics["carrier", "unseen_categories"] == 1.0
    assert statistics["carrier", "psi"] > 1.0


def test_an_input_without_values_has_only_its_null_share(history_features: pd.DataFrame) -> None:
    profile = profile_features(history_features)
    day = history_features[_day(history_features, 5)].drop(columns="disrupted").assign(visib=np.nan, plane_type=None)

    statistics = day_statistics(profile, day)

    assert statistics.loc[statistics["input"] == "visib", "check"].tolist() == ["null_share"]
    assert statistics.loc[statistics["input"] == "plane_type", "check"].tolist() == ["null_share"]
    assert statistics.loc[statistics["check"] == "null_share"].set_index("input")["value"]["visib"] == 1.0
