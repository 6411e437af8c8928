# trampoline.S: the page mapped at TRAMPOLINE in the kernel's and in every
# user page table, so the switch of satp happens in code that is mapped the
# same on both sides. Offsets follow struct trapframe (proc.h).
#
# uservec: stvec while in user mode. Saves the user registers in the
# trapframe at TRAPFRAME, loads the kernel's stack, hart index (tp) and page
# table from it, and jumps to the kernel's trap handler (usertrap, whose
# address the page itself holds).
# userret(satp): called by usertrapret with the user page table; switches to
# it, restores the user registers and returns to user mode with sret.
# Both flush the whole TLB when they switch satp: that flush is what lets
# page-table changes of a process reach whichever hart runs it next.
#include "kernel/riscv.h"
#include "kernel/memlayout.h"

.section trampsec
.globl trampoline
.globl uservec
.align 4
uservec:
        csrw sscratch, a0
        li a0, TRAPFRAME
        sd ra, 32(a0)
        sd sp, 40(a0)
        sd gp, 48(a0)
        sd tp, 56(a0)
        sd t0, 64(a0)
        sd t1, 72(a0)
        sd t2, 80(a0)
        sd s0, 88(a0)
        sd s1, 96(a0)
        sd a1, 112(a0)
        sd a2, 120(a0)
        sd a3, 128(a0)
        sd a4, 136(a0)
        sd a5, 144(a0)
        sd a6, 152(a0)
        sd a7, 160(a0)
        sd s2, 168(a0)
        sd s3, 176(a0)
        sd s4, 184(a0)
        sd s5, 192(a0)
        sd s6, 200(a0)
        sd s7, 208(a0)
        sd s8, 216(a0)
        sd s9, 224(a0)
        sd s10, 232(a0)
        sd s11, 240(a0)
        sd t3, 248(a0)
        sd t4, 256(a0)
        sd t5, 264(a0)
        sd t6, 272(a0)
        csrr t0, sscratch
        sd t0, 104(a0)

        ld sp, 8(a0)
        ld tp, 24(a0)
        ld t0, usertrap_at
        ld t1, 0(a0)
        sfence.vma zero, zero
        csrw satp, t1
        sfence.vma zero, zero
        jr t0

# usertrap's address, read pc-relative from this page wherever it is
# mapped (a direct call would be linked for the kernel image's address).
.balign 8
usertrap_at:
        .dword usertrap

.globl userret
userret:
        sfence.vma zero, zero
        csrw satp, a0
        sfence.vma zero, zero
        li a0, TRAPFRAME
        ld ra, 32(a0)
        ld sp, 40(a0)
        ld gp, 48(a0)
        ld tp, 56(a0)
        ld t0, 64(a0)
        ld t1, 72(a0)
        ld t2, 80(a0)
        ld s0, 88(a0)
        ld s1, 96(a0)
        ld a1, 112(a0)
        ld a2, 120(a0)
        ld a3, 128(a0)
        ld a4, 136(a0)
        ld a5, 144(a0)
        ld a6, 152(a0)
        ld a7, 160(a0)
        ld s2, 168(a0)
        ld s3, 176(a0)
        ld s4, 184(a0)
        ld s5, 192(a0)
        ld s6, 200(a0)
        ld s7, 208(a0)
        ld s8, 216(a0)
        ld s9, 224(a0)
        ld s10, 232(a0)
        ld s11, 240(a0)
        ld t3, 248(a0)
        ld t4, 256(a0)
        ld t5, 264(a0)
        ld t6, 272(a0)
        ld a0, 104(a0)
        sret
