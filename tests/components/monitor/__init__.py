"""Tests of ``components/monitor``."""
