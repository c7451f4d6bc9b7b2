"""The flight-disruption pipeline: one subpackage per stage, plus shared IO in ``common``."""
