"""Names the pipeline, the stages and the cluster tooling share (k8s/ and scripts/cluster/ use the same literals;
tests/k8s checks them). No imports: pipeline.py and the submit image read these without the warehouse drivers."""

# The Secret that holds the warehouse URL (key `url`) on a cluster, and the variable the stages read it from.
WAREHOUSE_SECRET = "flights-warehouse"
WAREHOUSE_URL_ENV = "FLIGHTS_WAREHOUSE_URL"
