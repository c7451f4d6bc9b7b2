"""Tests of ``components/common``."""
