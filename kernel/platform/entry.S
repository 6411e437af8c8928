# entry.S: where OpenSBI enters the kernel, in S-mode with paging off.
#
# _entry: the boot hart (whichever OpenSBI chose), a0 = hart id, a1 = device
# tree. Clears bss, takes stack slot 0 and calls boot_main(hartid, dtb).
# _secondary_entry: harts started by boot_main through SBI HSM hart_start,
# a0 = hart id, a1 = the cpus[] index boot_main gave it (the "opaque" word).
#
# Only one hart may run _entry's path: a second one would clear bss under
# the first. OpenSBI should let only the boot hart in, but a second hart has
# been seen arriving on its own under heavy host load. boot_lottery (in
# .data, so clearing bss leaves it alone) picks the first; a later hart
# waits in _late_hart until boot_main, finding it already running when it
# asks to start it, posts its cpus[] index + 1 in late_mailbox[hart id].
#include "kernel/riscv.h"
#include "kernel/memlayout.h"

.section .text.entry
.globl _entry
_entry:
        la t0, boot_lottery
        li t1, 1
        amoswap.w.aqrl t1, t1, (t0)
        bnez t1, _late_hart
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

_late_hart:
        li t0, LATE_HART_SLOTS
        bgeu a0, t0, 6f
        la t1, late_mailbox
        slli t2, a0, 3
        add t1, t1, t2
5:      ld a1, 0(t1)
        beqz a1, 5b
        fence r, rw
        addi a1, a1, -1
        j _secondary_entry
6:      wfi
        j 6b

.section .data
.globl boot_lottery
boot_lottery:
        .word 0
.balign 8
.globl late_mailbox
late_mailbox:
        .zero 8 * LATE_HART_SLOTS
