"""Monitor's checks: the scored day's statistics against bounds calibrated on the champion's training window, and
yesterday's outcomes against the promotion floor and the window's day-to-day disruption rate.

Every bound comes from how much the statistic moved from day to day inside the window (its daily values, saved with
the model by :func:`components.features.profile.profile_features`); ``max`` and ``min`` are over those days:

* ``psi`` (flight-level drift): above ``2 * max + 0.05``. The window's largest daily PSI is sampling noise and the
  weekday mix; doubled, with a floor for windows whose days barely differ.
* ``daily_mean`` (day-level drift): outside ``[min - 2w, max + 2w]``, ``w`` the width of the window's daily means.
  Weather moves with the season and with storms, so only a gross departure (a unit or an offset) is an alarm.
* ``daily_spread`` (day-level drift): outside ``[min / 3, max * 3]``: a scale (a stuck sensor has no spread).
* ``null_share``, ``out_of_range_share`` (quality): above ``1.5 * max + 0.05``; one missing hour of one airport's
  weather is about 4 % of a day's flights, routine.
* ``unseen_categories``, ``off_grid_share`` (quality): above ``1.5 * max + 0.02``; both are 0 on almost every day,
  so a new code on 2 % of the flights, or readings in another unit, is an alarm on its first day.
* ``roc_auc_floor`` (outcome): yesterday's ROC AUC below the promotion floor (``promote.min_roc_auc``) by more than
  its own sampling noise: the one-sided 95 % upper bound ``auc + 1.645 * se`` (Hanley and McNeil's standard error
  for its numbers of disrupted and other flights) is below the floor. One day's AUC on ~900 flights has a standard
  error of about 0.02; judged raw, the floor fired on a quarter of the clean 2013 days.
* ``rate_vs_predicted`` (outcome): yesterday's observed disruption rate outside the predicted rate
  ``+- 2 * sqrt(p (1 - p) / n + tau^2)``, ``tau^2`` the window's day-to-day variance of the daily rate beyond the
  binomial (method of moments, at least 0): a model that explained nothing of the day's variation would be outside
  on about 5 % of days.

Measured on the clean 2013 replay, and against injected defects: ``scripts/monitoring_false_alarms.py``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from components.features.profile import REFERENCE_VERSION, day_statistics

Kind = Literal["drift", "quality", "outcome"]
KINDS: tuple[Kind, ...] = ("drift", "quality", "outcome")
CHECK_KINDS: dict[str, Kind] = {
    "psi": "drift",
    "daily_mean": "drift",
    "daily_spread": "drift",
    "null_share": "quality",
    "out_of_range_share": "quality",
    "off_grid_share": "quality",
    "unseen_categories": "quality",
}
RATE_Z = 2.0
AUC_Z = 1.645  # one-sided 95 %: a day's AUC is "below the floor" only when its upper bound is
TAG_LIMIT = 8000  # MLflow's limit on a tag's value, in characters
_SHARE_FLOOR = {"null_share": 0.05, "out_of_range_share": 0.05, "unseen_categories": 0.02, "off_grid_share": 0.02}
_WHAT = {
    "psi": "distribution moved (PSI {value:.3f})",
    "daily_mean": "the day's mean is {value:.4g}",
    "daily_spread": "the day's spread (standard deviation) is {value:.4g}",
    "null_share": "{value:.1%} of the flights have no value",
    "out_of_range_share": "{value:.1%} of the values are far outside the training window's range",
    "off_grid_share": "{value:.1%} of the values are off the training window's grid of readings (a unit changed?)",
    "unseen_categories": "{value:.1%} of the flights are in categories the training window never saw",
}


class Alert(BaseModel):
    """One thing that is wrong: which kind of check, on which input, how far past which bound, in one line."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Kind
    input: str
    check: str
    value: float
    bound: float
    message: str


def bounds(check: str, daily: Any) -> tuple[float | None, float | None]:
    """The (low, high) bound of one statistic from its daily values over the window (``None``: no bound)."""
    values = np.asarray(daily, dtype="float64")
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None, None
    low, high = float(values.min()), float(values.max())
    if check == "psi":
        return None, 2 * high + 0.05
    if check == "daily_mean":
        return low - 2 * (high - low), high + 2 * (high - low)
    if check == "daily_spread":
        return (low / 3 if low > 0 else None), 3 * high
    return None, 1.5 * high + _SHARE_FLOOR[check]


def _message(column: str, check: str, value: float, low: float | None, high: float | None, extra: str) -> str:
    shown = f"[{low:.4g}, {high:.4g}]" if low is not None and high is not None else f"{high:.4g}"
    bound = f"{high:.1%}" if check in _SHARE_FLOOR and high is not None else shown
    return f"{column}: {_WHAT[check].format(value=value)}{extra}; bound {bound}, from the training window's days"


def _new_categories(reference: Mapping[str, Any], features: pd.DataFrame, column: str) -> str:
    known = set(reference["inputs"][column]["shares"])
    new = sorted(set(features[column].dropna().astype(str)) - known)
    return f": {', '.join(new[:3])}{', ...' if len(new) > 3 else ''}" if new else ""


def _alert(reference: Mapping[str, Any], features: pd.DataFrame, row: Mapping[Any, Any]) -> Alert:
    """The alert of one statistic outside its bounds."""
    column, check, value = str(row["input"]), str(row["check"]), float(row["value"])
    low, high = (None if math.isnan(row[side]) else float(row[side]) for side in ("low", "high"))
    crossed = high if high is not None and value > high else low
    extra = _new_categories(reference, features, column) if check == "unseen_categories" else ""
    return Alert(
        kind=CHECK_KINDS[check], input=column, check=check, value=value,
        bound=crossed if crossed is not None else math.nan, message=_message(column, check, value, low, high, extra),
    )  # fmt: skip


