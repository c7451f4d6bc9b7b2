"""Tests of ``components/promote``."""
