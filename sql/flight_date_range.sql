SELECT min(make_date(CAST(year AS INTEGER), CAST(month AS INTEGER), CAST(day AS INTEGER))) AS first_day,
       max(make_date(CAST(year AS INTEGER), CAST(month AS INTEGER), CAST(day AS INTEGER))) AS last_day
FROM flights
