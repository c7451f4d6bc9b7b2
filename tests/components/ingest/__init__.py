"""Tests of ``components/ingest``."""
