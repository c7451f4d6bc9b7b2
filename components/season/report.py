"""The season report: one HTML page, its plots as PNG files beside it, and the per-day table as parquet and CSV.

    <folder>/index.html     the page: headline figures, the plots, the month table, the day table
    <folder>/*.png          realised quality, calibration, alerts and data, runtime
    <folder>/season.parquet the per-day table (components/season/table.py's COLUMNS)
    <folder>/season.csv

Every file is written atomically; the page is written last, so a page on disk always has its plots.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

import pandas as pd

from components.common.files import atomic_path, write_text
from components.season.table import ALERT_KINDS, monthly

PLOTS = ("quality.png", "calibration.png", "alerts.png", "runtime.png")


def _axes(count: int, title: str) -> tuple[object, list[object]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(count, 1, figsize=(11, 2.8 * count), sharex=True, squeeze=False)
    figure.suptitle(title)
    return figure, list(axes[:, 0])


def _promotions(axis: object, table: pd.DataFrame) -> None:
    for day in table.loc[table["promoted"].fillna(False).astype(bool), "run_date"]:
        axis.axvline(day, color="tab:green", alpha=0.35, linewidth=1)  # type: ignore[attr-defined]


def _save(figure: object, path: Path) -> None:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.tight_layout()  # type: ignore[attr-defined]
    figure.savefig(buffer, format="png", dpi=90)  # type: ignore[attr-defined]
    plt.close(figure)  # type: ignore[arg-type]
    with atomic_path(path) as temporary:
        temporary.write_bytes(buffer.getvalue())


def _plots(table: pd.DataFrame, folder: Path) -> None:
    day = table["run_date"]
    figure, (auc, brier) = _axes(2, "Realised quality on each scored day (green lines: promotions)")
    for axis, column, name in ((auc, "roc_auc", "ROC AUC"), (brier, "brier", "Brier score")):
        axis.plot(day, table[column], ".", color="tab:blue", alpha=0.5, label="champion")  # type: ignore[attr-defined]
        axis.plot(day, table[column].rolling(7, min_periods=1).mean(), color="tab:blue", label="champion, 7-day mean")  # type: ignore[attr-defined]
        axis.plot(day, table[f"baseline_{column}"].rolling(7, min_periods=1).mean(), color="tab:orange",  # type: ignore[attr-defined]
                  label="naive baseline, 7-day mean")  # fmt: skip
        axis.set_ylabel(name)  # type: ignore[attr-defined]
        _promotions(axis, table)
    auc.legend(loc="lower left", fontsize=8)  # type: ignore[attr-defined]
    _save(figure, folder / "quality.png")

    figure, (rates,) = _axes(1, "Predicted vs observed disruption rate")
    rates.plot(day, table["observed_rate"], color="black", label="observed")  # type: ignore[attr-defined]
    rates.plot(day, table["predicted_rate"], color="tab:blue", label="champion's mean prediction")  # type: ignore[attr-defined]
    rates.plot(day, table["baseline_predicted_rate"], color="tab:orange", alpha=0.6, label="baseline's")  # type: ignore[attr-defined]
    rates.set_ylabel("share disrupted")  # type: ignore[attr-defined]
    rates.legend(loc="upper left", fontsize=8)  # type: ignore[attr-defined]
    _save(figure, folder / "calibration.png")

    figure, (alerts, rows) = _axes(2, "Alerts raised, rows ingested and quarantined")
    bottom = pd.Series(0, index=table.index)
    for kind, colour in zip(ALERT_KINDS, ("tab:purple", "tab:red", "tab:brown"), strict=True):
        counts = table[f"alerts_{kind}"].fillna(0)
        alerts.bar(day, counts, bottom=bottom, color=colour, label=kind, width=0.9)  # type: ignore[attr-defined]
        bottom = bottom + counts
    alerts.set_ylabel("alerts")  # type: ignore[attr-defined]
    alerts.legend(loc="upper left", fontsize=8)  # type: ignore[attr-defined]
    rows.plot(day, table["rows_ingested"].astype("float64"), color="tab:gray", label="ingested (window)")  # type: ignore[attr-defined]
    quarantined = rows.twinx()  # type: ignore[attr-defined]
    quarantined.bar(day, table["rows_quarantined"].fillna(0), color="tab:red", alpha=0.5, width=0.9)
    quarantined.set_ylabel("quarantined", color="tab:red")
    rows.set_ylabel("rows ingested")  # type: ignore[attr-defined]
    _save(figure, folder / "alerts.png")

    figure, (runtime,) = _axes(1, "Runtime per day")
    runtime.bar(day, table["runtime_seconds"].fillna(0), color="tab:gray", width=0.9)  # type: ignore[attr-defined]
    runtime.set_ylabel("seconds")  # type: ignore[attr-defined]
    _save(figure, folder / "runtime.png")


def headline(table: pd.DataFrame) -> dict[str, object]:
    """The season in a few figures (the report's first lines, and what ``replay``/``history`` print).

    Means are over the days that have the figure (``mean_roc_auc`` is the mean within-day AUC); the disrupted counts
    are the season's sums, and Brier skill is 1 - the mean Brier / the baseline's, as the month table pools them.
    """
    alerted = table[[f"alerts_{kind}" for kind in ALERT_KINDS]].fillna(0)

    def mean(column: str) -> float | None:
        values = table[column].dropna()
        return round(float(values.mean()), 4) if len(values) else None

    def total(column: str) -> float | None:
        values = table[column].dropna()
        return round(float(values.sum()), 1) if len(values) else None

    briers = table[["brier", "baseline_brier"]].dropna()
    skill = 1 - float(briers["brier"].mean()) / float(briers["baseline_brier"].mean()) if len(briers) else None
    return {
        "days": len(table),
        "first": table["run_date"].min().date().isoformat() if len(table) else None,
        "last": table["run_date"].max().date().isoformat() if len(table) else None,
        "promotions": int(table["promoted"].fillna(False).astype(bool).sum()),
        "drift_or_quality_alert_days": int(((alerted["alerts_drift"] + alerted["alerts_quality"]) > 0).sum()),
        "outcome_alert_days": int((alerted["alerts_outcome"] > 0).sum()),
        "mean_roc_auc": mean("roc_auc"),
        "mean_baseline_roc_auc": mean("baseline_roc_auc"),
        "days_champion_beats_baseline": int((table["roc_auc"] > table["baseline_roc_auc"]).sum()),
        "mean_top10_precision": mean("top10_precision"),
        "mean_top10_lift": mean("top10_lift"),
        "predicted_disrupted": total("predicted_disrupted"),
        "observed_disrupted": total("observed_disrupted"),
        "mean_ece": mean("ece"),
        "brier_skill": round(skill, 4) if skill is not None else None,
        "runtime_seconds": round(float(table["runtime_seconds"].fillna(0).sum()), 1),
    }


def _page(table: pd.DataFrame, title: str) -> str:
    figures = headline(table)
    listed = "".join(f"<li>{html.escape(k.replace('_', ' '))}: <b>{html.escape(str(v))}</b></li>"
                     for k, v in figures.items())  # fmt: skip
    images = "".join(f'<p><img src="{name}" alt="{name}" style="max-width:100%"></p>' for name in PLOTS)
    months = monthly(table).round(4).to_html(border=0, na_rep="")
    days = table.assign(run_date=table["run_date"].dt.date).round(4).to_html(index=False, border=0, na_rep="")
    style = "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:12px}" \
            "td,th{padding:2px 6px;border-bottom:1px solid #ddd;text-align:right}"  # fmt: skip
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1><ul>{listed}</ul>{images}"
        f"<h2>By month</h2>{months}<h2>By day</h2>"
        "<p>Realised figures are each day's predictions against its real outcomes; the baseline's are the naive "
        "carrier-and-hour rates fitted on the window before the day, on the same flights. A day's ROC AUC ranks its "
        "flights against each other; top-10 % precision and lift (over the day's rate) are of its riskiest tenth of "
        "flights; ECE is over 10 equal-width bins; Brier skill is 1 - Brier / the baseline's. By month, the "
        "disrupted counts are sums and Brier skill is the month's; the other figures are means of the days.</p>"
        f"{days}</body></html>"
    )


def write_report(table: pd.DataFrame, folder: Path, title: str) -> Path:
    """Write the page, its plots and the table into ``folder``; returns the page."""
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / "season.parquet") as temporary:
        table.to_parquet(temporary, index=False)
    with atomic_path(folder / "season.csv") as temporary:
        table.to_csv(temporary, index=False)
    _plots(table, folder)
    page = folder / "index.html"
    write_text(_page(table, title), page)
    return page


# What ``history`` prints per day (the whole table is in season.csv).
SHOWN = {"run_date": "day", "model_version": "v", "model_role": "role", "promoted": "promoted",
         "roc_auc": "auc", "baseline_roc_auc": "base_auc", "brier": "brier", "baseline_brier": "base_brier",
         "predicted_rate": "pred", "observed_rate": "obs", "top10_precision": "prec10", "top10_lift": "lift10",
         "ece": "ece", "brier_skill": "skill", "challenger_roc_auc": "chal_auc",
         "rows_quarantined": "quar", "alerts_drift": "drift", "alerts_quality": "dq", "alerts_outcome": "outc",
         "runtime_seconds": "secs"}  # fmt: skip


def render_table(table: pd.DataFrame) -> str:
    """The per-day table as fixed-width text, one line per day."""
    shown = table.loc[:, list(SHOWN)].rename(columns=SHOWN).assign(day=table["run_date"].dt.strftime("%Y-%m-%d"))
    return str(shown.to_string(index=False, float_format=lambda value: f"{value:.3f}", na_rep="-"))
