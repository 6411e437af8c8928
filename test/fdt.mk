# test/fdt.mk: host unit tests of the device-tree reader (kernel/platform/fdt.c).
# Included by the root Makefile, which sets HOSTCC and HOSTCFLAGS.
#
#   make fdt-test    compile test/dts/*.dts to test/build/*.dtb with dtc,
#                    build test/build/fdt_test and run it on them

HOSTCC ?= gcc
HOSTCFLAGS ?= -Wall -Werror -O2 -g -I.

FDT_DTS = $(wildcard test/dts/*.dts)
FDT_DTBS = $(patsubst test/dts/%.dts,test/build/%.dtb,$(FDT_DTS))

test/build/%.dtb: test/dts/%.dts
	@mkdir -p test/build
	dtc -q -I dts -O dtb -o $@ $<

test/build/fdt_test: test/fdt_test.c kernel/platform/fdt.c kernel/platform/fdt.h kernel/types.h
	@mkdir -p test/build
	$(HOSTCC) $(HOSTCFLAGS) -o $@ test/fdt_test.c kernel/platform/fdt.c

fdt-test: test/build/fdt_test $(FDT_DTBS)
	test/build/fdt_test test/build

.PHONY: fdt-test
