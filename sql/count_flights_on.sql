SELECT count(*) FROM flights WHERE make_date(CAST(year AS INTEGER), CAST(month AS INTEGER), CAST(day AS INTEGER)) = $day
