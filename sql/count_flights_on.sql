SELECT count(*) FROM flights WHERE make_date(year, month, day) = $day
