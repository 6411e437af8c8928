# test/bench.mk: `make bench`, fork three ways (eager, page COW, table COW).
# Included by the root Makefile.
#
#   make bench    build the COW kernel (kernel/kernel), the eager-copy kernel
#                 (make COW=0: build/eager/kernel) and fs.img, run
#                 test/bench.py, print one table and write it to
#                 build/bench-results.txt (untracked)
#   make bench REFRESH=1    also rewrite the tracked test/bench-results.txt

bench: deps-test
	@$(MAKE) --no-print-directory COW=1 all
	@$(MAKE) --no-print-directory COW=0 all
	python3 test/bench.py $(if $(REFRESH),--refresh)

.PHONY: bench
