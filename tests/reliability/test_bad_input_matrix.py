"""The bad-input matrix: data, files, config and environment. Each case asserts the precise one-line error
(or the quarantine / masking, visible in the validation report) AND that the warehouse predictions, the
registry and the artifact root are byte for byte as before. Stage shells are called directly (fast); the
config and environment cases go through the real CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from components.common.config import WindowSettings
from components.common.warehouse.reads import read_table_rows
from components.common.warehouse.url import parse_warehouse_url
from components.common.warehouse.writes import replace_day_rows
from components.contracts import PREDICTIONS_TABLE
from components.ingest import shell as ingest
from components.validate import shell as validate
from tests.reliability.conftest import DAY, Case, State
from tests.support.postgres import PostgresServer

RUN_DAY = dt.date.fromisoformat(DAY)
HISTORY_START = dt.date(2013, 3, 17)  # the 90-day window of the run day
LIMIT = 0.02
STRUCTURE_FIX = "fix the warehouse tables or the query in sql/"


@pytest.fixture(scope="session")
def raw_sets(duckdb_seeded: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """The real ingest output for the run day (a 30-day window keeps the matrix fast), as pandas frames."""
    folder = tmp_path_factory.mktemp("raw")
    ingest.run(_ingest_request(f"duckdb:///{duckdb_seeded}", folder))
    return {
        name: pq.read_table(folder / f"{name}.parquet").to_pandas(date_as_object=False)
        for name in ("history", "scoring")
    }


def _ingest_request(url: str, out: Path) -> ingest.Request:
    """Ingest of the run day with a 30-day window, into ``out``."""
    return ingest.Request(
        run_date=DAY, warehouse_url=url, window={"window_days": 30, "holdout_days": 7},
        history=out / "history.parquet", scoring=out / "scoring.parquet",
    )  # fmt: skip


def _validate_request(history: Path, scoring: Path, out: Path, names: tuple[str, str, str]) -> validate.Request:
    valid_history, valid_scoring, quarantine = (out / name for name in names)
    return validate.Request(
        run_date=DAY, validate={"max_quarantine_share": LIMIT}, history=history, scoring=scoring,
        valid_history=valid_history, valid_scoring=valid_scoring, quarantine=quarantine,
    )  # fmt: skip


class ValidateRun:
    """The validate stage on (possibly broken) inputs, writing into the state's artifact root."""

    def __init__(self, state: State, tmp_path: Path, raw_sets: dict[str, pd.DataFrame]) -> None:
        self.state = state
        self.inputs = tmp_path / "inputs"
        self.inputs.mkdir()
        self.out = state.artifact_root / "runs" / DAY / "matrix" / "validate"
        self.frames = {name: frame.copy() for name, frame in raw_sets.items()}
        self.path = {name: self.inputs / f"{name}.parquet" for name in ("history", "scoring")}

    def write(self) -> None:
        for name, frame in self.frames.items():
            if not self.path[name].exists():  # a file case may have put its own bytes there
                pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), self.path[name])

    def __call__(self) -> dict[str, Any]:
        self.write()
        names = ("valid_history.parquet", "valid_scoring.parquet", "quarantine.parquet")
        return validate.run(_validate_request(self.path["history"], self.path["scoring"], self.out, names)).model_dump()


@pytest.fixture
def stage(state: State, tmp_path: Path, raw_sets: dict[str, pd.DataFrame]) -> ValidateRun:
    return ValidateRun(state, tmp_path, raw_sets)


def _structure(dataset: str, problems: str) -> str:
    return f"the {dataset} set does not have the expected structure: {problems}: {STRUCTURE_FIX}"


def _rows(frame: pd.DataFrame, share: float) -> pd.Index:
    return frame.index[:: max(1, int(1 / share))]


# --- data: structural breaks fail at once, nothing written ----------------------------------------

Mutation = Callable[[dict[str, pd.DataFrame]], None]


def _drop(dataset: str, column: str) -> Mutation:
    return lambda frames: frames.__setitem__(dataset, frames[dataset].drop(columns=column))


def _rename(dataset: str, old: str, new: str) -> Mutation:
    return lambda frames: frames.__setitem__(dataset, frames[dataset].rename(columns={old: new}))


