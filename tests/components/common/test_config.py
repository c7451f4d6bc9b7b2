"""Settings: a valid file loads; every bad file is a one-line error naming the key."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from components.common.config import ScheduleSettings, Settings, WindowSettings, load_settings, parse_settings
from components.common.errors import PipelineError

REPO = Path(__file__).resolve().parents[3]

VALID_YAML = """\
warehouse_url: duckdb:///tmp/warehouse.duckdb
artifact_root: /tmp/artifacts
default_date: "2013-07-04"
window:
  window_days: 60
  holdout_days: 10
validate:
  max_quarantine_share: 0.05
train:
  seed: 3
  max_iter: 50
promote:
  min_roc_auc: 0.65
images:
  repo: registry.example.com/flights
  tag: v1.2.3
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.yaml"
    path.write_text(text)
    return path


def test_valid_yaml_loads_into_typed_settings(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, VALID_YAML))

    assert settings.warehouse_url == "duckdb:///tmp/warehouse.duckdb"
    assert settings.default_date == dt.date(2013, 7, 4)
    assert settings.window == WindowSettings(window_days=60, holdout_days=10)
    assert settings.validate_.max_quarantine_share == 0.05
    assert (settings.train.seed, settings.train.max_iter, settings.train.learning_rate) == (3, 50, 0.05)
    assert settings.promote.min_roc_auc == 0.65
    assert (settings.images.repo, settings.images.tag) == ("registry.example.com/flights", "v1.2.3")


SHIPPED = sorted(path.name for path in (REPO / "configs").glob("*.yaml"))
ENVIRONMENTS = ["dev", "preprod", "prod"]


def test_found_every_environments_config() -> None:
    assert set(SHIPPED) == {"local.yaml", *(f"{env}.yaml" for env in ENVIRONMENTS)}


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_configs_load(name: str) -> None:
    settings = load_settings(REPO / "configs" / name)

    assert settings.window.window_days == 90
    assert settings.default_date == dt.date(2013, 6, 15)
    assert settings.alert_webhook_url == ""  # no webhook in git: set it locally, or $FLIGHTS_ALERT_WEBHOOK_URL


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_an_environment_runs_the_local_model_on_its_own_namespaces_services(env: str) -> None:
    """dev, preprod and prod differ only in where things live and when they run, never in the model's settings."""
    settings = load_settings(REPO / "configs" / f"{env}.yaml")
    local = load_settings(REPO / "configs" / "local.yaml")

    assert settings.stage_groups() == local.stage_groups()
    assert settings.tracking_uri == f"http://flights-mlflow.flights-{env}.svc.cluster.local:5000"
    assert (
        settings.warehouse_url == f"postgresql://flights@flights-warehouse.flights-{env}.svc.cluster.local:5432/flights"
    )
    assert settings.images.repo == "ghcr.io/your-org/flight-delay"
    assert settings.schedule.name == "flight-delay-daily"


def test_environments_run_before_prod_and_local_keeps_the_cli_default() -> None:
    crons = {env: load_settings(REPO / "configs" / f"{env}.yaml").schedule.cron for env in ENVIRONMENTS}
    assert crons == {"dev": "0 0 5 * * *", "preprod": "0 30 5 * * *", "prod": "0 0 6 * * *"}
    assert load_settings(REPO / "configs" / "local.yaml").schedule == ScheduleSettings()


def test_a_schedule_cron_of_five_fields_is_one_line() -> None:
    with pytest.raises(PipelineError) as raised:
        parse_settings({"schedule": {"cron": "0 6 * * *"}}, "x.yaml")
    assert str(raised.value) == (
        "config x.yaml: bad value for 'schedule.cron': Value error, '0 6 * * *' is not six fields: KFP cron is "
        'seconds first, e.g. "0 0 6 * * *"'
    )


