"""Tests of ``components/features``."""
