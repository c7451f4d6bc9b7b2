"""Tests of ``components/predict``."""
