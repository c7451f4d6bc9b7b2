# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Flight disruption: one day of the pipeline, in a notebook
#
# Which flights out of New York will be **disrupted** (arrive 15+ minutes late, or never arrive)? This notebook
# runs one day of the daily pipeline step by step, with **the pipeline's own functions**, and shows what a data
# scientist looks at: disruption by hour and carrier, the holdout ROC and calibration, feature importance and
# yesterday's outcomes.
#
# 1. ingest, validate and features: the stages' own `run` functions, exactly as `pipeline.py run` calls them
#    (their parquet files go to `work_dir`);
# 2. train and evaluate: the functions those stages call (`split_by_time`, `fit_model`, the naive
#    `BaselineModel`, `holdout_metrics`, `feature_importance`) and the evaluation report's own plots, without
#    MLflow: nothing is registered, nothing is promoted, nothing is written to the warehouse.
#
# `make notebook` opens it; `make test` executes it (`tests/notebooks/`) and checks that its holdout metrics are
# the evaluate stage's for the same day and config, so it cannot rot. It is paired with
# `notebooks/flight_disruption.py` by jupytext: edit either, and save (Jupyter keeps both in step; elsewhere
# `.venv/bin/jupytext --sync notebooks/flight_disruption.ipynb`).

# %% tags=["parameters"]
config = "configs/local.yaml"  # relative to the repository, like every path of the config
run_date = ""  # YYYY-MM-DD; empty: the config's default_date (the demo day)
warehouse_url = ""  # empty: the config's (make notebook seeds the local one first)
work_dir = "build/notebook"  # where the stages write their parquet files, one folder per day
metrics_path = ""  # a JSON file for the holdout metrics (the test reads it); empty: none

# %%
import datetime as dt
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from components.cli.inprocess import request_for, stage_values
from components.common.artifacts import read_frame
from components.common.config import load_settings
from components.common.files import write_json
from components.common.stage import stage_module
from components.contracts import LABEL, holdout_start, parse_run_date
from components.evaluate.baseline import BaselineModel
from components.evaluate.core import feature_importance, holdout_metrics
from components.evaluate.report import draw_calibration, draw_importance, draw_roc
from components.schemas import LabelledFeatures
from components.train.core import fit_model, model_inputs, predict_proba, split_by_time

# The config's relative paths (the DuckDB file, the artifacts) are the repository's, as for `make run`.
os.chdir(next(folder for folder in (Path.cwd(), *Path.cwd().parents) if (folder / "pipeline.py").is_file()))
settings = load_settings(Path(config)).with_overrides(warehouse_url=warehouse_url or None)
day = parse_run_date(run_date) if run_date else settings.default_date
folder = Path(work_dir) / day.isoformat()
folder.mkdir(parents=True, exist_ok=True)
print(f"run date {day}, warehouse {settings.warehouse_url}, window {settings.window}, files in {folder}")

# %% [markdown]
# ## Ingest, validate, features
#
# The stages' typed requests are built from the same values as an in-process run's (`components/cli/inprocess.py`):
# every artifact by its name in one folder, the config's settings groups.

# %%
values = stage_values(folder, settings, day.isoformat())
reports = {stage: stage_module(stage).run(request_for(stage, values)) for stage in ("ingest", "validate", "features")}
for stage, report in reports.items():
    print(f"{stage:<9}", report.model_dump_json(exclude={"validation_report"}))

# %%
features = read_frame(values["history_features"], "history features", LabelledFeatures)
print(f"{len(features)} labelled rows x {features.shape[1]} columns, {features['flight_date'].nunique()} days")
features.head()

# %% [markdown]
# ## Disruption by hour and carrier
#
# The window's training rows (every flight of the `window_days` before the run date): the share disrupted by
# scheduled departure hour and by carrier, and the two together.

