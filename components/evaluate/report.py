"""The HTML report of an evaluation: metrics table and plots embedded as PNG."""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import roc_curve

from components.evaluate.core import calibration_table
from components.evaluate.evaluation import METRICS_NOTE, SHOWN_METRICS


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def _roc_figure(outcome: np.ndarray, curves: dict[str, np.ndarray]) -> str:
    figure, axes = plt.subplots(figsize=(5, 4))
    for role, probability in curves.items():
        fpr, tpr, _ = roc_curve(outcome, probability)
        axes.plot(fpr, tpr, label=role)
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey")
    axes.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC on the holdout")
    axes.legend()
    return _png(figure)


def _calibration_figure(outcome: np.ndarray, curves: dict[str, np.ndarray]) -> str:
    figure, axes = plt.subplots(figsize=(5, 4))
    for role, probability in curves.items():
        table = calibration_table(outcome, probability)
        axes.plot(table["predicted"], table["observed"], marker="o", label=role)
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey")
    axes.set(xlabel="mean predicted", ylabel="observed rate", title="Calibration by decile")
    axes.legend()
    return _png(figure)


def _importance_figure(importance: pd.Series) -> str:
    top = importance.head(12)[::-1]
    figure, axes = plt.subplots(figsize=(5, 4))
    axes.barh(top.index, top.to_numpy())
    axes.set(xlabel="drop in ROC AUC when shuffled", title="Most important features (challenger)")
    return _png(figure)


def render_report(
    run_date: str,
    metrics: dict[str, dict[str, float] | None],
    outcome: np.ndarray,
    curves: dict[str, np.ndarray],
    importance: pd.Series,
    lineage: dict[str, Any],
) -> str:
    """A self-contained HTML page."""
    rows = "".join(
        f"<tr><td>{html.escape(role)}</td>"
        + "".join(f"<td>{values[key]:{spec}}</td>" for key, _, spec in SHOWN_METRICS)
        + "</tr>"
        for role, values in metrics.items()
        if values is not None
    )
    headings = "".join(f"<th>{heading}</th>" for _, heading, _ in SHOWN_METRICS)
    images = "".join(
        f'<img alt="{alt}" src="data:image/png;base64,{data}">'
        for alt, data in (
            ("ROC curves", _roc_figure(outcome, curves)),
            ("Calibration", _calibration_figure(outcome, curves)),
            ("Feature importance", _importance_figure(importance)),
        )
    )
    text = {key: html.escape(str(lineage.get(key))) for key in lineage}
    style = "body{font-family:sans-serif;margin:2em}td,th{padding:4px 10px;border-bottom:1px solid #ddd}img{margin:8px}"
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Evaluation {html.escape(run_date)}</title>
<style>{style}</style></head><body><h1>Flight disruption model: evaluation for {html.escape(run_date)}</h1>
<p>Challenger {text.get("version")}, trained on {text.get("train_rows")} flights
({text.get("train_start")} to {text.get("train_end")}); holdout {text.get("holdout_rows")} flights
({text.get("holdout_start")} to {text.get("holdout_end")}).</p>
<table><tr><th>model</th>{headings}</tr>{rows}</table>
<p>{html.escape(METRICS_NOTE)}</p>
{images}</body></html>
"""
