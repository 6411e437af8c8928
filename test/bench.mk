# test/bench.mk: `make bench`, copy-on-write fork against eager copy.
# Included by the root Makefile.
#
#   make bench    build the COW kernel (kernel/kernel), the eager-copy kernel
#                 (make COW=0: build/eager/kernel) and fs.img, run
#                 test/bench.py, print one table and write it to
#                 test/bench-results.txt

bench: deps
	@$(MAKE) --no-print-directory COW=1 all
	@$(MAKE) --no-print-directory COW=0 all
	python3 test/bench.py

.PHONY: bench
