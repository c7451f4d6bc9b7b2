"""Feature profiles: how each model input looks day by day over a window, the reference a scored day is judged by.

Train and evaluate save ``profile_features(train)`` with every model (``reference.json``, about 60 KB); monitor
computes the same statistics for the scored day (:func:`day_statistics`) and compares each with how much that
statistic moves from day to day inside the window (the bounds are monitor's: :mod:`components.monitor.checks`).
Per input, for every day of the window:

* flight-level numbers (schedule minutes, distance, plane age, engines, seats): ``psi``, the population stability
  index of the day's values against the window's deciles. Categories (carrier, origin, dest, plane_*): ``psi``
  against the window's category shares, and ``unseen_categories``, the share of the day's flights in a category
  that no other day of the window has.
* day-level inputs (the weather: a day's flights share a few hourly readings per airport, so its distribution moves
  as a whole from day to day, and a one-day PSI against the window is always large): ``daily_mean`` and
  ``daily_spread`` (standard deviation) over the day's flights.
* every numeric input: ``out_of_range_share``, beyond the other days' [min, max] by more than its width
  (``RANGE_MARGIN``); ``off_grid_share`` for readings on a grid (wind in knots shown in mph: multiples of 1.15078;
  temperatures in tenths of a degree Celsius shown in Fahrenheit: 32 + 0.18 k; schedule minutes, seats, miles:
  whole numbers), the share of the day's values off the grid the other days' values lie on. A changed unit or
  resolution moves values off it, in range or not. The grid is the greatest common divisor of the values'
  differences at the fewest decimals that hold them all; visibility (statute-mile steps) has none.
* every input: ``null_share``.
* with the label: each day's disruption rate and number of flights (the outcome check's day-to-day overdispersion).

A window day's statistics leave that day out where it matters (the range, the grid and the categories are the other
days'), so each is what the check would have said of that day. ``weather_known`` (the weather's null share) and
``day_of_week`` (one day against a window always "drifts" on the calendar) are not monitored, nor are the rates of
earlier days (``RATE_FEATURES``): computed from validated outcomes, they move with the
season by design, and the outcome check watches what they summarize.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from components.contracts import LABEL
from components.features.core import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    RATE_FEATURES,
    WEATHER_FEATURES,
)

REFERENCE_VERSION = 2  # version 1 (before calibrated monitoring) held the window's decile shares only
UNMONITORED = ("day_of_week", "weather_known", *RATE_FEATURES)
DAY_LEVEL = WEATHER_FEATURES
FLIGHT_NUMERIC = tuple(c for c in NUMERIC_FEATURES if c not in DAY_LEVEL + UNMONITORED)
FLIGHT_CATEGORICAL = CATEGORICAL_FEATURES
RANGE_MARGIN = 1.0  # out of range: beyond the window's [min, max] by more than its width
# Visibility is reported in statute-mile steps that are no lattice (1/16, 1/8, 1/4, ..., 2, 2.5, 3, 4, ..., 10): a
# foggy day's 1/16 is no unit change.
_NOT_A_GRID = ("visib",)
_MAX_DECIMALS = 6  # readings with more decimals than this are not on a grid
_BINS = 10
_FLOOR = 1e-4  # keeps PSI finite when a bin is empty on one side
_DIGITS = 4  # significant digits of the daily figures stored: enough for a bound, and the reference stays small


def _per_day(day: np.ndarray, days: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(day, weights=weights, minlength=days).astype("float64")


def _counts(day: np.ndarray, code: np.ndarray, days: int, width: int) -> np.ndarray:
    """A days x ``width`` matrix: how many of each day's values fall in each bin, category or grid value."""
    return np.bincount(day * width + code, minlength=days * width).reshape(days, width)


