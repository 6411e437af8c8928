# calf: build the kernel, the user programs and the disk image; boot, test, grade.
#
#   make qemu [MEM=128M] [CPUS=3] [SWAP=256M] [RUN='cmd']
#                                                boot (RUN: run cmd, then power off;
#                                                SWAP=0: no swap disk)
#   make qemu-gdb / make gdb [PROG=name]         debug a -O0 kernel and programs (build/debug*)
#   make test                                    host tests, then boot tests
#   make grade                                   the copy-on-write lab grader

K = kernel
U = user

MEM ?= 128M
CPUS ?= 3

# The toolchain and OpenSBI are found, not assumed: the first prefix whose gcc
# is on PATH, the first fw_dynamic.bin that exists (Debian's, Fedora's, the
# one QEMU ships). Either may be given: make TOOLPREFIX=... OPENSBI=...
# test/install-deps.sh says what is missing.
TOOLPREFIXES = riscv64-unknown-elf- riscv64-linux-gnu- riscv64-elf-
TOOLPREFIX ?= $(firstword $(foreach p,$(TOOLPREFIXES),$(if $(shell command -v $(p)gcc 2>/dev/null),$(p))) riscv64-unknown-elf-)
OPENSBIS = /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin \
  /usr/share/opensbi/lp64/generic/firmware/fw_dynamic.bin \
  /usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin
OPENSBI ?= $(firstword $(wildcard $(OPENSBIS)))
export TOOLPREFIX OPENSBI

CC = $(TOOLPREFIX)gcc
AS = $(TOOLPREFIX)gcc
LD = $(TOOLPREFIX)ld
OBJCOPY = $(TOOLPREFIX)objcopy
OBJDUMP = $(TOOLPREFIX)objdump
QEMU = qemu-system-riscv64

CFLAGS = -Wall -Werror -O2 -fno-omit-frame-pointer -ggdb -gdwarf-2
CFLAGS += -march=rv64gc -mabi=lp64d -mcmodel=medany -mno-relax
CFLAGS += -ffreestanding -fno-common -nostdlib -fno-builtin-printf -fno-builtin-memset
CFLAGS += -fno-stack-protector -fno-pie -no-pie -MD -MP
CFLAGS += -I. -Wundef
ASFLAGS = $(CFLAGS) -D__ASSEMBLER__
LDFLAGS = -z max-page-size=4096 --no-warn-rwx-segments

HOSTCC = gcc
HOSTCFLAGS = -Wall -Werror -O2 -g -I.

# Every .c and .S file in kernel/ and its folders is part of the kernel.
# KSRC is the tree it is compiled from (kernel/) and KOUT where its objects
# and kernel go: kernel/ itself, or build/debug with DEBUG=1 (what qemu-gdb
# and gdb use: the same kernel at -O0, so that gdb shows locals). A kernel
# compiles against the headers of its own tree: KTOP/kernel/NAME.h.
KSRCS = $(wildcard $K/*.c $K/*/*.c $K/*/*.S)
KHDRS = $(wildcard $K/*.h $K/*/*.h)
KTOP = .
KSRC = $K
ifeq ($(DEBUG),1)
KOUT = build/debug
KOPT = -O0
else
KOUT = $K
endif
# staff-only{
# The labs' starters (make COW=0, MMAP=0) are kernels of their own, made
# from kernel/ by the labs' patches: test/labs/starters.mk sets KTOP, KSRC
# and KOUT.
-include test/labs/starters.mk
# }staff-only
KOBJS = $(patsubst $K/%,$(KOUT)/%,$(patsubst %.S,%.o,$(patsubst %.c,%.o,$(KSRCS))))
KERNEL = $(KOUT)/kernel

# The default goal; its prerequisites are named below, once UPROGS is known
# (make expands a rule's prerequisites where the rule stands).
all:

$(KERNEL): $(KOBJS) kernel.ld
	$(LD) $(LDFLAGS) -T kernel.ld -o $@ $(KOBJS)
	$(OBJDUMP) -S $@ > $(KOUT)/kernel.asm
	$(OBJDUMP) -t $@ | sed '1,/SYMBOL TABLE/d; s/ .* / /; /^$$/d' > $(KOUT)/kernel.sym

