"""Golden predictions: two consecutive days on the local runner give, to the last bit, the predictions the code gave
when the file was written (tests/golden/, with configs/local.yaml). Last written for issue 14's model: features known
at the scoring time, time-aware rates, the refit on the whole window. On 2013-06-15 the baseline serves (the first
challenger does not beat it on its holdout); on 2013-06-16 the challenger's refit does.

A deliberate change to the model, its features or its data changes these numbers: regenerate the file then, in the
same commit, and say why in its message. Anything else that changes them is a regression.
"""

from pathlib import Path
from typing import Any

import duckdb

GOLDEN = Path(__file__).parents[1] / "golden" / "predictions_2013-06-15_2013-06-16.csv"


def _golden() -> list[tuple[str, str, float]]:
    lines = GOLDEN.read_text().splitlines()
    assert lines[0] == "run_date,flight_id,p_disrupted"
    return [(day, flight, float.fromhex(p)) for day, flight, p in (line.split(",") for line in lines[1:])]


def test_two_consecutive_days_give_the_golden_predictions_bit_for_bit(backfilled: dict[str, Any]) -> None:
    with duckdb.connect(str(backfilled["warehouse"]), read_only=True) as connection:
        rows = connection.execute(
            "SELECT CAST(run_date AS VARCHAR), flight_id, p_disrupted FROM flight_predictions "
            "WHERE run_date IN ('2013-06-15', '2013-06-16') ORDER BY 1, 2"
        ).fetchall()
    golden = _golden()
    assert len(rows) == len(golden) == 1719
    mismatches = [(got, want) for got, want in zip(rows, golden, strict=True) if got != want]
    assert mismatches == [], f"{len(mismatches)} predictions differ, e.g. {mismatches[:3]}"