def test_an_alert_webhook_is_an_http_url_and_never_shown() -> None:
    """A webhook's URL is its credential: a bad one is one line without the value, a good one is not in the repr."""
    url = "https://hooks.example.com/services/T0/B0/secret-token"
    assert "secret-token" not in repr(parse_settings({"alert_webhook_url": url}, "x.yaml"))
    with pytest.raises(PipelineError) as raised:
        parse_settings({"alert_webhook_url": "hooks.example.com/secret-token"}, "x.yaml")
    assert str(raised.value) == (
        "config x.yaml: bad value for 'alert_webhook_url': Value error, must be empty or an http(s):// URL with a "
        "host (the value is not shown: it is a secret)"
    )


def test_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_settings(_write(tmp_path, "")) == Settings()


def test_unknown_key_is_one_line_naming_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path, "window:\n  window_day: 90\n")

    with pytest.raises(PipelineError) as raised:
        load_settings(path)

    assert str(raised.value) == f"config {path}: unknown key 'window.window_day': remove it or check its spelling"


def test_unknown_key_under_the_aliased_validate_section_uses_the_yaml_name() -> None:
    with pytest.raises(PipelineError) as raised:
        parse_settings({"validate": {"max_share": 0.1}}, "x.yaml")

    assert str(raised.value) == "config x.yaml: unknown key 'validate.max_share': remove it or check its spelling"


def test_wrong_type_names_the_key_and_the_problem() -> None:
    with pytest.raises(PipelineError) as raised:
        parse_settings({"train": {"seed": "abc"}}, "x.yaml")

    assert str(raised.value) == (
        "config x.yaml: bad value for 'train.seed': "
        "Input should be a valid integer, unable to parse string as an integer"
    )


def test_negative_window_is_rejected() -> None:
    with pytest.raises(PipelineError) as raised:
        parse_settings({"window": {"window_days": -5}}, "x.yaml")

    assert str(raised.value) == (
        "config x.yaml: bad value for 'window.window_days': Input should be greater than or equal to 14"
    )


def test_holdout_longer_than_half_the_window_is_rejected() -> None:
    with pytest.raises(PipelineError) as raised:
        parse_settings({"window": {"window_days": 20, "holdout_days": 11}}, "x.yaml")

    assert str(raised.value) == (
        "config x.yaml: bad value for 'window': Value error, holdout_days must be at most half of window_days"
    )


def test_holdout_of_exactly_half_the_window_is_allowed() -> None:
    assert parse_settings({"window": {"window_days": 20, "holdout_days": 10}}, "x.yaml").window.holdout_days == 10


def test_every_problem_is_listed_on_one_line() -> None:
    with pytest.raises(PipelineError) as raised:
        parse_settings({"train": {"seed": -1}, "colour": "blue"}, "x.yaml")

    message = str(raised.value)
    assert "\n" not in message
    assert "bad value for 'train.seed': Input should be greater than or equal to 0" in message
    assert "unknown key 'colour': remove it or check its spelling" in message


def test_top_level_list_is_rejected() -> None:
    with pytest.raises(PipelineError, match=re.escape("config x.yaml: expected a mapping of keys at the top level")):
        parse_settings([1, 2], "x.yaml")


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"

    with pytest.raises(PipelineError) as raised:
        load_settings(path)

    assert str(raised.value) == f"config file {path} does not exist: pass --config with a file from configs/"


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "window:\n  window_days: 90\n  holdout_days: [7\n")

    with pytest.raises(PipelineError) as raised:
        load_settings(path)

    assert re.fullmatch(
        rf"config {re.escape(str(path))} is not valid YAML at line \d+: fix the syntax", str(raised.value)
    )


def test_settings_are_frozen() -> None:
    settings = Settings()

    with pytest.raises(ValueError, match="frozen"):
        setattr(settings, "artifact_root", "elsewhere")  # noqa: B010 - the assignment mypy would refuse


def test_with_overrides_replaces_given_fields_and_keeps_the_rest() -> None:
    settings = Settings()

    changed = settings.with_overrides(artifact_root="/srv/artifacts", warehouse_url=None)

    assert changed.artifact_root == "/srv/artifacts"
    assert changed.warehouse_url == settings.warehouse_url
    assert settings.artifact_root == "artifacts"
