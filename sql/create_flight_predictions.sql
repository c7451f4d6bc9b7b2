CREATE TABLE IF NOT EXISTS flight_predictions (
    run_date DATE NOT NULL,
    flight_id VARCHAR NOT NULL,
    carrier VARCHAR,
    flight BIGINT,
    origin VARCHAR,
    dest VARCHAR,
    sched_dep_time BIGINT,
    p_disrupted DOUBLE PRECISION NOT NULL,
    model_version VARCHAR NOT NULL,
    PRIMARY KEY (run_date, flight_id)
)
