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
#                               the students' README, hold none of the solution's
#                               lines or names, build, boot, pass usertests -q,
#                               fail the COW tests, score at most 40% and let
#                               make handin pack a change (and refuse a tree that
#                               does not build); with its fences filled in from
#                               this tree's code it must score full marks, and
#                               this tree must pass the COW tests

handout:
	@test -n "$(OUT)" || { echo "usage: make handout OUT=dir" >&2; exit 1; }
	python3 test/handout.py "$(OUT)"

handout-check: deps
	@$(MAKE) --no-print-directory all
	@python3 test/handout.py --check

.PHONY: handout handout-check
# }staff-only
