CREATE TABLE IF NOT EXISTS flight_monitoring (
    run_date DATE NOT NULL PRIMARY KEY,
    model_version VARCHAR NOT NULL,
    scored_flights BIGINT NOT NULL,
    drift_max_psi DOUBLE,
    drifted_features VARCHAR,
    checked_date DATE,
    checked_flights BIGINT,
    checked_roc_auc DOUBLE,
    checked_brier DOUBLE,
    checked_observed_rate DOUBLE,
    checked_mean_predicted DOUBLE
)
