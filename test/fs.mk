# fs.mk: host tools and tests for the disk image: the fscheck checker and the
# mkfs tests. Included by the root Makefile, which defines HOSTCC/HOSTCFLAGS
# and the rule for mkfs/mkfs.

test/build/fscheck: test/fscheck.c kernel/fs.h kernel/param.h kernel/stat.h kernel/types.h
	@mkdir -p test/build
	$(HOSTCC) $(HOSTCFLAGS) -o $@ test/fscheck.c

# Build mkfs and fscheck, then check images made from host files and the
# inputs mkfs must refuse.
mkfs-test: mkfs/mkfs test/build/fscheck
	python3 test/mkfs_test.py

.PHONY: mkfs-test
