"""Features: validated flights in, model inputs out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from components.common.logging import get_logger
from components.common.parquet import read_frame, write_table
from components.features.core import build_features
from components.schemas import FeatureFrame, HistoryFlights, LabelledFeatures, ScoringFlights


def _featurize(source: Path, target: Path, input_schema: Any, output_schema: Any, what: str) -> int:
    flights = read_frame(source, what, input_schema)
    features = output_schema.validate(build_features(flights), lazy=True)
    write_table(pa.Table.from_pandas(features, preserve_index=False), target)
    get_logger().info("%s: %d rows x %d features", what, len(features), features.shape[1])
    return len(features)


def run(
    valid_history_path: Path | None,
    valid_scoring_path: Path,
    history_features_path: Path | None,
    scoring_features_path: Path,
) -> dict[str, Any]:
    """Build training features (with label) and scoring features (without)."""
    report: dict[str, Any] = {}
    if valid_history_path is not None and history_features_path is not None:
        report["history_rows"] = _featurize(
            valid_history_path, history_features_path, HistoryFlights, LabelledFeatures, "validated history"
        )
    report["scoring_rows"] = _featurize(
        valid_scoring_path, scoring_features_path, ScoringFlights, FeatureFrame, "validated scoring set"
    )
    return report
