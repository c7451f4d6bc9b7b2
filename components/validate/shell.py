"""Validate: scoring and history sets through their schemas; bad rows to quarantine; a report of every rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, Field

from components.common.artifacts import read_frame, write_table
from components.common.config import ValidateSettings
from components.common.files import remove_stray_temporaries
from components.common.logging import get_logger
from components.common.stage import InputFile, OutputFile, StageReport, StageRequest
from components.schemas import Quarantine, RawHistory, RawScoring, ValidatedHistory, ValidatedScoring
from components.validate.core import (
    ValidationResult,
    check_both_outcomes,
    check_quarantine_share,
    check_single_day,
    split_valid_rows,
)


class Request(StageRequest):
    """The ingested history and scoring set in; their valid rows and the quarantine out."""

    validate_: ValidateSettings = Field(ValidateSettings(), alias="validate")
    history: InputFile
    scoring: InputFile
    valid_history: OutputFile
    valid_scoring: OutputFile
    quarantine: OutputFile


class BrokenRule(BaseModel):
    """One row rule that rows broke, how many, and a few of their flight ids."""

    rule: str
    rows: int
    examples: list[str]


class DatasetReport(BaseModel):
    """The lazy validation of one set: every broken rule, what was masked, the known defects met on purpose."""

    dataset: str
    rows: int
    quarantined: int
    broken_rules: list[BrokenRule]
    masked_readings: dict[str, int]
    known_defects: dict[str, int]


class Report(StageReport):
    """Valid and quarantined rows per set, the most common quarantine reasons, and each set's validation report."""

    valid_rows: dict[str, int]
    quarantined_rows: dict[str, int]
    masked_readings: dict[str, dict[str, int]]
    quarantine_reasons: dict[str, int]
    validation_report: dict[str, DatasetReport]


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


def run(request: Request) -> Report:
    """Validate both sets; write valid rows and the quarantine, or fail with one line and write nothing.

    History rows dated on or after the run date are future-dated and quarantined.
    """
    limit = request.validate_.max_quarantine_share
    for folder in {request.valid_history.parent, request.valid_scoring.parent, request.quarantine.parent}:
        remove_stray_temporaries(folder)  # a killed predecessor's half-written files
    scoring: pd.DataFrame = read_frame(request.scoring, "scoring flights")
    history: pd.DataFrame = read_frame(request.history, "history flights")
    results = {
        "history": _validated(history, RawHistory, "history", limit, request.run_date),
        "scoring": _validated(scoring, RawScoring, "scoring", limit, None),
    }
    check_both_outcomes(results["history"].valid)
    check_single_day(results["scoring"].valid, request.run_date)
    quarantine = Quarantine.validate(pd.concat([r.quarantine for r in results.values()], ignore_index=True))
    valid_history = ValidatedHistory.validate(results["history"].valid, lazy=True)
    valid_scoring = ValidatedScoring.validate(results["scoring"].valid, lazy=True)
    write_table(pa.Table.from_pandas(valid_history, preserve_index=False), request.valid_history)
    write_table(pa.Table.from_pandas(valid_scoring, preserve_index=False), request.valid_scoring)
    write_table(pa.Table.from_pandas(quarantine, preserve_index=False), request.quarantine)
    return Report(
        valid_rows={name: len(r.valid) for name, r in results.items()},
        quarantined_rows={name: len(r.quarantine) for name, r in results.items()},
        masked_readings={name: r.masked_readings for name, r in results.items() if r.masked_readings},
        quarantine_reasons={str(k): int(v) for k, v in quarantine["reason"].value_counts().head(5).items()},
        validation_report={name: DatasetReport.model_validate(r.report) for name, r in results.items()},
    )
