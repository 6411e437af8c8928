# test/bench.mk: `make bench`, fork three ways (eager, page COW, table COW).
# Included by the root Makefile.
#
#   make bench    build the COW kernel (kernel/kernel), the eager-copy kernel
#                 (make COW=0: build/eager/kernel) and fs.img, run
#                 test/bench.py, print one table and write it to
#                 build/bench-results.txt (untracked)
#                 then test/bench_swap.py: page replacement on reference
#                 strings against OPT and LRU, and a working set that fits
#                 (build/bench-swap.txt, build/bench-swap.svg)
#   make bench REFRESH=1    also rewrite the tracked test/bench-results.txt
#                 and test/bench-swap.txt

bench: deps-test
	@$(MAKE) --no-print-directory COW=1 all
	@$(MAKE) --no-print-directory COW=0 all
	python3 test/bench.py $(if $(REFRESH),--refresh)
	python3 test/bench_swap.py $(if $(REFRESH),--refresh)

.PHONY: bench
