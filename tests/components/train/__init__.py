"""Tests of ``components/train``."""
