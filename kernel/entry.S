# entry.S: where OpenSBI enters the kernel, in S-mode with paging off.
#
# _entry: the boot hart (whichever OpenSBI chose), a0 = hart id, a1 = device
# tree. Clears bss, takes stack slot 0 and calls boot_main(hartid, dtb).
# _secondary_entry: harts started by boot_main through SBI HSM hart_start,
# a0 = hart id, a1 = the cpus[] index boot_main gave it (the "opaque" word).
#include "kernel/riscv.h"
#include "kernel/memlayout.h"

.section .text.entry
.globl _entry
_entry:
        la t0, bss_start
        la t1, bss_end
1:      bgeu t0, t1, 2f
        sd zero, 0(t0)
        addi t0, t0, 8
        j 1b
2:      li tp, 0
        la sp, hart_stacks
        li t0, HART_STACK_SIZE
        add sp, sp, t0
        call boot_main
3:      wfi
        j 3b

.globl _secondary_entry
_secondary_entry:
        mv tp, a1
        addi t0, a1, 1
        li t1, HART_STACK_SIZE
        mul t0, t0, t1
        la sp, hart_stacks
        add sp, sp, t0
        call secondary_main
4:      wfi
        j 4b
