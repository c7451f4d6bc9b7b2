-- Flights scheduled on days in [$start, $end), each with what is known at the scoring time of its own day:
-- the plane, the day's schedule (the plane's rotation, congestion at the origin and across New York), and the
-- latest weather reading at the origin taken before the scoring time ($weather_hours: readings of hours
-- 0 .. $weather_hours - 1 of that day are over by then). Outcome columns come along; ingest decides who sees them.
-- disrupted: arrived 15+ minutes late, or never arrived (cancelled or diverted: arr_delay is null).
-- Portable SQL: runs unchanged on DuckDB and PostgreSQL (make_date takes INTEGERs on PostgreSQL).
WITH scheduled AS (
    SELECT
        f.*,
        make_date(CAST(f.year AS INTEGER), CAST(f.month AS INTEGER), CAST(f.day AS INTEGER)) AS flight_date
    FROM flights AS f
    WHERE make_date(CAST(f.year AS INTEGER), CAST(f.month AS INTEGER), CAST(f.day AS INTEGER)) >= $start
      AND make_date(CAST(f.year AS INTEGER), CAST(f.month AS INTEGER), CAST(f.day AS INTEGER)) < $end
),
morning AS (
    SELECT w.*,
        ROW_NUMBER() OVER (PARTITION BY w.origin, w.year, w.month, w.day ORDER BY w.hour DESC, w.time_hour DESC) AS latest
    FROM weather AS w
    WHERE w.hour < $weather_hours
)
SELECT
    CAST(f.year * 10000 + f.month * 100 + f.day AS VARCHAR)
        || '-' || f.carrier || '-' || CAST(f.flight AS VARCHAR) || '-' || f.origin
        || '-' || lpad(CAST(f.sched_dep_time AS VARCHAR), 4, '0') AS flight_id,
    f.flight_date,
    f.year, f.month, f.day, f.sched_dep_time, f.sched_arr_time, f.hour, f.minute,
    f.carrier, f.flight, f.tailnum, f.origin, f.dest, f.distance,
    p.year AS plane_year, p.type AS plane_type, p.manufacturer AS plane_manufacturer,
    p.engines AS plane_engines, p.seats AS plane_seats, p.engine AS plane_engine,
    w.temp, w.dewp, w.humid, w.wind_dir, w.wind_speed, w.wind_gust, w.precip, w.pressure, w.visib,
    CASE WHEN f.tailnum IS NULL THEN NULL ELSE
        ROW_NUMBER() OVER (PARTITION BY f.flight_date, f.tailnum ORDER BY f.sched_dep_time, f.carrier, f.flight)
    END AS tail_leg,
    CASE WHEN f.tailnum IS NULL THEN NULL ELSE COUNT(*) OVER (PARTITION BY f.flight_date, f.tailnum) END AS tail_legs,
    CASE WHEN f.tailnum IS NULL THEN NULL ELSE
        LAG(f.sched_dep_time) OVER (PARTITION BY f.flight_date, f.tailnum ORDER BY f.sched_dep_time, f.carrier, f.flight)
    END AS tail_prev_sched_dep_time,
    COUNT(*) OVER (PARTITION BY f.flight_date, f.origin, f.hour) AS origin_hour_flights,
    COUNT(*) OVER (PARTITION BY f.flight_date, f.origin) AS origin_day_flights,
    COUNT(*) OVER (PARTITION BY f.flight_date, f.hour) AS nyc_hour_flights,
    f.dep_time, f.dep_delay, f.arr_time, f.arr_delay, f.air_time,
    (f.arr_delay IS NULL OR f.arr_delay >= 15) AS disrupted
FROM scheduled AS f
LEFT JOIN planes AS p ON p.tailnum = f.tailnum
LEFT JOIN morning AS w
    ON w.latest = 1 AND w.origin = f.origin AND w.year = f.year AND w.month = f.month AND w.day = f.day
ORDER BY f.flight_date, f.sched_dep_time, f.carrier, f.flight, f.origin
