# bench targets (included by the Makefile).
