"""``python -m bench.table build/bench.json [more.json ...]``: the records as a Markdown table (for the README)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.__main__ import _fmt


def render(paths: list[Path]) -> str:
    """One Markdown table of every measured record in the given benchmark files, in order."""
    lines = ["| measurement | value | unit | baseline | ratio | peak RSS MB |", "|---|---:|---|---:|---:|---:|"]
    for path in paths:
        for record in json.loads(path.read_text())["records"]:
            if record.get("value") is None:
                continue
            cells = [record["name"].strip(), *(_fmt(record[k]) for k in ("value", "unit", "baseline", "ratio"))]
            lines.append("| " + " | ".join([*cells, _fmt(record["peak_rss_mb"])]) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render([Path(p) for p in sys.argv[1:]] or [Path("build/bench.json")]))
