"""Tests of ``components/evaluate``."""
