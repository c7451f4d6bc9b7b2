-- The nycflights13 tables with their original names and columns.
CREATE TABLE IF NOT EXISTS airlines (carrier VARCHAR PRIMARY KEY, name VARCHAR);
CREATE TABLE IF NOT EXISTS airports (
    faa VARCHAR PRIMARY KEY, name VARCHAR, lat DOUBLE PRECISION, lon DOUBLE PRECISION, alt BIGINT,
    tz BIGINT, dst VARCHAR, tzone VARCHAR
);
CREATE TABLE IF NOT EXISTS planes (
    tailnum VARCHAR PRIMARY KEY, year BIGINT, type VARCHAR, manufacturer VARCHAR, model VARCHAR,
    engines BIGINT, seats BIGINT, speed BIGINT, engine VARCHAR
);
CREATE TABLE IF NOT EXISTS weather (
    origin VARCHAR, year BIGINT, month BIGINT, day BIGINT, hour BIGINT, temp DOUBLE PRECISION, dewp DOUBLE PRECISION,
    humid DOUBLE PRECISION, wind_dir BIGINT, wind_speed DOUBLE PRECISION, wind_gust DOUBLE PRECISION, precip DOUBLE PRECISION,
    pressure DOUBLE PRECISION, visib DOUBLE PRECISION, time_hour TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS flights (
    year BIGINT, month BIGINT, day BIGINT, dep_time BIGINT, sched_dep_time BIGINT, dep_delay BIGINT,
    arr_time BIGINT, sched_arr_time BIGINT, arr_delay BIGINT, carrier VARCHAR, flight BIGINT,
    tailnum VARCHAR, origin VARCHAR, dest VARCHAR, air_time BIGINT, distance BIGINT, hour BIGINT,
    minute BIGINT, time_hour TIMESTAMPTZ
);
