"""Scoring: one probability per scheduled flight, from the champion."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sklearn.pipeline import Pipeline

from components.train.core import predict_proba

IDENTITY_COLUMNS = ("flight_id", "carrier", "flight", "origin", "dest", "sched_dep_time")


def score_flights(
    model: Pipeline, features: pd.DataFrame, flights: pd.DataFrame, run_date: dt.date, model_version: str
) -> pd.DataFrame:
    """Predictions for the run date, with the flight's identity so a person can read them."""
    scored = pd.DataFrame({"flight_id": features["flight_id"], "p_disrupted": predict_proba(model, features)})
    identity = flights.loc[:, list(IDENTITY_COLUMNS)]
    predictions = identity.merge(scored, on="flight_id", how="inner", validate="one_to_one")
    predictions.insert(0, "run_date", pd.Timestamp(run_date))
    predictions["model_version"] = model_version
    return predictions.sort_values("flight_id", ignore_index=True)


def riskiest(predictions: pd.DataFrame, count: int) -> pd.DataFrame:
    """The ``count`` flights most likely to be disrupted (ties broken by flight id)."""
    return predictions.sort_values(["p_disrupted", "flight_id"], ascending=[False, True]).head(count)
