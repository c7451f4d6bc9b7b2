SELECT min(make_date(year, month, day)), max(make_date(year, month, day)) FROM flights
