# test/lab.mk: the copy-on-write lab. Included by the root Makefile.
#
#   make grade [TEST=name]      build, then grade kernel/kernel (test/grade.py):
#                               cowtest, usertests -q, grind; ends "Score: X/Y".
#                               TEST: only that part or cowtest test
#   make handin                 pack the changes against the starter (the commit
#                               tagged starter) and time.txt into
#                               lab-cow-handin.tar.gz; refused if the tree does
#                               not build (test/handin.py)

grade: deps
	@$(MAKE) --no-print-directory all
	@python3 test/grade.py $(TEST)

handin:
	@python3 test/handin.py

.PHONY: grade handin

# staff-only{ test/handout.py leaves this block out of the handout.
#
#   make handout OUT=dir        write the students' starter tree to dir
#   make handout-check          build a handout in a scratch directory: it must
#                               be a git repository of one commit (starter) with
#                               the students' README, build, boot, pass
#                               usertests -q, fail the COW tests and let make
#                               handin pack a change (and refuse a tree that does
#                               not build), while this tree passes the COW tests
#   make sloppy                 the grader catches each sloppy solution of
#                               test/sloppy/ (test/sloppy.py): each patch still
#                               applies and builds, loses points, and the grader
#                               says why

handout:
	@test -n "$(OUT)" || { echo "usage: make handout OUT=dir" >&2; exit 1; }
	python3 test/handout.py "$(OUT)"

handout-check: deps
	@$(MAKE) --no-print-directory all
	@python3 test/handout.py --check

sloppy: deps
	@python3 test/sloppy.py

.PHONY: handout handout-check sloppy
# }staff-only
