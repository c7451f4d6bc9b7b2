"""The only place with IO: warehouse, parquet, registry, config and logging."""
