"""Monitor's checks on real data: windows of the seeded 2013 warehouse, clean days and days with injected defects."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from components.common.warehouse.reads import query_arrow
from components.contracts import LABEL
from components.features.core import build_features
from components.features.profile import DAY_LEVEL, FLIGHT_CATEGORICAL, FLIGHT_NUMERIC, profile_features
from components.monitor.checks import (
    TAG_LIMIT,
    Alert,
    alerts_tag,
    count_alerts,
    judge_day,
    judge_outcomes,
    overdispersion,
)
from components.schemas import Drift, HistoryFlights, LabelledFeatures
from components.validate.core import split_valid_rows

DECEMBER, JUNE = dt.date(2013, 12, 1), dt.date(2013, 6, 15)
Window = tuple[dict[str, object], pd.DataFrame]


def _window(url: str, day: dt.date) -> Window:
    """The reference train saves for a run on ``day`` (90 days minus the 7-day holdout), and the day's features."""
    flights = query_arrow(
        url, "flights_between", {"start": day - dt.timedelta(days=90), "end": day + dt.timedelta(1), "weather_hours": 6}
    )
    valid = split_valid_rows(flights.to_pandas(date_as_object=False), HistoryFlights, "history").valid
    features = LabelledFeatures.validate(build_features(valid), lazy=True)
    train = features[features["flight_date"] < pd.Timestamp(day - dt.timedelta(days=7))]
    reference = json.loads(json.dumps(profile_features(train)))  # as the registry stores it
    scoring = features[features["flight_date"] == pd.Timestamp(day)].drop(columns=LABEL).reset_index(drop=True)
    return reference, scoring


@pytest.fixture(scope="module")
def windows(duckdb_seeded: Path) -> dict[dt.date, Window]:
    return {day: _window(f"duckdb:///{duckdb_seeded}", day) for day in (DECEMBER, JUNE)}


@pytest.mark.parametrize("day", [DECEMBER, JUNE])
def test_a_clean_day_raises_no_drift_or_quality_alert(windows: dict[dt.date, Window], day: dt.date) -> None:
    reference, scoring = windows[day]
    before = scoring.copy()

    table, alerts = judge_day(reference, scoring)

    assert alerts == []
    pd.testing.assert_frame_equal(scoring, before)  # the input is not changed
    Drift.validate(table, lazy=True)
    assert set(table["input"]) == set(FLIGHT_NUMERIC + FLIGHT_CATEGORICAL + DAY_LEVEL)
    assert not {"day_of_week", "weather_known"} & set(table["input"])
    checks = table.groupby("input")["check"].agg(set)
    assert checks["temp"] == {"daily_mean", "daily_spread", "null_share", "out_of_range_share", "off_grid_share"}
    assert checks["distance"] == {"psi", "null_share", "out_of_range_share", "off_grid_share"}
    assert checks["dest"] == {"psi", "null_share", "unseen_categories"}
    assert (table.loc[table["level"] == "day", "input"].unique() == list(DAY_LEVEL)).all()


def _share(day: pd.DataFrame, column: str, code: str, share: float) -> pd.DataFrame:
    chosen = np.random.default_rng(7).random(len(day)) < share
    return day.assign(**{column: day[column].where(~chosen, code)})


def _schedule_in_utc(day: pd.DataFrame) -> pd.DataFrame:
    departure = (day["sched_dep_minutes"] + 300) % 1440
    return day.assign(sched_dep_minutes=departure, sched_block_minutes=(day["sched_arr_minutes"] - departure) % 1440)


