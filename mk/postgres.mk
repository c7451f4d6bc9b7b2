# postgres targets (included by the Makefile).
