# bench targets (included by the Makefile).
# The benchmark: `make bench` (full: 1x real + SYNTHETIC 10x/30x histories; long) and `make bench-smoke`
# (1x real data only, one repetition, < 2 min; CI runs it to keep the benchmark working, never to judge timings).
BENCH_OUT ?= build/bench.json
BENCH_ARGS ?=
# IMAGE_REPO and IMAGE_TAG (the stage images whose start-up is measured) come from mk/docker.mk: `make build`'s tag.

.PHONY: bench bench-smoke

bench: install ## Full benchmark (real 1x + SYNTHETIC 10x/30x): table + JSON in BENCH_OUT
	IMAGE_REPO=$(IMAGE_REPO) IMAGE_TAG=$(IMAGE_TAG) $(RUN) python -m bench --out $(BENCH_OUT) $(BENCH_ARGS)

bench-smoke: install ## Benchmark smoke run on the real 1x data (< 2 min); asserts it wrote its records
	IMAGE_REPO=$(IMAGE_REPO) IMAGE_TAG=$(IMAGE_TAG) $(RUN) python -m bench --smoke --out $(BENCH_OUT) $(BENCH_ARGS)
	$(RUN) python -m bench.check $(BENCH_OUT)
