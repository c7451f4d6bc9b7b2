"""``python -m bench.check build/bench.json``: the benchmark ran and wrote well-formed records (never timings).

Fails (exit 1, one line) when the file is missing or unreadable, has no measured records, or a record lacks a
required field. CI runs it after ``make bench-smoke``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REQUIRED = ("name", "value", "unit", "baseline", "ratio", "peak_rss_mb")
# Each section of the smoke run leaves at least one measured record whose name starts with one of these.
SECTIONS = ("start-up ", "daily run ", "replay ", "ingest ", "validate ", "train ", "score ")


def problems(document: Any) -> list[str]:
    """What is wrong with a benchmark document (empty when it is fine)."""
    if not isinstance(document, dict) or not isinstance(document.get("records"), list):
        return ["no 'records' list"]
    found = []
    for index, record in enumerate(document["records"]):
        missing = [field for field in REQUIRED if not isinstance(record, dict) or field not in record]
        if missing:
            found.append(f"record {index} lacks {', '.join(missing)}")
    measured = [r for r in document["records"] if isinstance(r, dict) and r.get("value") is not None]
    for section in SECTIONS:
        if not any(str(r.get("name", "")).startswith(section) for r in measured):
            found.append(f"no measured '{section.strip()}' record")
    return found


def main(argv: list[str] | None = None) -> int:
    """Check one benchmark JSON file."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0] if args else "build/bench.json")
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        print(f"benchmark output {path} is not readable JSON ({error}): run `make bench-smoke`", file=sys.stderr)
        return 1
    found = problems(document)
    if found:
        print(f"benchmark output {path} is incomplete: {'; '.join(found)}", file=sys.stderr)
        return 1
    measured = sum(1 for r in document["records"] if r.get("value") is not None)
    print(f"benchmark output {path}: {measured} measured records, {len(document['records']) - measured} skipped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