def judge_day(reference: Mapping[str, Any], features: pd.DataFrame) -> tuple[pd.DataFrame, list[Alert]]:
    """Every input's statistics of the day with their bounds (the ``Drift`` table), and the alerts they raise."""
    columns = ["input", "level", "kind", "check", "value", "low", "high", "alert"]
    if reference.get("version") != REFERENCE_VERSION:
        return pd.DataFrame(columns=columns), []
    table = day_statistics(reference, features)
    limits = [
        bounds(check, reference["inputs"][column]["daily"][check])
        for column, check in zip(table["input"], table["check"], strict=True)
    ]
    table["kind"] = table["check"].map(CHECK_KINDS)
    table["low"] = [math.nan if low is None else low for low, _ in limits]
    table["high"] = [math.nan if high is None else high for _, high in limits]
    table["alert"] = (table["value"] > table["high"]) | (table["value"] < table["low"])
    alerts = [_alert(reference, features, row) for row in table[table["alert"]].to_dict("records")]
    return table.loc[:, columns], alerts


def overdispersion(reference: Mapping[str, Any]) -> float | None:
    """``tau^2``: the day-to-day variance of the window's disruption rate beyond the binomial (``None``: unknown)."""
    outcome = reference.get("outcome")
    if not outcome:
        return None
    rate, flights = (np.asarray(outcome[k], dtype="float64") for k in ("disrupted_rate", "flights"))
    keep = np.isfinite(rate) & (flights > 0)
    if keep.sum() < 2:
        return None
    rate, flights = rate[keep], flights[keep]
    mean = float(np.average(rate, weights=flights))
    return max(0.0, float(np.var(rate, ddof=1)) - float(np.mean(mean * (1 - mean) / flights)))


def auc_standard_error(auc: float, positives: float, negatives: float) -> float:
    """Hanley and McNeil (1982): the standard error of a ROC AUC measured on so many positives and negatives."""
    if positives < 1 or negatives < 1:
        return math.inf
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)
    return math.sqrt(max(variance, 0.0) / (positives * negatives))


def judge_outcomes(outcomes: Mapping[str, Any] | None, reference: Mapping[str, Any], floor: float) -> list[Alert]:
    """Yesterday's predictions against what happened: its ROC AUC against the floor, its rate against the band."""
    if not outcomes or not outcomes.get("flights"):
        return []
    alerts = []
    auc, observed = outcomes.get("roc_auc"), outcomes.get("observed_rate")
    upper = None if auc is None or observed is None else auc + AUC_Z * auc_standard_error(
        auc, observed * outcomes["flights"], (1 - observed) * outcomes["flights"])  # fmt: skip
    if auc is not None and upper is not None and upper < floor:
        message = (
            f"p_disrupted: yesterday's ROC AUC {auc:.3f} is below the promotion floor {floor:.3f}, beyond its noise "
            f"(95 % upper bound {upper:.3f} on {outcomes['flights']} flights)"
        )
        alerts.append(Alert(kind="outcome", input="p_disrupted", check="roc_auc_floor", value=auc, bound=floor,
                            message=message))  # fmt: skip
    predicted, tau2 = outcomes.get("mean_predicted"), overdispersion(reference)
    if observed is None or predicted is None or tau2 is None:
        return alerts
    width = RATE_Z * math.sqrt(predicted * (1 - predicted) / outcomes["flights"] + tau2)
    if abs(observed - predicted) > width:
        bound = predicted + math.copysign(width, observed - predicted)
        message = (
            f"disrupted: yesterday {observed:.1%} of {outcomes['flights']} flights were disrupted, {predicted:.1%} "
            f"predicted; outside the band {max(predicted - width, 0):.1%}-{min(predicted + width, 1):.1%} "
            "from the training window's day-to-day spread"
        )
        alerts.append(Alert(kind="outcome", input="disrupted", check="rate_vs_predicted", value=observed, bound=bound,
                            message=message))  # fmt: skip
    return alerts


def count_alerts(alerts: list[Alert]) -> dict[str, int]:
    """How many alerts of each kind: ``alerts_drift``, ``alerts_quality``, ``alerts_outcome``."""
    return {f"alerts_{kind}": sum(alert.kind == kind for alert in alerts) for kind in KINDS}


def alerts_tag(alerts: list[Alert], limit: int = TAG_LIMIT) -> str:
    """The alerts as a JSON list for the run's ``alerts`` tag, within MLflow's limit on a tag.

    Messages are cut to 300 characters; if the list is still too long, alerts are dropped from its end and a last
    entry (``check`` ``truncated``, of the first dropped alert's kind) says how many more the warehouse table holds.
    """
    entries = [alert.model_dump() | {"message": alert.message[:300]} for alert in alerts]
    kept, text = len(entries), json.dumps(entries)
    while len(text) > limit and kept > 0:
        kept -= 1
        dropped = len(entries) - kept
        more = {
            "kind": entries[kept]["kind"], "input": "(more)", "check": "truncated", "value": dropped, "bound": 0.0,
            "message": f"{dropped} more alert(s) in the flight_monitoring table",
        }  # fmt: skip
        text = json.dumps([*entries[:kept], more])
    return text