def _set(dataset: str, column: str, value: Any, share: float = 1.0) -> Mutation:
    def mutate(frames: dict[str, pd.DataFrame]) -> None:
        frame = frames[dataset]
        if not isinstance(value, float | int | bool | None) and frame[column].dtype != object:
            frame[column] = frame[column].astype(object)
        frame.loc[_rows(frame, share), column] = value

    return mutate


def _add(dataset: str, column: str, value: Any) -> Mutation:
    return lambda frames: frames[dataset].insert(len(frames[dataset].columns), column, value)


def _empty(dataset: str) -> Mutation:
    return lambda frames: frames.__setitem__(dataset, frames[dataset].iloc[:0])


def _second_day(frames: dict[str, pd.DataFrame]) -> None:
    extra = frames["scoring"].iloc[:5].copy()
    extra["flight_date"] = extra["flight_date"] + pd.Timedelta(days=1)
    extra["day"] += 1
    extra["flight_id"] = extra["flight_id"] + "-next"
    frames["scoring"] = pd.concat([frames["scoring"], extra], ignore_index=True)


def _all_cancelled(frames: dict[str, pd.DataFrame]) -> None:
    history = frames["history"]
    history[["dep_time", "dep_delay", "arr_time", "arr_delay", "air_time"]] = np.nan
    history["disrupted"] = True


def _duplicate_all(frames: dict[str, pd.DataFrame]) -> None:
    frames["history"] = pd.concat([frames["history"], frames["history"].iloc[:2000]], ignore_index=True)


STRUCTURAL: list[tuple[str, Mutation, str]] = [
    (
        "missing column",
        _drop("history", "carrier"),
        _structure("history", "HistoryFlights: column_in_dataframe (carrier)"),
    ),
    (
        "renamed column",
        _rename("scoring", "carrier", "airline"),
        _structure(
            "scoring", "ScoringFlights: column_in_dataframe (carrier); ScoringFlights: column_in_schema (airline)"
        ),
    ),
    (
        "extra column (an outcome in the scoring set)",
        _add("scoring", "arr_delay", 0.0),
        _structure("scoring", "ScoringFlights: column_in_schema (arr_delay)"),
    ),
    (
        "wrong type",
        _set("history", "distance", "far"),
        _structure("history", "distance: coerce_dtype('float64') (far)"),
    ),
    (
        "empty day",
        _empty("scoring"),
        "the scoring set is empty: check that the warehouse has flights for the run's days",
    ),
    (
        "scoring set spans two days",
        _second_day,
        "the scoring set spans 2 days, expected exactly one: check sql/flights_between.sql",
    ),
    (
        "only cancelled flights in the window",
        _all_cancelled,
        "every one of the 54107 valid history flights is disrupted: a model can't learn from one outcome; "
        "check the warehouse's flights table (cancellations, arr_delay) for the window",
    ),
    (
        "nulls where forbidden, over the limit",
        _set("history", "origin", None, share=0.05),
        "2706 of 54107 history rows (5.0%) break row rules, over the limit of 2.0%: "
        "see the quarantine artifact, fix the source data or raise validate.max_quarantine_share",
    ),
    (
        "duplicate flights, over the limit",
        _duplicate_all,
        "4000 of 56107 history rows (7.1%) break row rules, over the limit of 2.0%: "
        "see the quarantine artifact, fix the source data or raise validate.max_quarantine_share",
    ),
    (
        "every scoring row out of range",
        _set("scoring", "sched_dep_time", 2500),
        "every row of the scoring set breaks a row rule (801 rows): "
        "see the quarantine reasons in the validation report and fix the source data",
    ),
]


@pytest.mark.parametrize(("name", "mutate", "expected"), STRUCTURAL, ids=[c[0] for c in STRUCTURAL])
def test_data_that_must_fail(
    name: str, mutate: Mutation, expected: str, stage: ValidateRun, state: State, case: Case
) -> None:
    before = state.snapshot()
    mutate(stage.frames)

    case.error(stage, expected)

    assert state.snapshot() == before


# --- data: bad rows go to quarantine (under the limit), with reasons in the report -------------------


def _flip_labels(frames: dict[str, pd.DataFrame]) -> None:
    history = frames["history"]
    rows = _rows(history, 0.005)
    history.loc[rows, "disrupted"] = ~history.loc[rows, "disrupted"].astype(bool)


