"""The only place with IO: warehouse, parquet, the MLflow tracking store and registry, config and logging."""
