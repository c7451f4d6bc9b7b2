"""Monitoring: yesterday's predictions against outcomes (drift is measured with :mod:`components.features.profile`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from components.common.metrics import brier_score, roc_auc


def check_outcomes(predictions: pd.DataFrame, outcomes: pd.DataFrame) -> dict[str, Any]:
    """How a day's predictions did against what happened (flights matched by ``flight_id``)."""
    joined = predictions.merge(outcomes, on="flight_id", how="inner")
    result: dict[str, Any] = {
        "flights": len(joined),
        "observed_rate": float(joined["disrupted"].mean()) if len(joined) else None,
        "mean_predicted": float(joined["p_disrupted"].mean()) if len(joined) else None,
        "roc_auc": None,
        "brier": None,
    }
    if len(joined) and joined["disrupted"].nunique() == 2:
        result["roc_auc"] = roc_auc(joined["disrupted"].to_numpy(dtype=bool), joined["p_disrupted"].to_numpy())
    if len(joined):
        result["brier"] = brier_score(joined["disrupted"].to_numpy(dtype=float), joined["p_disrupted"].to_numpy())
    return result
