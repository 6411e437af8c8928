# test/lab.mk: the labs (cow: copy-on-write fork; mmap: file mappings).
# Included by the root Makefile. LAB names the lab graded and handed in; a
# handout sets it to its own.
#
#   make grade [TEST=name]      build, then grade kernel/kernel (test/grade.py):
#                               the lab's test program (cowtest, maptest), each
#                               test and the whole run, usertests -q (and for
#                               cow grind); ends "Score: X/Y". TEST: only that
#                               part or test
#   make handin                 pack the changes against the starter (the commit
#                               tagged starter) and time.txt into
#                               lab-LAB-handin.tar.gz; refused if the tree does
#                               not build (test/handin.py)

LAB ?= cow

grade: deps
	@$(MAKE) --no-print-directory all
	@python3 test/grade.py --lab $(LAB) $(TEST)

handin:
	@python3 test/handin.py --lab $(LAB)

.PHONY: grade handin

# staff-only{ test/handout.py leaves this block out of the handout.
#
#   make handout OUT=dir [LAB=cow|mmap]
#                               write the students' starter tree of the lab to
#                               dir
#   make handout-check [LAB=cow|mmap]
#                               build the lab's handout in a scratch directory:
#                               it must be a git repository of one commit
#                               (starter) with the students' README, hold none
#                               of the solution's lines or names, build, boot,
#                               pass usertests -q, fail the lab's tests, score
#                               at most 40% and let make handin pack a change
#                               (and refuse a tree that does not build); with
#                               its fences filled in from this tree's code it
#                               must score full marks, and this tree must pass
#                               the lab's tests
#   make sloppy                 the grader catches each sloppy solution of
#                               test/sloppy/ (test/sloppy.py): each patch still
#                               applies and builds, loses points, and the grader
#                               says why

handout:
	@test -n "$(OUT)" || { echo "usage: make handout OUT=dir [LAB=cow|mmap]" >&2; exit 1; }
	python3 test/handout.py --lab $(LAB) "$(OUT)"

handout-check: deps
	@$(MAKE) --no-print-directory all
	@python3 test/handout.py --lab $(LAB) --check

sloppy: deps
	@python3 test/sloppy.py

.PHONY: handout handout-check sloppy
# }staff-only
