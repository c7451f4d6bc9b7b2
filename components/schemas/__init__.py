"""One pandera model per artifact that crosses a stage boundary.

Code names columns through these models (``ScoringFlights.carrier``), so a renamed column is one edit.
"""

from components.schemas.artifacts import (
    FeatureFrame,
    HistoryFlights,
    LabelledFeatures,
    Predictions,
    Quarantine,
    ScoringFlights,
)

__all__ = ["FeatureFrame", "HistoryFlights", "LabelledFeatures", "Predictions", "Quarantine", "ScoringFlights"]
