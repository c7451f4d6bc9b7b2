"""The HTML report of an evaluation: metrics table and plots embedded as PNG."""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from components.evaluate.core import calibration_table
from components.evaluate.evaluation import METRICS_NOTE, SHOWN_METRICS

# The plots draw on axes they are given, so the notebook (notebooks/flight_disruption.py) shows the report's own
# plots. The report's figures are plain ``Figure`` objects, without pyplot: no global backend is chosen or needed.


def draw_roc(axes: Any, outcome: np.ndarray, curves: dict[str, np.ndarray]) -> None:
    """Each contender's ROC curve on the holdout."""
    for role, probability in curves.items():
        fpr, tpr, _ = roc_curve(outcome, probability)
        axes.plot(fpr, tpr, label=role)
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey")
    axes.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC on the holdout")
    axes.legend()


def draw_calibration(axes: Any, outcome: np.ndarray, curves: dict[str, np.ndarray]) -> None:
    """Each contender's mean predicted against observed rate, by decile of its probabilities."""
    for role, probability in curves.items():
        table = calibration_table(outcome, probability)
        axes.plot(table["predicted"], table["observed"], marker="o", label=role)
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey")
    axes.set(xlabel="mean predicted", ylabel="observed rate", title="Calibration by decile")
    axes.legend()


def draw_importance(axes: Any, importance: pd.Series) -> None:
    """The challenger's 12 most important features (permutation importance, highest on top)."""
    top = importance.head(12)[::-1]
    axes.barh(top.index, top.to_numpy())
    axes.set(xlabel="drop in ROC AUC when shuffled", title="Most important features (challenger)")


def _png(draw: Any, *data: Any) -> str:
    figure = Figure(figsize=(5, 4))
    draw(figure.subplots(), *data)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


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
            ("ROC curves", _png(draw_roc, outcome, curves)),
            ("Calibration", _png(draw_calibration, outcome, curves)),
            ("Feature importance", _png(draw_importance, importance)),
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
