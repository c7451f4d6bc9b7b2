-- Flights scheduled on each day of [$start, $end] (days without flights are absent): replay's preflight, one query.
SELECT make_date(CAST(year AS INTEGER), CAST(month AS INTEGER), CAST(day AS INTEGER)) AS flight_date,
       count(*) AS flights
FROM flights
WHERE make_date(CAST(year AS INTEGER), CAST(month AS INTEGER), CAST(day AS INTEGER)) >= $start
  AND make_date(CAST(year AS INTEGER), CAST(month AS INTEGER), CAST(day AS INTEGER)) <= $end
GROUP BY 1
