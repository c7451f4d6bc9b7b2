"""Validate: history and scoring sets through their schemas; bad rows to quarantine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from components.common.logging import get_logger
from components.common.parquet import read_frame, write_table
from components.schemas import HistoryFlights, Quarantine, ScoringFlights
from components.validate.core import ValidationResult, check_quarantine_share, check_single_day, split_valid_rows


def _frame(path: Path, what: str) -> pd.DataFrame:
    frame: pd.DataFrame = read_frame(path, what)
    return frame


def _validated(path: Path, schema: Any, dataset: str, limit: float) -> ValidationResult:
    flights = _frame(path, f"{dataset} flights")
    result = split_valid_rows(flights, schema, dataset)
    check_quarantine_share(dataset, len(result.quarantine), len(flights), limit)
    log = get_logger()
    log.info(
        "%s: %d valid, %d quarantined of %d rows", dataset, len(result.valid), len(result.quarantine), len(flights)
    )
    for column, count in result.masked_readings.items():
        log.warning("%s: masked %d implausible %s reading(s) as missing", dataset, count, column)
    return result


def run(
    history_path: Path | None,
    scoring_path: Path,
    valid_history_path: Path | None,
    valid_scoring_path: Path,
    quarantine_path: Path,
    max_quarantine_share: float,
) -> dict[str, Any]:
    """Validate both sets; write valid rows and the quarantine, or fail with one line and write nothing."""
    results: dict[str, ValidationResult] = {}
    if history_path is not None:
        results["history"] = _validated(history_path, HistoryFlights, "history", max_quarantine_share)
    results["scoring"] = _validated(scoring_path, ScoringFlights, "scoring", max_quarantine_share)
    check_single_day(results["scoring"].valid)
    quarantine = Quarantine.validate(pd.concat([r.quarantine for r in results.values()], ignore_index=True))
    if history_path is not None and valid_history_path is not None:
        write_table(pa.Table.from_pandas(results["history"].valid, preserve_index=False), valid_history_path)
    write_table(pa.Table.from_pandas(results["scoring"].valid, preserve_index=False), valid_scoring_path)
    write_table(pa.Table.from_pandas(quarantine, preserve_index=False), quarantine_path)
    return {
        "valid_rows": {name: len(r.valid) for name, r in results.items()},
        "quarantined_rows": {name: len(r.quarantine) for name, r in results.items()},
        "masked_readings": {name: r.masked_readings for name, r in results.items() if r.masked_readings},
        "quarantine_reasons": quarantine["reason"].value_counts().head(5).to_dict(),
    }
