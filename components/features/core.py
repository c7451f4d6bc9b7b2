"""Features shared by training and scoring: each is known at the scoring time of its flight's day.

The rule (``window.scoring_time``, 06:00 New York time by default): a flight scheduled on day d is described only
by what is known at the scoring time on d.

- The schedule of d and of earlier days: times, route, plane, the plane's rotation that day (its leg number, its
  legs, minutes since its previous scheduled departure) and congestion (flights scheduled from the origin in the
  hour and the day, and across New York in the hour). Ingest's SQL computes these from the schedule alone.
- Outcomes of days before d only: disruption rates over the ``window.rate_days`` days before d by carrier, route,
  origin and hour, tail number and destination, each smoothed towards New York's rate over the same days. See
  :class:`OutcomeHistory`. (The rates of d - 1 alone, New York's, the origin's and the carrier's, were measured and
  left out: the model learnt "a bad yesterday, a bad today" from the window, which cost it up to 0.016 of holdout
  ROC AUC; scripts/feature_study.py.)
- Weather: the latest reading at the origin whose hour is over at the scoring time on d (ingest's SQL).

No day-of-year or month: the holdout and the scored day always lie after the training window, so such a
feature is always out of its training range there and the trees extrapolate from the window's last days
(measured: it cost the model its Brier-score edge over the baseline in May, October and November).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from components.common.config import WindowSettings
from components.contracts import LABEL

CATEGORICAL_FEATURES = ("carrier", "origin", "dest", "plane_type", "plane_manufacturer", "plane_engine")
SCHEDULE_FEATURES = (
    "sched_dep_minutes",
    "sched_arr_minutes",
    "sched_block_minutes",
    "day_of_week",
    "distance",
)
PLANE_FEATURES = ("plane_age_years", "plane_engines", "plane_seats")
ROTATION_FEATURES = ("tail_leg", "tail_legs", "minutes_since_prev_leg")
CONGESTION_FEATURES = ("origin_hour_flights", "origin_day_flights", "nyc_hour_flights")
# Day-level inputs: every flight leaving an airport on a day shares one reading (monitor judges them by day).
WEATHER_FEATURES = ("temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib")
# Rates over the rate_days days before the flight's day, by these keys (smoothed towards New York's).
RATE_KEYS: dict[str, tuple[str, ...]] = {
    "carrier_rate": ("carrier",),
    "route_rate": ("origin", "dest"),
    "origin_hour_rate": ("origin", "hour"),
    "tail_rate": ("tailnum",),
    "dest_rate": ("dest",),
}
RATE_FEATURES = tuple(RATE_KEYS)
FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "schedule": SCHEDULE_FEATURES,
    "plane": PLANE_FEATURES,
    "rotation": ROTATION_FEATURES,
    "congestion": CONGESTION_FEATURES,
    "weather": (*WEATHER_FEATURES, "weather_known"),
    "rates": RATE_FEATURES,
}
NUMERIC_FEATURES = tuple(column for group in FEATURE_GROUPS.values() for column in group)
FEATURE_COLUMNS = CATEGORICAL_FEATURES + NUMERIC_FEATURES
# The columns of the history the rates are computed from.
OUTCOME_HISTORY_COLUMNS = ("flight_date", "carrier", "origin", "dest", "hour", "tailnum", LABEL)
RATE_SMOOTHING = 20.0  # pseudo-flights at New York's rate pulling a sparse key towards it


def clock_to_minutes(clock: pd.Series) -> pd.Series:
    """``HHMM`` clock times as minutes after midnight (2400 is midnight)."""
    numeric = pd.to_numeric(clock).astype("float64")
    return ((numeric // 100) * 60 + numeric % 100) % 1440


def _categorical(values: pd.Series) -> pd.Series:
    """Strings as objects, missing as NaN (the encoder inside the model rejects ``pd.NA``)."""
    return values.astype(object).where(values.notna(), np.nan)


class OutcomeHistory:
    """Daily flight and disruption counts by key, from the flights of days before the ones it describes.

    A flight on day d gets rates from days d - ``rate_days`` .. d - 1 only, whichever frame it comes in: the rates
    of a training row and of a scored row are computed the same way, and no outcome of d is ever read.
    """

    def __init__(self, history: pd.DataFrame, rate_days: int) -> None:
        self.rate_days = rate_days
        frame = history.loc[:, list(OUTCOME_HISTORY_COLUMNS)].copy()
        frame["flight_date"] = pd.to_datetime(frame["flight_date"]).astype("datetime64[ns]")
        frame["outcome"] = frame[LABEL].astype("float64")
        self._daily = {name: self._count(frame, keys) for name, keys in {**RATE_KEYS, "new_york": ()}.items()}

    @staticmethod
    def _count(frame: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
        """Flights (n) and disrupted flights (k) per key and day, with their running sums per key."""
        grouped = frame.dropna(subset=list(keys)).groupby([*keys, "flight_date"], sort=True)["outcome"]
        daily = grouped.agg(n="size", k="sum").reset_index()
        running = (daily.groupby(list(keys)) if keys else daily.groupby(lambda _: 0))[["n", "k"]].cumsum()
        daily["total_n"], daily["total_k"] = running["n"], running["k"]
        return daily

    def _totals_before(self, name: str, targets: pd.DataFrame, keys: tuple[str, ...], day: str) -> pd.DataFrame:
        """Running sums of ``name``'s counts over its days strictly before ``targets[day]`` (0 when none)."""
        daily = self._daily[name].sort_values("flight_date")
        merged = pd.merge_asof(
            targets.sort_values(day).reset_index(),
            daily[[*keys, "flight_date", "total_n", "total_k"]],
            left_on=day,
            right_on="flight_date",
            by=list(keys) or None,
            allow_exact_matches=False,
            direction="backward",
        )
        return merged.set_index("index").sort_index()[["total_n", "total_k"]].fillna(0.0)

    def _window_counts(self, name: str, targets: pd.DataFrame, keys: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """(flights, disrupted) of ``name``'s key over the rate_days days before each target's day."""
        until = self._totals_before(name, targets, keys, "flight_date")
        since = self._totals_before(name, targets, keys, "window_start")
        return (until["total_n"] - since["total_n"]).to_numpy(), (until["total_k"] - since["total_k"]).to_numpy()

    def rates(self, flights: pd.DataFrame) -> pd.DataFrame:
        """Every rate feature of each flight, from the days before its own (NaN where no flight of the key flew)."""
        targets = flights.loc[:, [c for c in OUTCOME_HISTORY_COLUMNS if c != LABEL]].copy()
        targets["flight_date"] = pd.to_datetime(targets["flight_date"]).astype("datetime64[ns]")
        targets["window_start"] = targets["flight_date"] - pd.Timedelta(days=self.rate_days)
        targets = targets.reset_index(drop=True)
        n, k = self._window_counts("new_york", targets, ())
        prior = np.divide(k, n, out=np.full(len(n), np.nan), where=n > 0)
        out = pd.DataFrame(index=targets.index)
        for name, keys in RATE_KEYS.items():
            known = targets[list(keys)].notna().all(axis=1)
            n, k = self._window_counts(name, targets[known], keys)
            out.loc[known, name] = (k + RATE_SMOOTHING * prior[known]) / (n + RATE_SMOOTHING)
        return out.astype("float64").reindex(columns=list(RATE_FEATURES))


def build_features(flights: pd.DataFrame, history: OutcomeHistory | None = None) -> pd.DataFrame:
    """Model inputs for each flight, keyed by ``flight_id``; the label comes along when present.

    The rates come from ``history`` (the features stage passes the whole validated history); without one, from
    the flights themselves when they carry outcomes (each row still reads only days before its own), else none.
    """
    if history is None:
        labelled = flights if LABEL in flights.columns else flights.assign(**{LABEL: False}).iloc[:0]
        history = OutcomeHistory(labelled, WindowSettings().rate_days)
    departure = clock_to_minutes(flights["sched_dep_time"])
    arrival = clock_to_minutes(flights["sched_arr_time"])
    previous = clock_to_minutes(flights["tail_prev_sched_dep_time"].astype("float64"))
    flight_date = pd.to_datetime(flights["flight_date"])
    features = pd.DataFrame(
        {
            "flight_id": flights["flight_id"].astype(str),
            "flight_date": flight_date,
            **{column: _categorical(flights[column]) for column in CATEGORICAL_FEATURES},
            "sched_dep_minutes": departure,
            "sched_arr_minutes": arrival,
            "sched_block_minutes": (arrival - departure) % 1440,
            "day_of_week": flight_date.dt.day_of_week.astype("float64"),
            "distance": flights["distance"].astype("float64"),
            "plane_age_years": flight_date.dt.year.astype("float64") - flights["plane_year"].astype("float64"),
            "plane_engines": flights["plane_engines"].astype("float64"),
            "plane_seats": flights["plane_seats"].astype("float64"),
            "tail_leg": flights["tail_leg"].astype("float64"),
            "tail_legs": flights["tail_legs"].astype("float64"),
            "minutes_since_prev_leg": departure - previous,
            **{column: flights[column].astype("float64") for column in CONGESTION_FEATURES},
            **{column: flights[column].astype("float64") for column in WEATHER_FEATURES},
            "weather_known": flights["temp"].notna().astype("float64"),
        },
        index=flights.index,
    ).reset_index(drop=True)
    features = pd.concat([features, history.rates(flights)], axis=1)
    if LABEL in flights.columns:
        features[LABEL] = flights[LABEL].astype(bool).to_numpy()
    return features.loc[:, ["flight_id", "flight_date", *FEATURE_COLUMNS, *([LABEL] if LABEL in flights else [])]]