$(KOUT)/%.o: $(KSRC)/%.c
	@mkdir -p $(@D)
	$(CC) -I$(KTOP) $(CFLAGS) $(KOPT) -c -o $@ $<

$(KOUT)/%.o: $(KSRC)/%.S
	@mkdir -p $(@D)
	$(CC) -I$(KTOP) $(ASFLAGS) -c -o $@ $<

# User programs are built into UOUT: user/ (objects, user/_NAME) and fs.img,
# or with DEBUG=1 (qemu-gdb, gdb) at -O0, so that step, next and finish
# follow the source, into build/debug-user/ and its own disk image
# build/debug-user/fs.img: the two builds never replace each other's
# programs, and a debugging session never remakes fs.img.
ifeq ($(DEBUG),1)
UOUT = build/debug-user
UOPT = -O0
FSIMG = $(UOUT)/fs.img
FSDIR = $(UOUT)/fs
else
UOUT = $U
FSIMG = fs.img
FSDIR = build/fs
endif

# User library: named once here. Every other user/*.c that defines main is a program.
ULIB = $(patsubst %,$(UOUT)/%.o,ulib usys printf umalloc utest)
ULIBSRCS = $U/ulib.c $U/printf.c $U/umalloc.c $U/utest.c
MAINPAT = ^main(\|[ *]main(
UPROGSRCS = $(filter-out $(ULIBSRCS),$(shell grep -l '$(MAINPAT)' $U/*.c 2>/dev/null))
UPROGS = $(patsubst $U/%.c,$(UOUT)/_%,$(UPROGSRCS))

# bigcopy is bigprog linked with -N: its one segment's file offset is not
# page-aligned, so exec copies it whole instead of paging it in (make bench
# compares the two).
UPROGS += $(UOUT)/_bigcopy
$(UOUT)/_bigcopy: $(UOUT)/bigprog.o $(ULIB) $U/user.ld
	$(LD) $(LDFLAGS) -N -T $U/user.ld -o $@ $< $(ULIB)

# user/_NAME are products, kept for gdb (add-symbol-file), not intermediates.
all: $(KERNEL) $(UPROGS) $(FSIMG)

$(UOUT)/%.o: $U/%.c
	@mkdir -p $(UOUT)
	$(CC) $(CFLAGS) $(UOPT) -c -o $@ $<

$(UOUT)/%.o: $U/%.S
	@mkdir -p $(UOUT)
	$(CC) $(ASFLAGS) -c -o $@ $<

$(UOUT)/_%: $(UOUT)/%.o $(ULIB) $U/user.ld
	$(LD) $(LDFLAGS) -T $U/user.ld -o $@ $< $(ULIB)
	$(OBJDUMP) -S $@ > $(UOUT)/$*.asm

mkfs/mkfs: mkfs/mkfs.c $K/fs.h $K/param.h $K/stat.h $K/types.h
	$(HOSTCC) $(HOSTCFLAGS) -o $@ mkfs/mkfs.c

# fs.img holds the programs without debug information (a file holds at most
# MAXFILE blocks); user/_NAME keeps it for gdb.
FSPROGS = $(patsubst $(UOUT)/%,$(FSDIR)/%,$(UPROGS))

$(FSDIR)/_%: $(UOUT)/_%
	@mkdir -p $(FSDIR)
	$(OBJCOPY) --strip-debug $< $@

# fs.img is made again only when one of its prerequisites is newer: mkfs,
# README or a program; files made inside calf survive every other build.
# make fresh-fs throws it away and makes a fresh one (the way back after
# rm sh, say). FSSIZE=N makes it N blocks of 1 KiB (default kernel/param.h's
# FSSIZE, 2000; the kernel reads the size from the superblock): it applies
# when the image is made, so make fresh-fs FSSIZE=N for a bigger disk now.
FSSIZE ?=
$(FSIMG): mkfs/mkfs README $(FSPROGS)
	mkfs/mkfs $(if $(FSSIZE),-s $(FSSIZE)) $@ README $(FSPROGS)

fresh-fs:
	rm -f fs.img
	@$(MAKE) --no-print-directory fs.img

# The swap disk: a second virtio disk of SWAP bytes (default 256M; SWAP=0
# boots without one, and calf never swaps). What it holds means nothing
# after power-off, so every boot gets a fresh one: a sparse file, empty but
# for the signature in its first page that tells calf it may swap there
# (kernel/mem/swap.h, SWAP_MAGIC).
SWAP ?= 256M
SWAPIMG = swap.img
swap-img: mkfs/mkswap
	@mkfs/mkswap $(SWAPIMG) $(SWAP)

mkfs/mkswap: mkfs/mkswap.c $K/mem/swap.h
	$(HOSTCC) $(HOSTCFLAGS) -o $@ mkfs/mkswap.c

.PHONY: swap-img

.PRECIOUS: $(UOUT)/%.o $(KOUT)/%.o

-include $(KOUT)/*.d $(KOUT)/*/*.d $(UOUT)/*.d

# --- running ------------------------------------------------------------------

QKERNEL = $(KERNEL)
QIMG = $(FSIMG)
QEMUOPTS = -machine virt -bios $(OPENSBI) -kernel $(QKERNEL) -m $(MEM) -smp $(CPUS) -nographic
QEMUOPTS += -global virtio-mmio.force-legacy=false
QEMUOPTS += -drive file=$(QIMG),if=none,format=raw,id=x0
QEMUOPTS += -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0
ifneq ($(SWAP),0)
QEMUOPTS += -drive file=$(SWAPIMG),if=none,format=raw,id=x1
QEMUOPTS += -device virtio-blk-device,drive=x1,bus=virtio-mmio-bus.1
endif
ifneq ($(RUN),)
QEMUOPTS += -append "$(RUN)"
endif

# What each kind of target needs installed (test/install-deps.sh NEED).
deps:
	@sh test/install-deps.sh qemu

deps-%:
	@sh test/install-deps.sh $*

qemu: deps
	@$(MAKE) --no-print-directory all
	@$(if $(filter 0,$(SWAP)),true,$(MAKE) --no-print-directory swap-img)
	$(QEMU) $(QEMUOPTS)

# --- debugging ----------------------------------------------------------------

# The gdb stub's port: the first one free (nothing listens on it) from a
# port derived from the user id on (test/gdbport.sh), so that two users, or
# two QEMUs, on one machine do not collide. make GDBPORT=N (or GDBPORT in the
# environment) names one; qemu-gdb refuses it, saying so, if it is taken.
GDBPORT_FIRST = $(shell expr `id -u` % 5000 + 25000)
ifeq ($(origin GDBPORT),undefined)
GDBPORT = $(shell sh test/gdbport.sh $(GDBPORT_FIRST))
endif

# The port alone: MIT's gradelib.py asks for it to find the QEMU it starts
# next with make qemu-gdb, which picks the same port.
print-gdbport:
	@port=$(GDBPORT); test -n "$$port" && echo $$port
GDBKERNEL = build/debug$(if $(KVARIANT),-$(KVARIANT))/kernel

# qemu-gdb boots the -O0 kernel and programs (DEBUG=1) halted and writes
# .gdbinit for it, so that gdb attaches to the kernel that runs.
GDBUSER = build/debug-user
qemu-gdb: QKERNEL = $(GDBKERNEL)
qemu-gdb: QIMG = $(GDBUSER)/fs.img
qemu-gdb: deps-gdb
	@$(MAKE) --no-print-directory DEBUG=1 all
	@$(if $(filter 0,$(SWAP)),true,$(MAKE) --no-print-directory swap-img)
	@port=$(GDBPORT); test -n "$$port" || exit 1; \
	test "`sh test/gdbport.sh $$port`" = "$$port" || { \
	  echo "calf: gdb port $$port is in use (another QEMU?): name a free one, make qemu-gdb GDBPORT=N" >&2; \
	  exit 1; }; \
	sed -e "s|@KERNEL@|$(GDBKERNEL)|" -e "s|@PORT@|$$port|" .gdbinit.tmpl > .gdbinit; \
	echo "*** QEMU is halted with $(GDBKERNEL); in another window run: make gdb (port $$port)" 1>&2; \
	echo $(QEMU) $(QEMUOPTS) -S -gdb tcp::$$port; \
	exec $(QEMU) $(QEMUOPTS) -S -gdb tcp::$$port

# gdb loads .gdbinit explicitly and not through auto-load, which would refuse
# it with a warning. PROG=name also loads the -O0 build/debug-user/_name that
# qemu-gdb's disk holds, and stops at its main (test/gdb-prog.gdb).
GDBFLAGS = -q -iex "set auto-load local-gdbinit off" -x .gdbinit
ifneq ($(PROG),)
GDBFLAGS += -ex "set \$$calf_prog = \"$(PROG)\"" -ex "add-symbol-file $(GDBUSER)/_$(PROG)" -x test/gdb-prog.gdb
endif

gdb: deps-gdb
	@test -f .gdbinit || { echo "calf: no .gdbinit: start make qemu-gdb first" >&2; exit 1; }
	@test -z "$(PROG)" || test -f $(GDBUSER)/_$(PROG) || { echo "calf: no $(GDBUSER)/_$(PROG): start make qemu-gdb first" >&2; exit 1; }
	gdb-multiarch $(GDBFLAGS)

# --- editor support, formatting, static checks ----------------------------------

CSOURCES = $(wildcard $K/*.c $K/*.h $K/*/*.c $K/*/*.h $U/*.c $U/*.h mkfs/*.c test/*.c)

# bear records the compiler commands it sees run, so every source is
# compiled again, with the flags of the build, into build/ccdb (thrown away):
# the build's own objects, programs and fs.img are not touched, and nothing
# is linked, so the next make has nothing to do because of this.
CCDB = build/ccdb
CCDBSRCS = $(KSRCS) $(wildcard $U/*.c $U/*.S) mkfs/mkfs.c
CCDBOBJS = $(patsubst %,$(CCDB)/%.o,$(CCDBSRCS))

compile_commands.json: deps-bear
	rm -rf $(CCDB)
	bear -- $(MAKE) --no-print-directory ccdb-objects

ccdb-objects: $(CCDBOBJS)

$(CCDB)/$K/%.c.o: $K/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(KOPT) -c -o $@ $<

$(CCDB)/%.S.o: %.S
	@mkdir -p $(@D)
	$(CC) $(ASFLAGS) -c -o $@ $<

$(CCDB)/$U/%.c.o: $U/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(CCDB)/mkfs/%.c.o: mkfs/%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOSTCFLAGS) -c -o $@ $<

format: deps-format
	clang-format -i $(CSOURCES)

format-check: deps-format
	@clang-format --dry-run --Werror $(CSOURCES)

# cppcheck over kernel, user and mkfs code; every finding is fixed or
# suppressed inline with a comment saying why.
lint: deps-lint
	cppcheck --quiet --enable=warning,portability --std=c11 --inline-suppr \
	  --error-exitcode=1 --suppress=missingIncludeSystem -I. -U__ASSEMBLER__ \
	  $K mkfs $U test/*.c

# --- tests --------------------------------------------------------------------

test: deps-test
	@$(MAKE) --no-print-directory all
	@python3 test/run_tests.py

clean:
	rm -f $K/*.o $K/*.d $K/*/*.o $K/*/*.d $K/kernel $K/kernel.asm $K/kernel.sym
	rm -f $U/*.o $U/*.d $U/_* $U/*.asm
	rm -f mkfs/mkfs mkfs/mkswap fs.img swap.img .gdbinit compile_commands.json
	rm -rf test/build build

.PHONY: all deps qemu qemu-gdb gdb print-gdbport fresh-fs test clean compile_commands.json ccdb-objects format format-check lint

# Host-side test rules live beside the tests.
include $(wildcard test/*.mk)
