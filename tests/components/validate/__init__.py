"""Tests of ``components/validate``."""