# %%
by_flight = features.assign(hour=features["sched_dep_minutes"] // 60, disrupted=features[LABEL].astype(float))
figure, (by_hour, by_carrier) = plt.subplots(1, 2, figsize=(12, 4))
by_flight.groupby("hour")["disrupted"].mean().plot.bar(ax=by_hour, title="Disrupted by scheduled hour")
by_flight.groupby("carrier", observed=True)["disrupted"].mean().sort_values().plot.bar(
    ax=by_carrier, title="Disrupted by carrier"
)
by_hour.set(xlabel="scheduled departure hour", ylabel="share disrupted")
by_carrier.set(ylabel="share disrupted")
plt.show()

# %%
cells = by_flight.pivot_table(index="carrier", columns="hour", values="disrupted", aggfunc="mean", observed=True)
figure, axes = plt.subplots(figsize=(12, 5))
image = axes.imshow(cells.to_numpy(), aspect="auto", cmap="viridis")
axes.set(xticks=range(len(cells.columns)), xticklabels=cells.columns, yticks=range(len(cells.index)))
axes.set(yticklabels=cells.index, xlabel="scheduled departure hour", title="Disrupted by carrier and hour")
figure.colorbar(image, label="share disrupted")
plt.show()

# %% [markdown]
# ## Train and evaluate on the holdout
#
# As the train stage: the challenger is fit on the window minus its last `holdout_days` (seeded, deterministic),
# and as the evaluate stage, it is judged on those days beside the naive baseline (the disruption rate by carrier
# and scheduled hour) fit on the same rows. (The pipeline also judges the registry's champion, when there is one,
# and refits the challenger on the whole window before it serves.)

# %%
train, holdout = split_by_time(features, holdout_start(day, settings.window.holdout_days))
challenger = fit_model(train, settings.train)
baseline = BaselineModel().fit(model_inputs(train), train[LABEL].astype(int))
outcome = holdout[LABEL].astype(int).to_numpy()
curves = {"challenger": predict_proba(challenger, holdout), "baseline": predict_proba(baseline, holdout)}
metrics = holdout_metrics(holdout["flight_date"], outcome, curves)
print(f"{len(train)} training flights, {len(holdout)} held out ({holdout_start(day, settings.window.holdout_days)} on)")
pd.DataFrame({role: figures for role, figures in metrics.items() if figures is not None}).T

# %%
importance = feature_importance(challenger, holdout, settings.evaluate.seed)
figure, (roc, calibration, features_axes) = plt.subplots(1, 3, figsize=(17, 4.5))
draw_roc(roc, outcome, curves)
draw_calibration(calibration, outcome, curves)
draw_importance(features_axes, importance)
plt.show()

# %% [markdown]
# ## Yesterday's outcomes
#
# The day before the run date is the holdout's last day: its flights by scheduled hour, what happened against
# what the challenger and the baseline predicted at 06:00 that morning. (The pipeline's monitor judges the
# predictions the champion really made for that day, from the warehouse's `flight_predictions`.)

# %%
yesterday = pd.Timestamp(day - dt.timedelta(days=1))
last_day = (holdout["flight_date"] == yesterday).to_numpy()
hours = holdout.loc[last_day, "sched_dep_minutes"] // 60
outcomes = pd.DataFrame(
    {"observed": outcome[last_day], **{role: probability[last_day] for role, probability in curves.items()}}
)
by_hour = outcomes.groupby(hours.to_numpy()).mean()
figure, axes = plt.subplots(figsize=(10, 4))
axes.bar(by_hour.index, by_hour["observed"], color="lightgrey", label="observed")
for role in curves:
    axes.plot(by_hour.index, by_hour[role], marker="o", label=f"{role} (mean predicted)")
axes.set(xlabel="scheduled departure hour", ylabel="share disrupted", title=f"{yesterday:%Y-%m-%d}, by hour")
axes.legend()
plt.show()
outcomes.sum().rename("disrupted flights (observed, expected)").to_frame().T.assign(flights=len(outcomes))

# %%
if metrics_path:
    write_json(
        {"run_date": day.isoformat(), "holdout_rows": len(holdout), "metrics": metrics,
         "top_features": importance.head(5).round(4).to_dict()},
        Path(metrics_path),
    )  # fmt: skip
