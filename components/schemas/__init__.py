"""One pandera model per artifact that crosses a stage boundary.

Code names columns through these models (``ScoringFlights.carrier``), so a renamed column is one edit.
"""

from components.schemas.artifacts import (
    KNOWN_CARRIERS,
    NYC_ORIGINS,
    Drift,
    FeatureFrame,
    HistoryFlights,
    LabelledFeatures,
    MonitoringHistory,
    Predictions,
    Quarantine,
    RawHistory,
    RawScoring,
    ScoringFlights,
    ValidatedHistory,
    ValidatedScoring,
)

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