# (defect, the inputs it breaks: an alert must name the first, none may name another input, the check expected)
DEFECTS: dict[str, tuple[Callable[[pd.DataFrame], pd.DataFrame], tuple[str, ...], str]] = {
    "temp in Celsius": (lambda d: d.assign(temp=((d["temp"] - 32) / 1.8).round(1)), ("temp",), "off_grid_share"),
    "wind in km/h": (
        lambda d: d.assign(wind_speed=(d["wind_speed"] * 1.609344).round(1)), ("wind_speed",), "off_grid_share"
    ),
    "wind in m/s": (
        lambda d: d.assign(wind_speed=(d["wind_speed"] * 0.44704).round(1)), ("wind_speed",), "off_grid_share"
    ),
    # No "temp stuck" (every flight one temperature): scored at 06:00, a day's flights share one reading per airport,
    # so a stuck sensor looks like a morning of three airports at one temperature, which the window has seen.
    "plane_seats all null": (lambda d: d.assign(plane_seats=np.nan), ("plane_seats",), "null_share"),
    "visib all null": (lambda d: d.assign(visib=np.nan), ("visib",), "null_share"),
    "carrier ZZ on 5 %": (lambda d: _share(d, "carrier", "ZZ", 0.05), ("carrier",), "unseen_categories"),
    "dest XXX on 5 %": (lambda d: _share(d, "dest", "XXX", 0.05), ("dest",), "unseen_categories"),
    "sched_dep in UTC": (_schedule_in_utc, ("sched_dep_minutes", "sched_block_minutes"), "psi"),
    "sched_arr a copy of sched_dep": (
        lambda d: d.assign(sched_arr_minutes=d["sched_dep_minutes"], sched_block_minutes=0.0),
        ("sched_arr_minutes", "sched_block_minutes"), "psi",
    ),
}  # fmt: skip


@pytest.mark.parametrize("day", [DECEMBER, JUNE])
@pytest.mark.parametrize("defect", list(DEFECTS))
def test_an_injected_defect_alarms_on_its_first_day_and_names_the_input(
    windows: dict[dt.date, Window], day: dt.date, defect: str
) -> None:
    reference, scoring = windows[day]
    broken, inputs, check = DEFECTS[defect]

    _, alerts = judge_day(reference, broken(scoring))

    assert {alert.input for alert in alerts} <= set(inputs)
    named = [alert for alert in alerts if alert.input == inputs[0]]
    assert check in {alert.check for alert in named}
    assert all(alert.message.startswith(f"{inputs[0]}: ") for alert in named)
    assert all(alert.value > alert.bound or alert.value < alert.bound for alert in alerts)


def test_a_new_code_is_named_in_the_message(windows: dict[dt.date, Window]) -> None:
    reference, scoring = windows[DECEMBER]

    _, alerts = judge_day(reference, _share(scoring, "carrier", "ZZ", 0.05))

    [unseen] = [alert for alert in alerts if alert.check == "unseen_categories"]
    assert unseen.kind == "quality"
    assert unseen.message.startswith("carrier: ")
    assert ": ZZ;" in unseen.message


def test_a_reference_from_before_calibrated_monitoring_checks_nothing(windows: dict[dt.date, Window]) -> None:
    _, scoring = windows[DECEMBER]
    old = {"rows": 10, "numeric": {}, "categorical": {}}  # version 1: decile shares only

    table, alerts = judge_day(old, scoring)

    assert (len(table), alerts) == (0, [])


def _yesterday(observed: float, predicted: float, roc_auc: float | None = 0.7, flights: int = 900) -> dict[str, object]:
    return {"flights": flights, "observed_rate": observed, "mean_predicted": predicted, "roc_auc": roc_auc}


def test_a_yesterday_far_worse_than_predicted_alarms(windows: dict[dt.date, Window]) -> None:
    reference, _ = windows[DECEMBER]
    assert overdispersion(reference) == pytest.approx(0.11**2, rel=0.1)  # the window's daily rate moved by ~11 points

    [alert] = judge_outcomes(_yesterday(0.55, 0.25), reference, floor=0.6)

    assert (alert.kind, alert.input, alert.check, alert.value) == ("outcome", "disrupted", "rate_vs_predicted", 0.55)
    assert 0.25 < alert.bound < 0.55
    assert alert.message.startswith("disrupted: yesterday 55.0% of 900 flights were disrupted, 25.0% predicted")


