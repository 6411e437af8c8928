# test/labs/starters.mk (staff only): the labs' starter kernels, made from kernel/ by
# the labs' patches and built like kernel/kernel, with objects of their own.
# The root Makefile includes this file before its kernel rules.
#
#   make COW=0     the copy-on-write lab's starter, the eager-copy kernel
#                  (test/labs/cow.patch): build/eager/kernel
#   make MMAP=0    the mmap lab's starter (test/labs/mmap.patch):
#                  build/nommap/kernel
#
# A patch takes the lab's solution out of kernel/ and leaves LAB fences
# where students write it; test/handout.py makes the lab's handout with the
# same patch. A patch only changes files: a starter has the files kernel/
# has. With DEBUG=1 the objects go to build/debug-eager or
# build/debug-nommap.

# Included before the root Makefile names its default goal.
.DEFAULT_GOAL := all

COW ?= 1
MMAP ?= 1
LAB_START = $(if $(filter 0,$(COW)),cow,$(if $(filter 0,$(MMAP)),mmap))

ifneq ($(LAB_START),)
KVARIANT = $(if $(filter cow,$(LAB_START)),eager,nommap)
KTOP = build/$(KVARIANT)-src
KSRC = $(KTOP)/kernel
KOUT = build/$(if $(filter 1,$(DEBUG)),debug-)$(KVARIANT)

# The starter's sources: a copy of kernel/'s, patched. Remade whenever
# kernel/ or the patch changes.
$(KTOP)/.patched: test/labs/$(LAB_START).patch $(KSRCS) $(KHDRS)
	@rm -rf $(KTOP)
	@mkdir -p $(KTOP)
	@cp --parents $(KSRCS) $(KHDRS) $(KTOP)/
	git apply --directory=$(KTOP) test/labs/$(LAB_START).patch
	@touch $@

$(patsubst $K/%,$(KSRC)/%,$(KSRCS) $(KHDRS)): $(KTOP)/.patched ;
endif
