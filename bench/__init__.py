"""The benchmark: ``python -m bench [--smoke]`` (``make bench`` / ``make bench-smoke``).

Builds benchmark warehouses (the real 2013 data, and SYNTHETIC longer histories made from it), measures the
project's paths against the obvious single-process / pandas baselines side by side, prints a table and writes
one JSON record per measurement. Synthetic data is for benchmarks only and is labelled SYNTHETIC everywhere.
"""
