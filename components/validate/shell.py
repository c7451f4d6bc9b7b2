"""Validate: scoring and history sets through their schemas; bad rows to quarantine; a report of every rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from components.common.logging import get_logger
from components.common.parquet import read_frame, remove_stray_temporaries, write_table
from components.schemas import Quarantine, RawHistory, RawScoring, ValidatedHistory, ValidatedScoring
from components.validate.core import (
    ValidationResult,
    check_both_outcomes,
    check_quarantine_share,
    check_single_day,
    split_valid_rows,
)


def _validated(
    flights: pd.DataFrame, schema: Any, dataset: str, limit: float, before: dt.date | None
) -> ValidationResult:
    result = split_valid_rows(flights, schema, dataset, before=before)
    log = get_logger()
    for rule in result.report["broken_rules"]:
        log.warning("%s: %d row(s) break '%s', e.g. %s", dataset, rule["rows"], rule["rule"], rule["examples"])
    check_quarantine_share(dataset, len(result.quarantine), len(flights), limit)
    log.info(
        "%s: %d valid, %d quarantined of %d rows", dataset, len(result.valid), len(result.quarantine), len(flights)
    )
    for column, count in result.masked_readings.items():
        log.warning("%s: masked %d implausible %s reading(s) as missing", dataset, count, column)
    for defect, count in result.report["known_defects"].items():
        if count:
            log.info("%s: known defect kept on purpose: %s = %d", dataset, defect, count)
    return result


def _run_day(scoring: pd.DataFrame) -> dt.date | None:
    """The day the scoring set is about (its first), or ``None`` when it can't tell (validation says why)."""
    if scoring.empty or "flight_date" not in scoring:
        return None
    dates = pd.to_datetime(scoring["flight_date"], errors="coerce").dropna()
    return dates.min().date() if len(dates) else None


def run(
    history_path: Path | None,
    scoring_path: Path,
    valid_history_path: Path | None,
    valid_scoring_path: Path,
    quarantine_path: Path,
    max_quarantine_share: float,
) -> dict[str, Any]:
    """Validate both sets; write valid rows and the quarantine, or fail with one line and write nothing.

    History rows dated on or after the scoring set's day (the run date) are future-dated and quarantined.
    """
    for folder in {p.parent for p in (valid_history_path, valid_scoring_path, quarantine_path) if p is not None}:
        remove_stray_temporaries(folder)  # a killed predecessor's half-written files
    scoring: pd.DataFrame = read_frame(scoring_path, "scoring flights")
    results: dict[str, ValidationResult] = {}
    if history_path is not None:
        history: pd.DataFrame = read_frame(history_path, "history flights")
        results["history"] = _validated(history, RawHistory, "history", max_quarantine_share, _run_day(scoring))
        check_both_outcomes(results["history"].valid)
    results["scoring"] = _validated(scoring, RawScoring, "scoring", max_quarantine_share, None)
    check_single_day(results["scoring"].valid)
    quarantine = Quarantine.validate(pd.concat([r.quarantine for r in results.values()], ignore_index=True))
    if history_path is not None and valid_history_path is not None:
        valid_history = ValidatedHistory.validate(results["history"].valid, lazy=True)
        write_table(pa.Table.from_pandas(valid_history, preserve_index=False), valid_history_path)
    valid_scoring = ValidatedScoring.validate(results["scoring"].valid, lazy=True)
    write_table(pa.Table.from_pandas(valid_scoring, preserve_index=False), valid_scoring_path)
    write_table(pa.Table.from_pandas(quarantine, preserve_index=False), quarantine_path)
    return {
        "valid_rows": {name: len(r.valid) for name, r in results.items()},
        "quarantined_rows": {name: len(r.quarantine) for name, r in results.items()},
        "masked_readings": {name: r.masked_readings for name, r in results.items() if r.masked_readings},
        "quarantine_reasons": quarantine["reason"].value_counts().head(5).to_dict(),
        "validation_report": {name: r.report for name, r in results.items()},
    }