QUARANTINED: list[tuple[str, Mutation, str, str]] = [
    ("null carrier", _set("history", "carrier", None, 0.005), "history", "carrier not_nullable"),
    ("time out of range", _set("scoring", "sched_dep_time", 2500, 0.01), "scoring", "sched_dep_time"),
    (
        "minutes out of range",
        _set("history", "sched_arr_time", 1275, 0.005),
        "history",
        "sched_arr_time_is_a_clock_time",
    ),
    ("distance not positive", _set("history", "distance", -5.0, 0.005), "history", "distance greater_than(0)"),
    ("unknown origin", _set("scoring", "origin", "BOS", 0.005), "scoring", "origin isin"),
    ("unknown carrier", _set("history", "carrier", "ZZ", 0.005), "history", "carrier isin"),
    (
        "cancelled flight with an arrival",
        _set("history", "dep_time", np.nan, 0.005),
        "history",
        "cancelled_flight_has_no_outcomes",
    ),
    ("label contradicts arr_delay", _flip_labels, "history", "disrupted_matches_arr_delay"),
    ("implausible plane year", _set("scoring", "plane_year", 1492.0, 0.005), "scoring", "plane_year"),
]


def _duplicate_flights(frames: dict[str, pd.DataFrame]) -> None:
    frames["scoring"] = pd.concat([frames["scoring"], frames["scoring"].iloc[[10]]], ignore_index=True)


def _future_dated(frames: dict[str, pd.DataFrame]) -> None:
    history = frames["history"]
    rows = history.index[-20:]
    history.loc[rows, "flight_date"] = pd.Timestamp(RUN_DAY + dt.timedelta(days=3))
    history.loc[rows, "day"] = RUN_DAY.day + 3


QUARANTINED += [
    ("duplicate flights", _duplicate_flights, "scoring", "flight_id field_uniqueness"),
    ("future-dated history rows", _future_dated, "history", f"flight_date on or after the run date {DAY}"),
]


@pytest.mark.parametrize(("name", "mutate", "dataset", "reason"), QUARANTINED, ids=[c[0] for c in QUARANTINED])
def test_bad_rows_are_quarantined_with_their_reason(
    name: str, mutate: Mutation, dataset: str, reason: str, stage: ValidateRun, state: State, case: Case
) -> None:
    before = state.snapshot()
    mutate(stage.frames)
    broken = len(stage.frames[dataset])

    report = stage()

    quarantine = pq.read_table(stage.out / "quarantine.parquet").to_pandas()
    rules = report["validation_report"][dataset]["broken_rules"]
    caught = (
        report["quarantined_rows"][dataset] > 0
        and quarantine["reason"].str.contains(reason, regex=False).all()
        and any(reason in rule["rule"] or reason.split(" ", maxsplit=1)[0] in rule["rule"] for rule in rules)
        and all(rule["rows"] > 0 and rule["examples"] for rule in rules)
    )
    case.handled("quarantine", caught)
    assert report["valid_rows"][dataset] + report["quarantined_rows"][dataset] == broken
    after = state.snapshot()
    assert after["tables"] == before["tables"]  # the warehouse and ...
    assert {k: v for k, v in after["files"].items() if "/matrix/" not in k} == before["files"]  # ... the registry
    assert sorted(k for k in after["files"] if "/matrix/" in k) == [
        f"runs/{DAY}/matrix/validate/{name}.parquet" for name in ("quarantine", "valid_history", "valid_scoring")
    ]


def test_the_1048_mph_wind_is_masked_and_reported(stage: ValidateRun, state: State, case: Case) -> None:
    stage.frames["scoring"].loc[3, "wind_speed"] = 1048.36058
    before = state.snapshot()["tables"]

    report = stage()

    scoring = report["validation_report"]["scoring"]
    case.handled("masked", scoring["masked_readings"] == {"wind_speed": 1})
    assert scoring["known_defects"]["implausible_readings_masked"] == 1
    assert scoring["known_defects"]["flights_without_plane_row"] > 0  # the real defect, kept on purpose
    assert report["quarantined_rows"]["scoring"] == 0
    valid = pq.read_table(stage.out / "valid_scoring.parquet").to_pandas()
    assert np.isnan(valid.loc[3, "wind_speed"])
    assert state.snapshot()["tables"] == before


