"""The historical rates: each row's from the days before its own only, as a hand count gives them."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from components.contracts import LABEL
from components.features.core import RATE_FEATURES, RATE_SMOOTHING, OutcomeHistory


def test_a_rate_is_the_smoothed_share_of_the_days_before_the_row(
    make_history_flights: Callable[..., pd.DataFrame],
) -> None:
    flights = make_history_flights(rows=600, days=30)
    rates = OutcomeHistory(flights, rate_days=7).rates(flights)

    row = 500
    day = pd.Timestamp(flights.loc[row, "flight_date"])
    before = flights[(flights["flight_date"] >= day - pd.Timedelta(days=7)) & (flights["flight_date"] < day)]
    prior = before[LABEL].mean()
    same_carrier = before[before["carrier"] == flights.loc[row, "carrier"]]
    expected = (same_carrier[LABEL].sum() + RATE_SMOOTHING * prior) / (len(same_carrier) + RATE_SMOOTHING)
    assert abs(rates.loc[row, "carrier_rate"] - expected) < 1e-12


def test_no_outcome_of_a_rows_own_day_or_later_changes_its_rates(
    make_history_flights: Callable[..., pd.DataFrame],
) -> None:
    flights = make_history_flights(rows=600, days=30)
    day = pd.Timestamp(flights["flight_date"].iloc[400])
    flipped = flights.assign(**{LABEL: flights[LABEL].where(flights["flight_date"] < day, ~flights[LABEL])})

    clean = OutcomeHistory(flights, rate_days=7).rates(flights)
    changed = OutcomeHistory(flipped, rate_days=7).rates(flights)

    up_to_day = (flights["flight_date"] <= day).to_numpy()
    pd.testing.assert_frame_equal(changed[up_to_day], clean[up_to_day])
    # Control: the next day's rates read the flipped day, so they move.
    next_day = (flights["flight_date"] == day + pd.Timedelta(days=1)).to_numpy()
    assert (changed[next_day] - clean[next_day]).abs().to_numpy().max() > 0.01


def test_a_row_with_no_earlier_day_has_no_rates(make_history_flights: Callable[..., pd.DataFrame]) -> None:
    flights = make_history_flights(rows=100, days=10)
    rates = OutcomeHistory(flights, rate_days=7).rates(flights)

    first_day = (flights["flight_date"] == flights["flight_date"].min()).to_numpy()
    assert rates[first_day].isna().all().all()
    assert list(rates.columns) == list(RATE_FEATURES)
