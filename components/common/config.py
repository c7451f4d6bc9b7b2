"""Typed, frozen settings loaded from ``configs/*.yaml``; an unknown key or a bad value is an error."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from components.common.alerts import is_webhook_url
from components.common.errors import PipelineError


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WindowSettings(_Frozen):
    """Which days a run trains on and holds out, and what it knows when it scores.

    ``scoring_time`` (HH:MM, New York time) is when the run scores its day: every feature of a flight on day d is
    known at that time on d (components/features/core.py). ``rate_days``: the days before each flight's day its
    historical rates count; ingest reads that many days more than the window.
    """

    window_days: int = Field(90, ge=14, le=3650)
    holdout_days: int = Field(7, ge=1, le=60)
    scoring_time: str = "06:00"
    rate_days: int = Field(28, ge=1, le=365)

    @field_validator("scoring_time", mode="before")
    @classmethod
    def _clock_time(cls, value: object) -> object:
        if isinstance(value, int):  # YAML 1.1 reads an unquoted 06:00 as the sexagesimal number 360
            raise ValueError('write it in quotes, e.g. "06:00" (unquoted, YAML reads 06:00 as a number)')
        if not isinstance(value, str) or not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", value):
            raise ValueError(f'{value!r} is not a 24-hour HH:MM New York time: e.g. "06:00"')
        return value

    @property
    def weather_hours(self) -> int:
        """Readings of the hours 0 .. weather_hours - 1 of a day are over at its scoring time."""
        hours, minutes = (int(part) for part in self.scoring_time.split(":"))
        return hours + minutes // 60

    @model_validator(mode="after")
    def _holdout_inside_window(self) -> WindowSettings:
        if self.holdout_days * 2 > self.window_days:
            raise ValueError("holdout_days must be at most half of window_days")
        return self


class ValidateSettings(_Frozen):
    """Row rules' tolerance: the run fails before training when more rows than this are bad."""

    max_quarantine_share: float = Field(0.02, ge=0.0, le=1.0)


class TrainSettings(_Frozen):
    """Hyper-parameters of the HistGradientBoosting model."""

    seed: int = Field(42, ge=0)
    max_iter: int = Field(200, ge=1, le=5000)
    learning_rate: float = Field(0.05, gt=0.0, le=1.0)
    max_leaf_nodes: int = Field(31, ge=2, le=1024)
    min_samples_leaf: int = Field(200, ge=1)
    l2_regularization: float = Field(1.0, ge=0.0)


class EvaluateSettings(_Frozen):
    """How the holdout is judged."""

    threshold: float = Field(0.35, gt=0.0, lt=1.0)
    seed: int = Field(42, ge=0)  # the holdout sample permutation importance is measured on


class PromoteSettings(_Frozen):
    """The written promotion policy (see ``components/promote/core.py``). ``policy``: ``paired`` (the default: the
    fresh challenger replaces the champion unless the paired bootstrap says it is worse), ``margin`` (the old rule:
    it must beat the champion's ROC AUC by ``min_improvement``) or ``always`` (any challenger past the floors)."""

    policy: Literal["paired", "margin", "always"] = "paired"
    min_roc_auc: float = Field(0.6, ge=0.5, le=1.0)
    min_improvement: float = Field(0.002, ge=0.0, le=0.5)
    max_brier_increase: float = Field(0.002, ge=0.0, le=0.5)
    max_champion_age_days: int = Field(30, ge=1)


class ImageSettings(_Frozen):
    """Where the per-stage images live: ``{repo}/{stage}:{tag}``."""

    repo: str = Field("flight-delay", min_length=1, pattern=r"^[a-z0-9][a-z0-9._/:-]*$")
    tag: str = Field("dev", min_length=1, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class ScheduleSettings(_Frozen):
    """The recurring run `pipeline.py schedule` creates or updates on a KFP cluster (cluster/schedules.py) when no
    ``--name`` / ``--cron`` is given: what `make deploy ENV=...` upserts for its environment."""

    name: str = Field("flight-delay-daily", pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    cron: str = "0 0 6 * * *"  # KFP's six fields, seconds first, UTC: daily at 06:00

    @field_validator("cron")
    @classmethod
    def _six_fields(cls, cron: str) -> str:
        if len(cron.split()) != 6:
            raise ValueError(f"'{cron}' is not six fields: KFP cron is seconds first, e.g. \"0 0 6 * * *\"")
        return " ".join(cron.split())


class Settings(_Frozen):
    """Everything a run needs; one YAML file per environment."""

    warehouse_url: str = "duckdb:///data/warehouse.duckdb"
    artifact_root: str = "artifacts"
    # MLflow's tracking store and registry; empty: a SQLite file under the artifact root (the embedded default).
    tracking_uri: str = ""
    default_date: dt.date = dt.date(2013, 6, 15)
    # Where the exit task posts how each run ended, and its alerts (components/common/alerts.py); empty: nowhere (or
    # $FLIGHTS_ALERT_WEBHOOK_URL). A secret: never a pipeline parameter, never shown (repr=False, not in messages).
    alert_webhook_url: str = Field("", repr=False)
    window: WindowSettings = WindowSettings()
    validate_: ValidateSettings = Field(ValidateSettings(), alias="validate")
    train: TrainSettings = TrainSettings()
    evaluate: EvaluateSettings = EvaluateSettings()
    promote: PromoteSettings = PromoteSettings()
    images: ImageSettings = ImageSettings()
    schedule: ScheduleSettings = ScheduleSettings()

    @field_validator("alert_webhook_url")
    @classmethod
    def _webhook_is_http(cls, url: str) -> str:
        if url and not is_webhook_url(url):
            raise ValueError("must be empty or an http(s):// URL with a host (the value is not shown: it is a secret)")
        return url

    def stage_groups(self) -> dict[str, dict[str, Any]]:
        """The settings groups the stages take, by their config key: each crosses KFP as one typed value."""
        return {
            "window": self.window.model_dump(),
            "validate": self.validate_.model_dump(),
            "train": self.train.model_dump(),
            "evaluate": self.evaluate.model_dump(),
            "promote": self.promote.model_dump(),
        }

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with the given top-level fields replaced (``None`` leaves a field as it is)."""
        return self.model_copy(update={k: v for k, v in changes.items() if v is not None})


def _describe(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"unknown key '{where}': remove it or check its spelling"
    return f"bad value for '{where}': {error['msg']}"


def parse_settings(raw: Any, source: str) -> Settings:
    """Validate a parsed YAML document into settings, with a one-line error naming the key."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise PipelineError(f"config {source}: expected a mapping of keys at the top level")
    try:
        return Settings.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(_describe(e) for e in error.errors())
        raise PipelineError(f"config {source}: {problems}") from None


def load_settings(path: Path) -> Settings:
    """Read and validate a YAML config file."""
    if not path.is_file():
        raise PipelineError(f"config file {path} does not exist: pass --config with a file from configs/")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise PipelineError(f"config {path} is not valid YAML{line}: fix the syntax") from None
    return parse_settings(raw, str(path))