# --- files -------------------------------------------------------------------------------------------


def _bytes_of(stage: ValidateRun, dataset: str) -> bytes:
    buffer = pa.BufferOutputStream()
    pq.write_table(
        pa.Table.from_pandas(stage.frames[dataset], preserve_index=False),
        buffer,
        compression="zstd",
        write_page_checksum=True,
    )
    return bytes(buffer.getvalue().to_pybytes())


def _flip(data: bytes) -> bytes:
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x10
    return bytes(flipped)


FILES: list[tuple[str, str, Callable[[bytes], bytes], str]] = [
    ("empty file", "history", lambda data: b"", "Parquet file size is 0 bytes"),
    (
        "truncated file",
        "scoring",
        lambda data: data[: len(data) // 2],
        "Parquet magic bytes not found in footer. Either the file is corrupted or this is not a parquet file.",
    ),
    (
        "bit-flipped file",
        "history",
        _flip,
        "could not verify page integrity, CRC checksum verification failed for page_ordinal 1",
    ),
    (
        "not parquet",
        "scoring",
        lambda data: b"flight_id,carrier\n1,UA\n",
        "Parquet magic bytes not found in footer. Either the file is corrupted or this is not a parquet file.",
    ),
]


@pytest.mark.parametrize(("name", "dataset", "damage", "reason"), FILES, ids=[c[0] for c in FILES])
def test_damaged_files_fail_loudly(
    name: str, dataset: str, damage: Callable[[bytes], bytes], reason: str, stage: ValidateRun, state: State, case: Case
) -> None:
    before = state.snapshot()
    path = stage.path[dataset]
    path.write_bytes(damage(_bytes_of(stage, dataset)))

    message = case.error(stage, _file_error(dataset, path, reason))

    assert reason in message
    assert state.snapshot() == before


def _file_error(dataset: str, path: Path, reason: str) -> str:
    return f"{dataset} flights {path} is not a readable parquet file ({reason}): rerun the stage that writes it"


def test_wrong_schema_file_is_a_structural_break(stage: ValidateRun, state: State, case: Case) -> None:
    before = state.snapshot()
    weather = pa.table({"origin": ["EWR"], "temp": [51.1], "time_hour": pa.array([0], pa.timestamp("s", "UTC"))})
    pq.write_table(weather, stage.path["scoring"])  # a valid parquet file of the wrong table

    case.error(
        stage,
        _structure(
            "scoring",
            "ScoringFlights: column_in_dataframe (carrier); ScoringFlights: column_in_dataframe (day); "
            "ScoringFlights: column_in_dataframe (dest); ScoringFlights: column_in_dataframe (dewp); "
            "ScoringFlights: column_in_dataframe (distance)",
        ),
    )
    assert state.snapshot() == before


def test_missing_input_file(stage: ValidateRun, state: State, case: Case) -> None:
    before = state.snapshot()
    stage.write()
    stage.path["history"].unlink()

    case.error(
        lambda: validate.run(
            _validate_request(
                stage.path["history"], stage.path["scoring"], stage.out, ("vh.parquet", "vs.parquet", "q.parquet")
            )
        ),
        f"history flights {stage.path['history']} does not exist: rerun the stage that writes it",
    )
    assert state.snapshot() == before


# --- config (through the CLI) ------------------------------------------------------------------------

CONFIGS: list[tuple[str, str, str]] = [
    (
        "unknown key",
        "window:\n  window_dayz: 90\n",
        "unknown key 'window.window_dayz': remove it or check its spelling",
    ),
    (
        "wrong type",
        "window:\n  window_days: ninety\n",
        "bad value for 'window.window_days': Input should be a valid integer, unable to parse string as an integer",
    ),
    (
        "negative window",
        "window:\n  window_days: -5\n",
        "bad value for 'window.window_days': Input should be greater than or equal to 14",
    ),
    (
        "holdout longer than half the window",
        "window:\n  window_days: 20\n  holdout_days: 15\n",
        "bad value for 'window': Value error, holdout_days must be at most half of window_days",
    ),
    (
        "quarantine share over 1",
        "validate:\n  max_quarantine_share: 1.5\n",
        "bad value for 'validate.max_quarantine_share': Input should be less than or equal to 1",
    ),
]


@pytest.mark.parametrize(("name", "text", "problem"), CONFIGS, ids=[c[0] for c in CONFIGS])
def test_bad_config(
    name: str, text: str, problem: str, state: State, tmp_path: Path, case: Case, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    before = state.snapshot()

    case.cli_error(
        ["run", "--date", DAY, "--config", str(config), *_where(state)], f"config {config}: {problem}", capsys
    )

    assert state.snapshot() == before


def test_config_that_is_not_a_mapping(
    state: State, tmp_path: Path, case: Case, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "list.yaml"
    config.write_text("- window_days\n- 90\n")
    before = state.snapshot()

    case.cli_error(
        ["run", "--date", DAY, "--config", str(config), *_where(state)],
        f"config {config}: expected a mapping of keys at the top level",
        capsys,
    )
    assert state.snapshot() == before


def _where(state: State) -> list[str]:
    return ["--warehouse-url", state.warehouse_url, "--artifact-root", str(state.artifact_root)]


# --- environment ---------------------------------------------------------------------------------------


def test_warehouse_missing(state: State, tmp_path: Path, case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere" / "warehouse.duckdb"
    before = state.snapshot()

    case.cli_error(
        ["run", "--date", DAY, "--warehouse-url", f"duckdb:///{missing}", "--artifact-root", str(state.artifact_root)],
        f"warehouse {missing} does not exist: run `python pipeline.py seed --warehouse-url duckdb:///{missing}` first",
        capsys,
    )
    assert state.snapshot() == before
    assert not missing.exists()


def test_table_missing(state: State, case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    path = parse_warehouse_url(state.warehouse_url).path
    assert path is not None
    with duckdb.connect(str(path)) as connection:
        connection.execute("DROP TABLE weather")
    before = state.snapshot()

    case.cli_error(
        ["run", "--date", DAY, *_where(state)],
        f"warehouse {state.warehouse_url} lacks table(s) weather: run `python pipeline.py seed --warehouse-url "
        f"{state.warehouse_url}` or point --warehouse-url at a seeded warehouse",
        capsys,
    )
    assert state.snapshot() == before


def test_unsupported_warehouse(state: State, case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    before = state.snapshot()

    case.cli_error(
        ["run", "--date", DAY, "--warehouse-url", "sqlite:///w.db", "--artifact-root", str(state.artifact_root)],
        "warehouse URL scheme 'sqlite' is not supported: "
        "use duckdb:///path/to/file.duckdb or postgresql://user@host:port/database",
        capsys,
    )
    assert state.snapshot() == before


def test_duckdb_locked_by_another_writer_too_long(
    state: State, tmp_path: Path, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLIGHTS_WAREHOUSE_ATTEMPTS", "2")
    path = parse_warehouse_url(state.warehouse_url).path
    before = state.snapshot()
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_duckdb_lock, args=(str(path), ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        out = tmp_path / "ingest"
        message = case.error(
            lambda: ingest.run(_ingest_request(state.warehouse_url, out)),
            _any_message_starting(
                f"warehouse {path} failed 2 time(s) with a transient error (IO Error: Could not set lock"
            ),
        )
        assert message.endswith("check that the database server is up and reachable, then rerun")
        assert not out.exists()
    finally:
        release.set()
        holder.join(30)
    assert state.snapshot() == before


def _hold_duckdb_lock(path: str, ready: Any, release: Any) -> None:
    with duckdb.connect(path) as connection:  # a writer holds the file lock
        connection.execute("SELECT 1")
        ready.set()
        release.wait(60)


class _Prefix(str):
    """An expected message known by its start (the rest is the database's own words); compares by prefix."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other.startswith(str(self))

    __hash__ = str.__hash__


def _any_message_starting(prefix: str) -> str:
    return _Prefix(prefix)


# --- environment: PostgreSQL -------------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_down_before_the_query(
    postgres_server: PostgresServer, tmp_path: Path, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLIGHTS_WAREHOUSE_ATTEMPTS", "2")
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://flights@127.0.0.1:{port}/flights"
    out = tmp_path / "ingest"

    message = case.error(
        lambda: ingest.run(_ingest_request(url, out)),
        _any_message_starting(f"warehouse {url} failed 2 time(s) with a transient error ("),
    )

    assert "Connection refused" in message
    assert not out.exists()


@pytest.mark.postgres
def test_postgres_stops_during_the_query(
    postgres_server: PostgresServer,
    postgres_warehouse: str,
    tmp_path: Path,
    case: Case,
    monkeypatch: pytest.MonkeyPatch,
    no_temp_files: Callable[[Path], list[Path]],
) -> None:
    """The server goes down after the first batch of the history has been written: nothing is left behind."""
    monkeypatch.setenv("FLIGHTS_WAREHOUSE_ATTEMPTS", "2")
    real_write = ingest.write_batches

    def write_then_crash(reader: pa.RecordBatchReader, path: Path, empty_error: str | None = None) -> int:
        def batches() -> Any:
            for number, batch in enumerate(reader):
                if number == 0 and postgres_server.running:
                    postgres_server.stop("immediate")
                yield batch

        return real_write(pa.RecordBatchReader.from_batches(reader.schema, batches()), path, empty_error)

    monkeypatch.setattr(ingest, "write_batches", write_then_crash)
    out = tmp_path / "ingest"
    history = out / "history.parquet"
    try:
        message = case.error(
            lambda: ingest.write_history(postgres_warehouse, HISTORY_START, RUN_DAY, WindowSettings(), history),
            _any_message_starting(f"warehouse {postgres_warehouse} failed 2 time(s) with a transient error ("),
        )
        assert not (out / "history.parquet").exists()
        assert no_temp_files(out) == [] if out.exists() else True
    finally:
        if not postgres_server.running:
            postgres_server.start()
    assert "check that the database server is up and reachable" in message
    monkeypatch.setattr(ingest, "write_batches", real_write)
    rows, days = ingest.write_history(postgres_warehouse, HISTORY_START, RUN_DAY, WindowSettings(), history)
    assert (rows, days) == (84_273, 90)  # the next run succeeds


@pytest.mark.postgres
def test_postgres_down_during_the_upsert_leaves_the_day_as_it_was(
    postgres_server: PostgresServer, postgres_warehouse: str, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLIGHTS_WAREHOUSE_ATTEMPTS", "1")
    rows = pa.table(
        {
            "run_date": pa.array([RUN_DAY] * 3, pa.date32()),
            "flight_id": ["a", "b", "c"],
            "carrier": ["UA"] * 3,
            "flight": pa.array([1] * 3, pa.int64()),
            "origin": ["EWR"] * 3,
            "dest": ["ORD"] * 3,
            "sched_dep_time": pa.array([600] * 3, pa.int64()),
            "p_disrupted": [0.1, 0.2, 0.3],
            "model_version": ["old"] * 3,
        }
    )
    replace_day_rows(postgres_warehouse, PREDICTIONS_TABLE, RUN_DAY, rows)
    before = read_table_rows(postgres_warehouse, PREDICTIONS_TABLE).to_pylist()
    import adbc_driver_manager.dbapi

    real_ingest = adbc_driver_manager.dbapi.Cursor.adbc_ingest

    def crash_mid_transaction(self: Any, *args: Any, **kwargs: Any) -> Any:
        postgres_server.stop("immediate")  # after the DELETE of the day, before the new rows
        return real_ingest(self, *args, **kwargs)

    monkeypatch.setattr(adbc_driver_manager.dbapi.Cursor, "adbc_ingest", crash_mid_transaction)
    new_rows = rows.set_column(8, "model_version", pa.array(["new"] * 3))
    try:
        case.error(
            lambda: replace_day_rows(postgres_warehouse, PREDICTIONS_TABLE, RUN_DAY, new_rows),
            _any_message_starting(f"warehouse {postgres_warehouse} failed 1 time(s) with a transient error ("),
        )
    finally:
        monkeypatch.setattr(adbc_driver_manager.dbapi.Cursor, "adbc_ingest", real_ingest)
        postgres_server.start()
    assert read_table_rows(postgres_warehouse, PREDICTIONS_TABLE).to_pylist() == before
    replace_day_rows(postgres_warehouse, PREDICTIONS_TABLE, RUN_DAY, new_rows)
    stored = read_table_rows(postgres_warehouse, PREDICTIONS_TABLE).to_pylist()
    assert {row["model_version"] for row in stored} == {"new"}
    assert len(stored) == 3
