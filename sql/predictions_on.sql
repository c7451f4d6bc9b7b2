SELECT flight_id, p_disrupted, model_version FROM flight_predictions WHERE run_date = $day
