"""``replay`` and ``history`` through the real CLI, on a copy of the seeded warehouse and real MLflow stores.

The parity test is the promise ``replay`` rests on: the same three days, replayed in one process on one store and
run one by one with ``run --runner local`` (kfp.local, each stage a process) on another, give the same predictions,
the same versions and the same decisions.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

import pipeline
from tests.support import tracking

DAYS = ("2013-06-14", "2013-06-15", "2013-06-16")
pytestmark = pytest.mark.slow


def _options(warehouse: Path, root: Path) -> list[str]:
    return ["--warehouse-url", f"duckdb:///{warehouse}", "--artifact-root", str(root)]


def _predictions(warehouse: Path) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        frame = connection.execute(
            "SELECT run_date, flight_id, p_disrupted, model_version FROM flight_predictions ORDER BY 1, 2"
        ).df()
    return frame


def _decisions(uri: str) -> list[tuple[str, str, str, str]]:
    return [(d["run_date"], d["promoted"], d["champion"], d["reason"]) for d in tracking.decisions(uri)]


@pytest.fixture(scope="module")
def replayed(seeded_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The three days replayed on one copy of the warehouse, and run with ``run --runner local`` on another."""
    root = tmp_path_factory.mktemp("replay")
    stores = {}
    for name in ("replay", "run"):
        warehouse = root / f"{name}.duckdb"
        warehouse.write_bytes(seeded_warehouse.read_bytes())
        stores[name] = (warehouse, root / f"{name}-artifacts")
    warehouse, artifacts = stores["replay"]
    assert (
        pipeline.main(["--quiet", "replay", "--start", DAYS[0], "--end", DAYS[-1], *_options(warehouse, artifacts)])
        == 0
    )
    warehouse, artifacts = stores["run"]
    for day in DAYS:
        assert pipeline.main(["--quiet", "run", "--date", day, *_options(warehouse, artifacts)]) == 0
    return {name: {"warehouse": w, "root": a, "uri": tracking.local_uri(a)} for name, (w, a) in stores.items()}


def test_a_replayed_day_gives_the_predictions_the_local_runner_gives(replayed: dict[str, Any]) -> None:
    replay, run = _predictions(replayed["replay"]["warehouse"]), _predictions(replayed["run"]["warehouse"])
    assert sorted(replay["run_date"].astype(str).str[:10].unique()) == list(DAYS)
    pd.testing.assert_frame_equal(replay, run)


def test_replay_registers_and_promotes_as_the_scheduled_runs_do(replayed: dict[str, Any]) -> None:
    replay, run = replayed["replay"]["uri"], replayed["run"]["uri"]
    fingerprints = [[v.tags["fingerprint"] for v in tracking.versions(uri)] for uri in (replay, run)]
    assert fingerprints[0] == fingerprints[1]
    roles = [v.tags["role"] for v in tracking.versions(replay)]
    assert roles.count("challenger") == len(DAYS)  # one a day, and beside each promoted one its refit
    assert roles.count("refit") == sum(d["promoted"] == "True" for d in tracking.decisions(replay)) > 0
    assert _decisions(replay) == _decisions(run)
    assert tracking.champion(replay) == tracking.champion(run)
    daily = [r for r in tracking.runs(replay) if r.data.tags.get("pipeline") == "daily"]
    assert [r.data.tags["run_date"] for r in daily] == list(DAYS)
    assert {r.info.status for r in daily} == {"FINISHED"}
    for one in daily:  # the tracking tasks' records too: params, the validation, the runtime
        assert one.data.params["train.max_iter"] == "200"
        assert one.data.metrics["valid_rows_history"] > 0
        assert one.data.metrics["runtime_seconds"] > 0


