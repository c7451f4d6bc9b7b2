CREATE TABLE IF NOT EXISTS flight_monitoring (
    run_date DATE NOT NULL PRIMARY KEY,
    model_version VARCHAR NOT NULL,
    scored_flights BIGINT NOT NULL,
    drift_max_psi DOUBLE PRECISION,
    drifted_features VARCHAR,
    checked_date DATE,
    checked_flights BIGINT,
    checked_roc_auc DOUBLE PRECISION,
    checked_brier DOUBLE PRECISION,
    checked_observed_rate DOUBLE PRECISION,
    checked_mean_predicted DOUBLE PRECISION
)
