-- Flights scheduled on days in [$start, $end), with the plane and the weather at the origin in the
-- scheduled hour (standing in for a forecast). Outcome columns come along; ingest decides who sees them.
-- disrupted: arrived 15+ minutes late, or never arrived (cancelled or diverted: arr_delay is null).
-- Portable SQL: runs unchanged on DuckDB and PostgreSQL (make_date takes INTEGERs on PostgreSQL).
SELECT
    CAST(f.year * 10000 + f.month * 100 + f.day AS VARCHAR)
        || '-' || f.carrier || '-' || CAST(f.flight AS VARCHAR) || '-' || f.origin
        || '-' || lpad(CAST(f.sched_dep_time AS VARCHAR), 4, '0') AS flight_id,
    make_date(CAST(f.year AS INTEGER), CAST(f.month AS INTEGER), CAST(f.day AS INTEGER)) AS flight_date,
    f.year, f.month, f.day, f.sched_dep_time, f.sched_arr_time, f.hour, f.minute,
    f.carrier, f.flight, f.tailnum, f.origin, f.dest, f.distance,
    p.year AS plane_year, p.type AS plane_type, p.manufacturer AS plane_manufacturer,
    p.engines AS plane_engines, p.seats AS plane_seats, p.engine AS plane_engine,
    w.temp, w.dewp, w.humid, w.wind_dir, w.wind_speed, w.wind_gust, w.precip, w.pressure, w.visib,
    f.dep_time, f.dep_delay, f.arr_time, f.arr_delay, f.air_time,
    (f.arr_delay IS NULL OR f.arr_delay >= 15) AS disrupted
FROM flights AS f
LEFT JOIN planes AS p ON p.tailnum = f.tailnum
LEFT JOIN weather AS w ON w.origin = f.origin AND w.time_hour = f.time_hour
WHERE make_date(CAST(f.year AS INTEGER), CAST(f.month AS INTEGER), CAST(f.day AS INTEGER)) >= $start
  AND make_date(CAST(f.year AS INTEGER), CAST(f.month AS INTEGER), CAST(f.day AS INTEGER)) < $end
ORDER BY flight_date, f.sched_dep_time, f.carrier, f.flight, f.origin