def test_the_replay_writes_its_report_and_its_season_run(replayed: dict[str, Any]) -> None:
    report = replayed["replay"]["root"] / "replay" / "report"
    table = pd.read_parquet(report / "season.parquet")
    assert table["run_date"].dt.strftime("%Y-%m-%d").tolist() == list(DAYS)
    assert table["scored_flights"].gt(0).all()
    assert table["roc_auc"].between(0.5, 1).all()
    assert table["baseline_roc_auc"].between(0.5, 1).all()
    assert table["holdout_within_day_roc_auc"].between(0.5, 1).all()  # each day's challenger on its holdout
    assert table["holdout_top10_lift"].gt(1).all()
    assert table["observed_rate"].between(0, 1).all()
    assert table["promoted"].tolist()[0] is True  # the first challenger replaces the empty registry's baseline
    for name in ("quality.png", "calibration.png", "alerts.png", "runtime.png"):
        assert (report / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f'src="{name}"' in (report / "index.html").read_text()
    assert pd.read_csv(report / "season.csv").shape[0] == len(DAYS)
    (season,) = [r for r in tracking.runs(replayed["replay"]["uri"]) if r.data.tags.get("pipeline") == "season"]
    history = tracking.client(replayed["replay"]["uri"]).get_metric_history(season.info.run_id, "season_roc_auc")
    assert [point.step for point in history] == [0, 1, 2]
    assert [point.value for point in history] == pytest.approx(table["roc_auc"].tolist())


def test_history_prints_the_table_of_what_ran(replayed: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """``history`` over the local runner's days (daily runs, not a replay) shows the same realised figures."""
    run = replayed["run"]
    options = _options(run["warehouse"], run["root"])
    assert pipeline.main(["--quiet", "history", "--start", DAYS[1], *options]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in printed[1:3]] == list(DAYS[1:])
    table = pd.read_parquet(run["root"] / "history" / "season.parquet")
    replay = pd.read_parquet(replayed["replay"]["root"] / "replay" / "report" / "season.parquet")
    columns = ["roc_auc", "brier", "baseline_roc_auc", "observed_rate", "predicted_rate", "model_version"]
    pd.testing.assert_frame_equal(table[columns], replay[columns].iloc[1:].reset_index(drop=True))
    assert printed[-1] == f"Report: {run['root'] / 'history' / 'index.html'}"


def test_replay_run_again_resumes_after_the_last_finished_day(
    replayed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    store = replayed["replay"]

    def days_run() -> list[str]:
        return [r.info.run_id for r in tracking.runs(store["uri"]) if r.data.tags.get("pipeline") == "daily"]

    before = days_run()
    argv = ["replay", "--start", DAYS[0], "--end", DAYS[-1], *_options(store["warehouse"], store["root"])]
    assert pipeline.main(argv) == 0
    assert "3 of 3 days already finished" in capsys.readouterr().err
    assert days_run() == before  # no day ran again
    ledger = json.loads((store["root"] / "replay" / "ledger.json").read_text())
    assert sorted(ledger["days"]) == list(DAYS)


def _error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = pipeline.main(["--quiet", *argv])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2, lines
    assert len(lines) == 1, lines
    return lines[0]


def test_replay_refuses_a_different_config_for_the_same_replay(
    replayed: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = replayed["replay"]
    config = tmp_path / "other.yaml"
    config.write_text(Path("configs/local.yaml").read_text().replace("max_iter: 200", "max_iter: 50"))
    ledger = (store["root"] / "replay" / "ledger.json").read_bytes()
    before = len(tracking.runs(store["uri"]))
    argv = ["replay", "--start", DAYS[0], "--end", "2013-06-17", "--config", str(config)]
    assert _error([*argv, *_options(store["warehouse"], store["root"])], capsys) == (
        f"error: {store['root'] / 'replay'} holds a replay run with another config (train differ): pass --fresh "
        "to start over, or --artifact-root for a replay of its own"
    )
    assert (store["root"] / "replay" / "ledger.json").read_bytes() == ledger
    assert len(tracking.runs(store["uri"])) == before


def test_replay_refuses_a_day_before_the_last_finished_one(
    replayed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    store = replayed["replay"]
    argv = ["replay", "--start", "2013-06-13", "--end", DAYS[-1], *_options(store["warehouse"], store["root"])]
    assert _error(argv, capsys) == (
        f"error: 2013-06-13 comes before {DAYS[-1]}, the last day this replay finished, and a replay runs its days "
        f"in order: pass --start after {DAYS[-1]}, or --fresh to start over"
    )


def test_replay_refuses_a_store_with_models_trained_after_its_first_day(
    replayed: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The local runner's store (no replay ledger) holds versions trained for 2013-06-14..16: replaying from
    2013-06-01 on it would score June with models that saw June's outcomes."""
    store = replayed["run"]
    before = len(tracking.runs(store["uri"]))
    argv = ["replay", "--start", "2013-06-01", "--end", "2013-06-02", *_options(store["warehouse"], store["root"])]
    assert _error(argv, capsys) == (
        f"error: the tracking store {store['uri']} already holds model version 4, trained for 2013-06-16, after "
        "the replay's first day 2013-06-01 (it has seen those days' outcomes): pass --fresh to start over with an "
        "empty store, or --artifact-root for a replay of its own"
    )
    assert not (store["root"] / "replay").exists()
    assert len(tracking.runs(store["uri"])) == before


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2013-06-02", "2013-06-01", "--end 2013-06-01 is before --start 2013-06-02: swap them"),
        (
            "2013-02-01", "2013-02-03",
            "run date 2013-02-01 has 31 day(s) of history but window_days is 90: pick a --date on or after "
            "2013-04-01 or lower window.window_days in the config",
        ),
        ("2013-06-31", "2013-07-01",
         "run date '2013-06-31' is not a real date in YYYY-MM-DD form: e.g. --date 2013-06-15"),
    ],
)  # fmt: skip
def test_replay_bad_range_is_one_line_and_writes_nothing(
    start: str, end: str, expected: str, warehouse_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "artifacts"
    assert _error(["replay", "--start", start, "--end", end, *_options(warehouse_copy, root)], capsys) == (
        f"error: {expected}"
    )
    assert not root.exists()


def test_fresh_refuses_to_empty_a_tracking_server(
    warehouse_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "artifacts"
    argv = ["replay", "--start", DAYS[0], "--end", DAYS[0], "--fresh", "--tracking-uri", "http://127.0.0.1:9"]
    assert _error([*argv, *_options(warehouse_copy, root)], capsys) == (
        "error: --fresh empties the tracking store, and does that only to a local SQLite store, not to "
        "http://127.0.0.1:9: empty it yourself, or pass --tracking-uri with a new store"
    )
    assert not root.exists()


def test_ctrl_c_stops_cleanly_and_fresh_starts_over(seeded_warehouse: Path, tmp_path: Path) -> None:
    """A real SIGINT to a real ``replay`` process after its first day: the day in progress is KILLED in MLflow and
    leaves no folder; the finished day is kept, and ``--fresh`` then starts over from an empty store."""
    warehouse, root = tmp_path / "warehouse.duckdb", tmp_path / "artifacts"
    warehouse.write_bytes(seeded_warehouse.read_bytes())
    argv = [sys.executable, "pipeline.py", "replay", "--start", "2013-06-14", "--end", "2013-06-20"]
    process = subprocess.Popen(
        [*argv, *_options(warehouse, root)], stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "120"}
    )
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if "[1/7] 2013-06-14" in line:
            process.send_signal(signal.SIGINT)
            break
    rest = process.communicate(timeout=120)[1]
    assert process.returncode == 130, "".join(lines) + rest
    assert "replay stopped: 1 finished day(s) kept; run `replay` again to resume after 2013-06-14" in rest
    uri = tracking.local_uri(root)
    statuses = [(r.data.tags["run_date"], r.info.status) for r in tracking.runs(uri)]
    assert statuses[0] == ("2013-06-14", "FINISHED")
    assert statuses[1:] in ([], [("2013-06-15", "KILLED")])  # the signal lands in day 2, or just before it starts
    assert not list((root / "runs").glob("2013-06-15/*")), "the interrupted day left its folder"
    assert sorted(json.loads((root / "replay" / "ledger.json").read_text())["days"]) == ["2013-06-14"]

    assert pipeline.main(["--quiet", "replay", "--fresh", "--start", "2013-06-15", "--end", "2013-06-15",
                          *_options(warehouse, root)]) == 0  # fmt: skip
    assert [r.data.tags.get("run_date") for r in tracking.runs(uri) if r.data.tags.get("pipeline") == "daily"] == [
        "2013-06-15"
    ]
    # an empty store again: the day's challenger, and the baseline it did not beat, which serves
    assert [v.tags["role"] for v in tracking.versions(uri)] == ["challenger", "baseline"]
    assert sorted(json.loads((root / "replay" / "ledger.json").read_text())["days"]) == ["2013-06-15"]


def test_history_of_a_store_with_no_runs_is_one_line_and_writes_nothing(
    warehouse_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "artifacts"
    uri = tracking.local_uri(root)
    assert _error(["history", *_options(warehouse_copy, root)], capsys) == (
        f"error: no daily or inference run between the first day and the last in {uri}: run some (`make run`, "
        "`make replay`) or widen --start/--end"
    )
    assert not root.exists()  # not even an empty tracking store


def test_sigterm_stops_a_replay_as_ctrl_c_does(seeded_warehouse: Path, tmp_path: Path) -> None:
    """``kill`` (SIGTERM) after the first day: exit 130, the day in progress KILLED (or not started), none RUNNING."""
    warehouse, root = tmp_path / "warehouse.duckdb", tmp_path / "artifacts"
    warehouse.write_bytes(seeded_warehouse.read_bytes())
    argv = [sys.executable, "pipeline.py", "replay", "--start", "2013-06-14", "--end", "2013-06-16"]
    process = subprocess.Popen([*argv, *_options(warehouse, root)], stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    for line in process.stderr:
        if "[1/3] 2013-06-14" in line:
            process.send_signal(signal.SIGTERM)
            break
    rest = process.communicate(timeout=120)[1]
    assert process.returncode == 130, rest
    assert "replay stopped: 1 finished day(s) kept" in rest
    statuses = [(r.data.tags["run_date"], r.info.status) for r in tracking.runs(tracking.local_uri(root))]
    assert statuses[0] == ("2013-06-14", "FINISHED")
    assert statuses[1:] in ([], [("2013-06-15", "KILLED")])
