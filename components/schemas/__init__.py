"""One pandera model per artifact that crosses a stage boundary (``artifacts``) and per warehouse table the pipeline
writes (``tables``: their DDL and Arrow schema are generated from the model).

Code names columns through these models (``ScoringFlights.carrier``), so a renamed column is one edit.
"""

from components.schemas.artifacts import (
    KNOWN_CARRIERS,
    NYC_ORIGINS,
    Drift,
    FeatureFrame,
    HistoryFlights,
    LabelledFeatures,
    Quarantine,
    RawHistory,
    RawScoring,
    ScoringFlights,
    ValidatedHistory,
    ValidatedScoring,
)
from components.schemas.tables import MonitoringHistory, Predictions

__all__ = [
    "KNOWN_CARRIERS",
    "NYC_ORIGINS",
    "Drift",
    "FeatureFrame",
    "HistoryFlights",
    "LabelledFeatures",
    "MonitoringHistory",
    "Predictions",
    "Quarantine",
    "RawHistory",
    "RawScoring",
    "ScoringFlights",
    "ValidatedHistory",
    "ValidatedScoring",
]