def _shares(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(whole > 0, part / np.maximum(whole, 1), np.nan)


def _psi(expected: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """PSI of each row of ``counts`` against the ``expected`` shares (NaN for a row without values)."""
    totals = counts.sum(axis=1, keepdims=True)
    actual = np.maximum(counts / np.maximum(totals, 1), _FLOOR)
    expected = np.maximum(np.asarray(expected, dtype="float64"), _FLOOR)
    psi = ((actual - expected) * np.log(actual / expected)).sum(axis=1)
    return np.where(totals[:, 0] > 0, psi, np.nan)


def _without_each(values: np.ndarray, reduce: Any) -> np.ndarray:
    """``reduce`` of the other days' values, for each day (the leave-one-day-out range; NaN if they have none)."""
    others = (np.delete(values, index) for index in range(values.size))
    return np.array([reduce(rest) if np.isfinite(rest).any() else np.nan for rest in others], dtype="float64")


def _widened(low: Any, high: Any) -> tuple[Any, Any]:
    margin = RANGE_MARGIN * (np.asarray(high) - np.asarray(low))
    return low - margin, high + margin


def _grid(values: np.ndarray) -> dict[str, int] | None:
    """The grid the readings lie on: ``origin + k * step`` in units of ``10**-decimals`` (None: no such grid).

    The step is the greatest common divisor of the values' differences at the fewest decimals that hold them all.
    """
    for decimals in range(_MAX_DECIMALS + 1):
        scaled = values * 10.0**decimals
        whole = np.rint(scaled)
        if np.all(np.abs(scaled - whole) <= 1e-6 * np.maximum(1.0, np.abs(scaled))):
            units = whole.astype(np.int64)
            origin = int(units.min())
            return {"decimals": decimals, "origin": origin, "step": int(np.gcd.reduce(units - origin))}
    return None


def _grid_units(values: np.ndarray, grid: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Values in grid units from the origin, and whether each is a whole number of them."""
    scaled = values * 10.0 ** grid["decimals"]
    whole = np.rint(scaled)
    exact = np.abs(scaled - whole) <= 1e-6 * np.maximum(1.0, np.abs(scaled))
    return whole.astype(np.int64) - grid["origin"], exact


def _numeric_profile(column: str, values: np.ndarray, day: np.ndarray, days: int) -> dict[str, Any]:
    known = ~np.isnan(values)
    value, on = values[known], day[known]
    seen = _per_day(on, days)
    daily: dict[str, Any] = {"null_share": 1 - _shares(seen, _per_day(day, days))}
    grouped = pd.Series(value).groupby(on)
    low = grouped.min().reindex(range(days)).to_numpy(dtype="float64")
    high = grouped.max().reindex(range(days)).to_numpy(dtype="float64")
    wide_low, wide_high = _widened(_without_each(low, np.nanmin), _without_each(high, np.nanmax))
    outside = (value < wide_low[on]) | (value > wide_high[on])
    daily["out_of_range_share"] = _shares(_per_day(on, days, outside.astype("float64")), seen)
    entry: dict[str, Any] = {"range": [float(value.min()), float(value.max())]}
    grid = _grid(value) if column not in _NOT_A_GRID else None
    if grid is not None and grid["step"] > 0:
        units, _ = _grid_units(value, grid)
        step_of_day = np.zeros(days, dtype=np.int64)
        np.gcd.at(step_of_day, on, units)
        others = np.array([np.gcd.reduce(np.delete(step_of_day, index)) for index in range(days)], dtype=np.int64)
        off = (units % np.maximum(others[on], 1) != 0) & (others[on] > 0)
        daily["off_grid_share"] = np.where(others > 0, _shares(_per_day(on, days, off.astype("float64")), seen), np.nan)
        entry["grid"] = grid
    if column in FLIGHT_NUMERIC:
        edges = np.unique(np.quantile(value, np.linspace(0, 1, _BINS + 1)[1:-1]))
        counts = _counts(on, np.searchsorted(edges, value, side="right"), days, edges.size + 1)
        shares = counts.sum(axis=0) / counts.sum()
        daily["psi"] = _psi(shares, counts)
        entry |= {"edges": edges.tolist(), "shares": shares.tolist()}
    else:
        daily["daily_mean"] = grouped.mean().reindex(range(days)).to_numpy()
        daily["daily_spread"] = grouped.std().reindex(range(days)).to_numpy()
    return entry | {"daily": daily}


def _categorical_profile(values: pd.Series, day: np.ndarray, days: int) -> dict[str, Any]:
    known = values.notna().to_numpy()
    code, categories = pd.factorize(values[known].astype(str), sort=True)
    on = day[known]
    seen = _per_day(on, days)
    counts = _counts(on, code, days, len(categories))
    shares = counts.sum(axis=0) / counts.sum()
    only_here = (counts == counts.sum(axis=0)) & (counts > 0)
    daily = {
        "null_share": 1 - _shares(seen, _per_day(day, days)),
        "psi": _psi(shares, counts),
        "unseen_categories": _shares((counts * only_here).sum(axis=1), seen),
    }
    rounded = [round(share, 6) for share in shares.tolist()]
    return {"shares": dict(zip(categories.tolist(), rounded, strict=True)), "daily": daily}


def _stored(entry: dict[str, Any]) -> dict[str, Any]:
    """Daily figures as JSON: rounded, NaN as ``null``."""
    daily = {
        check: [None if np.isnan(v) else float(f"{v:.{_DIGITS}g}") for v in np.asarray(series, dtype="float64")]
        for check, series in entry["daily"].items()
    }
    return entry | {"daily": daily}


def profile_features(features: pd.DataFrame) -> dict[str, Any]:
    """The reference a day is judged by: every monitored input's daily statistics over the window (see above)."""
    day_code, dates = pd.factorize(pd.to_datetime(features["flight_date"]), sort=True)
    days = len(dates)
    inputs: dict[str, Any] = {}
    for column in FLIGHT_NUMERIC + DAY_LEVEL:
        values = features[column].to_numpy(dtype="float64")
        if np.isnan(values).all():
            continue
        profile = _numeric_profile(column, values, day_code, days)
        level = "flight" if column in FLIGHT_NUMERIC else "day"
        inputs[column] = {"level": level, "kind": "numeric", **profile}
    for column in FLIGHT_CATEGORICAL:
        profile = _categorical_profile(features[column], day_code, days)
        inputs[column] = {"level": "flight", "kind": "categorical", **profile}
    reference: dict[str, Any] = {
        "version": REFERENCE_VERSION,
        "rows": len(features),
        "days": [str(dates.min().date()), str(dates.max().date())] if days else [],
        "inputs": {column: _stored(entry) for column, entry in inputs.items()},
    }
    if LABEL in features.columns:
        flights = _per_day(day_code, days)
        rate = _shares(_per_day(day_code, days, features[LABEL].to_numpy(dtype="float64")), flights)
        reference["outcome"] = _stored({"daily": {"flights": flights, "disrupted_rate": rate}})["daily"]
    return reference


def _numeric_statistics(entry: dict[str, Any], values: np.ndarray) -> Iterator[tuple[str, float]]:
    value = values[~np.isnan(values)]
    yield "null_share", 1 - value.size / values.size
    if value.size == 0:
        return
    low, high = entry["range"]
    wide_low, wide_high = _widened(low, high)
    yield "out_of_range_share", float(np.mean((value < wide_low) | (value > wide_high)))
    if "grid" in entry:
        units, exact = _grid_units(value, entry["grid"])
        yield "off_grid_share", float(np.mean(~exact | (units % entry["grid"]["step"] != 0)))
    if "edges" in entry:
        edges = np.asarray(entry["edges"], dtype="float64")
        counts = np.bincount(np.searchsorted(edges, value, side="right"), minlength=edges.size + 1)
        yield "psi", float(_psi(np.asarray(entry["shares"]), counts[None, :])[0])
    else:
        yield "daily_mean", float(value.mean())
        if value.size > 1:
            yield "daily_spread", float(value.std(ddof=1))


def _categorical_statistics(entry: dict[str, Any], values: pd.Series) -> Iterator[tuple[str, float]]:
    known = values[values.notna()].astype(str)
    yield "null_share", 1 - len(known) / len(values)
    if known.empty:
        return
    current = known.value_counts()
    categories = sorted(set(entry["shares"]) | set(current.index))
    expected = np.array([entry["shares"].get(c, 0.0) for c in categories])
    counts = np.array([current.get(c, 0) for c in categories])
    yield "psi", float(_psi(expected, counts[None, :])[0])
    yield "unseen_categories", float(current[~current.index.isin(list(entry["shares"]))].sum() / len(known))


def day_statistics(reference: Mapping[str, Any], features: pd.DataFrame) -> pd.DataFrame:
    """The scored day's statistics of every input the reference profiles: ``input``, ``level``, ``check``, ``value``."""
    rows = []
    for column, entry in reference["inputs"].items():
        if len(features) == 0:
            break
        statistics = (
            _categorical_statistics(entry, features[column])
            if entry["kind"] == "categorical"
            else _numeric_statistics(entry, features[column].to_numpy(dtype="float64"))
        )
        rows += [(column, entry["level"], check, value) for check, value in statistics]
    return pd.DataFrame(rows, columns=["input", "level", "check", "value"])
