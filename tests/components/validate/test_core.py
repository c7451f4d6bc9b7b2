"""Validation: sensor faults masked, rows that break row rules quarantined with reasons, structure enforced."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from components.common.errors import PipelineError
from components.schemas import HistoryFlights, ScoringFlights
from components.validate.core import (
    check_both_outcomes,
    check_quarantine_share,
    check_single_day,
    mask_implausible_weather,
    split_valid_rows,
)


@pytest.fixture
def flights(make_history_flights: Callable[..., pd.DataFrame]) -> pd.DataFrame:
    return make_history_flights(rows=20, days=2)


def test_mask_implausible_weather_masks_the_1048_mph_reading(flights: pd.DataFrame) -> None:
    flights.loc[4, "wind_speed"] = 1048.0
    flights.loc[7, "wind_speed"] = 149.0  # a gale, but possible
    before = flights.copy()

    masked, counts = mask_implausible_weather(flights)

    assert counts == {"wind_speed": 1}
    assert np.isnan(masked.loc[4, "wind_speed"])
    assert masked.loc[7, "wind_speed"] == 149.0
    pd.testing.assert_frame_equal(masked.drop(columns="wind_speed"), before.drop(columns="wind_speed"))
    pd.testing.assert_frame_equal(flights, before)  # the input is not mutated


def test_mask_implausible_weather_counts_each_column_and_ignores_missing_ones(flights: pd.DataFrame) -> None:
    flights.loc[0, "temp"] = -80.0
    flights.loc[1, "humid"] = 140.0
    flights.loc[2, "humid"] = 101.0

    masked, counts = mask_implausible_weather(flights.drop(columns="pressure"))

    assert counts == {"temp": 1, "humid": 2}
    assert masked.loc[[0, 1, 2], ["temp", "humid"]].isna().sum().to_dict() == {"temp": 1, "humid": 2}


def test_mask_implausible_weather_on_plausible_data_changes_nothing(flights: pd.DataFrame) -> None:
    masked, counts = mask_implausible_weather(flights)

    assert counts == {}
    pd.testing.assert_frame_equal(masked, flights)


def test_valid_rows_pass_unchanged(flights: pd.DataFrame) -> None:
    result = split_valid_rows(flights, HistoryFlights, "history")

    assert len(result.valid) == len(flights)
    assert result.quarantine.empty
    assert list(result.quarantine.columns) == ["dataset", "flight_id", "reason"]
    assert result.masked_readings == {}


def test_a_row_from_an_unknown_origin_is_quarantined_with_a_reason_naming_the_column(flights: pd.DataFrame) -> None:
    flights.loc[3, "origin"] = "XXX"
    flights.loc[5, "wind_speed"] = 1048.0  # masked, not quarantined

    result = split_valid_rows(flights, HistoryFlights, "history")

    assert result.quarantine.to_dict("records") == [
        {
            "dataset": "history",
            "flight_id": flights.loc[3, "flight_id"],
            "reason": "origin isin(['EWR', 'JFK', 'LGA']) (got XXX)",
        }
    ]
    assert result.masked_readings == {"wind_speed": 1}
    assert result.valid["flight_id"].tolist() == flights.drop(index=3)["flight_id"].tolist()
    assert np.isnan(result.valid.loc[5, "wind_speed"])


def test_every_broken_rule_of_a_row_is_listed(flights: pd.DataFrame) -> None:
    flights.loc[4, "flight"] = -1
    flights.loc[4, "dest"] = "TOOLONG"
    flights.loc[9, "month"] = 13

    result = split_valid_rows(flights, HistoryFlights, "history")

    reasons = dict(zip(result.quarantine["flight_id"], result.quarantine["reason"], strict=True))
    assert reasons == {
        flights.loc[4, "flight_id"]: "dest str_length(3, 3) (got TOOLONG); flight greater_than(0) (got -1)",
        flights.loc[9, "flight_id"]: "flight_date_matches_year_month_day; month less_than_or_equal_to(12) (got 13)",
    }
    assert len(result.valid) == len(flights) - 2


def test_a_null_in_a_required_column_is_quarantined(flights: pd.DataFrame) -> None:
    flights.loc[2, "carrier"] = None

    result = split_valid_rows(flights, HistoryFlights, "history")

    assert result.quarantine["flight_id"].tolist() == [flights.loc[2, "flight_id"]]
    assert "carrier" in result.quarantine.loc[0, "reason"]
    assert len(result.valid) == len(flights) - 1


def test_a_missing_column_is_a_structural_break(flights: pd.DataFrame) -> None:
    with pytest.raises(PipelineError) as raised:
        split_valid_rows(flights.drop(columns="carrier"), HistoryFlights, "history")

    assert str(raised.value) == (
        "the history set does not have the expected structure: HistoryFlights: column_in_dataframe (carrier): "
        "fix the warehouse tables or the query in sql/"
    )


def test_an_outcome_column_in_the_scoring_set_is_a_structural_break(flights: pd.DataFrame) -> None:
    with pytest.raises(PipelineError, match=re.escape("ScoringFlights: column_in_schema (arr_delay)")):
        split_valid_rows(flights.drop(columns="disrupted"), ScoringFlights, "scoring")


def test_an_empty_set_is_an_error(flights: pd.DataFrame) -> None:
    with pytest.raises(PipelineError) as raised:
        split_valid_rows(flights.iloc[:0], ScoringFlights, "scoring")

    assert str(raised.value) == "the scoring set is empty: check that the warehouse has flights for the run's days"


def test_check_quarantine_share_fails_over_the_limit() -> None:
    with pytest.raises(PipelineError) as raised:
        check_quarantine_share("history", 3, 100, 0.02)

    assert str(raised.value) == (
        "3 of 100 history rows (3.0%) break row rules, over the limit of 2.0%: "
        "see the quarantine artifact, fix the source data or raise validate.max_quarantine_share"
    )


def test_check_quarantine_share_passes_at_the_limit_and_for_nothing() -> None:
    check_quarantine_share("history", 2, 100, 0.02)
    check_quarantine_share("scoring", 0, 0, 0.0)


def test_check_single_day(flights: pd.DataFrame) -> None:
    check_single_day(flights[flights["day"] == 1], dt.date(2013, 5, 1))

    with pytest.raises(PipelineError) as raised:
        check_single_day(flights, dt.date(2013, 5, 1))

    assert str(raised.value) == "the scoring set spans 2 days, expected exactly one: check sql/flights_between.sql"


def test_check_single_day_is_the_run_date(flights: pd.DataFrame) -> None:
    with pytest.raises(PipelineError) as raised:
        check_single_day(flights[flights["day"] == 1], dt.date(2013, 5, 2))

    assert (
        str(raised.value)
        == "the scoring set holds the flights of 2013-05-01, not of the run date 2013-05-02: rerun ingest"
    )


# --- the report, the real defects, future-dated rows, one outcome -------------------------------------


def test_the_report_counts_every_broken_rule_with_examples(flights: pd.DataFrame) -> None:
    flights.loc[[1, 2, 3, 4], "origin"] = "BOS"
    flights.loc[5, "distance"] = -1.0

    report = split_valid_rows(flights, HistoryFlights, "history").report

    assert report["rows"] == 20
    assert report["quarantined"] == 5
    assert report["broken_rules"] == [
        {"rule": "distance greater_than(0)", "rows": 1, "examples": [flights.loc[5, "flight_id"]]},
        {
            "rule": "origin isin(['EWR', 'JFK', 'LGA'])",
            "rows": 4,
            "examples": flights.loc[[1, 2, 3], "flight_id"].tolist(),
        },
    ]


def test_the_real_defects_are_counted_not_quarantined(flights: pd.DataFrame) -> None:
    flights.loc[0, ["plane_year", "plane_type", "plane_manufacturer", "plane_engines", "plane_seats"]] = None
    flights.loc[0, "plane_engine"] = None
    flights.loc[0, "tailnum"] = "N999ZZ"  # a tail number without a planes row
    flights.loc[1, ["temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib"]] = (
        np.nan
    )
    flights.loc[2, "wind_speed"] = 1048.36058

    result = split_valid_rows(flights, HistoryFlights, "history")

    defects = result.report["known_defects"]
    assert defects["flights_without_plane_row"] >= 1
    assert defects["flights_without_weather_hour"] >= 1
    assert defects["implausible_readings_masked"] == 1
    assert result.quarantine.empty


def test_future_dated_history_rows_are_quarantined(flights: pd.DataFrame) -> None:
    second_day = flights["flight_date"].max().date()

    result = split_valid_rows(flights, HistoryFlights, "history", before=second_day)

    assert set(result.quarantine["reason"]) == {f"flight_date on or after the run date {second_day} (future-dated)"}
    assert (result.valid["flight_date"].dt.date < second_day).all()


def test_a_column_of_the_wrong_type_is_a_structural_break(flights: pd.DataFrame) -> None:
    flights["distance"] = "far"

    with pytest.raises(PipelineError) as raised:
        split_valid_rows(flights, HistoryFlights, "history")

    assert str(raised.value) == (
        "the history set does not have the expected structure: distance: coerce_dtype('float64') (far): "
        "fix the warehouse tables or the query in sql/"
    )


def test_a_window_with_one_outcome_cannot_train(flights: pd.DataFrame) -> None:
    check_both_outcomes(flights)
    flights["disrupted"] = True

    with pytest.raises(PipelineError, match=r"^every one of the 20 valid history flights is disrupted: "):
        check_both_outcomes(flights)
