# docker targets (included by the Makefile).
