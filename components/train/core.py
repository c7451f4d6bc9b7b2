"""Training: a seeded scikit-learn pipeline whose fitted encoders travel with the model."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from components.common.config import TrainSettings
from components.common.errors import PipelineError
from components.contracts import LABEL
from components.features.core import CATEGORICAL_FEATURES, FEATURE_COLUMNS, NUMERIC_FEATURES


def split_by_time(features: pd.DataFrame, holdout_start: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows before ``holdout_start`` train; rows on or after it are held out."""
    held_out = features["flight_date"] >= pd.Timestamp(holdout_start)
    train, holdout = features[~held_out], features[held_out]
    for name, part in (("training", train), ("holdout", holdout)):
        if part.empty or part[LABEL].nunique() < 2:
            raise PipelineError(
                f"the {name} part of the window has no rows or a single outcome: "
                "widen window.window_days or window.holdout_days in the config"
            )
    return train, holdout


def build_model(
    settings: TrainSettings,
    numeric: tuple[str, ...] = NUMERIC_FEATURES,
    categorical: tuple[str, ...] = CATEGORICAL_FEATURES,
) -> Pipeline:
    """An unfitted pipeline: categorical codes learned at fit time, then gradient boosting (on the columns given:
    the feature study drops some; the pipeline passes none)."""
    encode = ColumnTransformer(
        [
            (
                "categories",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan),
                list(categorical),
            ),
            ("numbers", "passthrough", list(numeric)),
        ],
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    boost = HistGradientBoostingClassifier(
        categorical_features=list(categorical),
        max_iter=settings.max_iter,
        learning_rate=settings.learning_rate,
        max_leaf_nodes=settings.max_leaf_nodes,
        min_samples_leaf=settings.min_samples_leaf,
        l2_regularization=settings.l2_regularization,
        early_stopping=False,
        random_state=settings.seed,
    )
    return Pipeline([("encode", encode), ("boost", boost)])


def model_inputs(features: pd.DataFrame) -> pd.DataFrame:
    """Exactly the feature columns, in order: nothing else can reach the model."""
    return features.loc[:, list(FEATURE_COLUMNS)]


def fit_model(train: pd.DataFrame, settings: TrainSettings) -> Pipeline:
    """Fit a fresh pipeline on the training rows.

    A feature missing on every training row carries nothing to learn and is left out of this fit (scikit-learn
    1.9's binning fails on an all-missing column: a short window can have no wind-gust reading before 06:00).
    """
    known = train.notna().any()
    model = build_model(
        settings,
        numeric=tuple(name for name in NUMERIC_FEATURES if known[name]),
        categorical=tuple(name for name in CATEGORICAL_FEATURES if known[name]),
    )
    return model.fit(model_inputs(train), train[LABEL].astype(int))


def predict_proba(model: Pipeline, features: pd.DataFrame) -> np.ndarray:
    """Probability of disruption for each row."""
    return np.asarray(model.predict_proba(model_inputs(features))[:, 1], dtype="float64")


def content_hash(frame: pd.DataFrame) -> str:
    """A sha256 of a frame's contents (row order and column names included)."""
    digest = hashlib.sha256(",".join(frame.columns).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def fingerprint(run_date: dt.date, data_hash: str, settings: TrainSettings, code_version: str) -> str:
    """A version id that is the same exactly when data, parameters and code are the same."""
    key = json.dumps({"data": data_hash, "params": settings.model_dump(), "code": code_version}, sort_keys=True)
    return f"{run_date:%Y%m%d}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
