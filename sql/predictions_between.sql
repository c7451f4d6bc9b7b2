SELECT run_date, flight_id, p_disrupted, model_version FROM flight_predictions WHERE run_date >= $start AND run_date <= $end