def test_the_rate_band_is_the_windows_own_day_to_day_spread(windows: dict[dt.date, Window]) -> None:
    summer, _ = windows[JUNE]  # June's window swung more from day to day (~16 points): the same miss is within it
    assert overdispersion(summer) > 0.15**2

    assert judge_outcomes(_yesterday(0.55, 0.25), summer, floor=0.6) == []
    assert judge_outcomes(_yesterday(0.05, 0.70), summer, floor=0.6)[0].check == "rate_vs_predicted"


def test_a_normal_yesterday_raises_nothing(windows: dict[dt.date, Window]) -> None:
    reference, _ = windows[DECEMBER]

    assert judge_outcomes(_yesterday(0.28, 0.25), reference, floor=0.6) == []
    assert judge_outcomes(_yesterday(0.22, 0.25, roc_auc=None), reference, floor=0.6) == []  # one outcome: no AUC
    assert judge_outcomes(None, reference, floor=0.6) == []  # not scored
    assert judge_outcomes(_yesterday(0.9, 0.1), {}, floor=0.6) == []  # no reference: no band to judge by


def test_a_roc_auc_below_the_floor_alarms(windows: dict[dt.date, Window]) -> None:
    reference, _ = windows[DECEMBER]

    [alert] = judge_outcomes(_yesterday(0.26, 0.25, roc_auc=0.55), reference, floor=0.6)

    assert (alert.kind, alert.input, alert.check, alert.value, alert.bound) == (
        "outcome", "p_disrupted", "roc_auc_floor", 0.55, 0.6,
    )  # fmt: skip
    assert judge_outcomes(_yesterday(0.26, 0.25, roc_auc=0.6), reference, floor=0.6) == []


def test_a_roc_auc_below_the_floor_only_by_its_noise_does_not_alarm(windows: dict[dt.date, Window]) -> None:
    """0.58 on one day's 900 flights is within about one standard error (0.02) of 0.6; on 20,000 it is not."""
    reference, _ = windows[DECEMBER]

    assert judge_outcomes(_yesterday(0.26, 0.25, roc_auc=0.58), reference, floor=0.6) == []
    [alert] = judge_outcomes(_yesterday(0.26, 0.25, roc_auc=0.58, flights=20_000), reference, floor=0.6)
    assert (alert.check, alert.value, alert.bound) == ("roc_auc_floor", 0.58, 0.6)
    assert "95 % upper bound 0.588 on 20000 flights" in alert.message  # se 0.0047 (Hanley-McNeil, by hand)


def _alert(number: int) -> Alert:
    return Alert(kind="quality", input=f"input_{number}", check="null_share", value=1.0, bound=0.1,
                 message=f"input_{number}: " + "x" * 400)  # fmt: skip


def test_the_alerts_tag_is_a_json_list_within_mlflows_limit() -> None:
    assert alerts_tag([]) == "[]"
    few = json.loads(alerts_tag([_alert(1), _alert(2)]))
    assert [entry["input"] for entry in few] == ["input_1", "input_2"]
    assert {"kind", "input", "message"} <= set(few[0])

    text = alerts_tag([_alert(n) for n in range(100)])

    entries = json.loads(text)
    assert len(text) <= TAG_LIMIT
    assert all({"kind", "input", "message"} <= set(entry) for entry in entries)
    assert entries[-1]["check"] == "truncated"
    assert entries[-1]["message"] == f"{100 - len(entries) + 1} more alert(s) in the flight_monitoring table"


def test_alerts_are_counted_by_kind() -> None:
    outcome = Alert(kind="outcome", input="disrupted", check="rate_vs_predicted", value=0.5, bound=0.4, message="m")
    assert count_alerts([_alert(1), _alert(2), outcome]) == {
        "alerts_drift": 0,
        "alerts_quality": 2,
        "alerts_outcome": 1,
    }
