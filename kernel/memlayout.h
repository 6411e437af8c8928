/* memlayout.h: where things live in virtual memory.
 *
 * Kernel address space (one page table, shared by all harts):
 *   device registers and all of RAM are mapped at their physical addresses,
 *   with the layout learnt from the device tree at boot (see fdt.c, pagetable.c);
 *   kernel stacks of processes sit below the trampoline, each with an unmapped
 *   guard page below it;
 *   the trampoline page is mapped at the top, as in every user page table.
 *
 * User address space:
 *   0 ..          text, data, bss (from the ELF), then a guard page and the
 *                 stack, then the heap grown by sbrk
 *   TRAPFRAME     this process's trapframe (kernel-only)
 *   TRAMPOLINE    the trap entry/exit code, shared with the kernel
 */
#ifndef CALF_MEMLAYOUT_H
#define CALF_MEMLAYOUT_H

#include "riscv.h"

#define TRAMPOLINE (MAXVA - PGSIZE)
#define TRAPFRAME  (TRAMPOLINE - PGSIZE)

/* Kernel stack of process slot p: KSTACK_PAGES pages below TRAMPOLINE, with
 * a guard page under each stack. */
#define KSTACK_PAGES 2
#define KSTACK(p)    (TRAMPOLINE - ((p) + 1) * (KSTACK_PAGES + 1) * PGSIZE)

/* Boot stacks, one per hart, in the kernel's bss: a guard page (unmapped once
 * paging is on) below HART_STACK_PAGES pages of stack. Slot 0 is the boot hart. */
#define HART_STACK_PAGES 4
#define HART_STACK_SIZE  ((HART_STACK_PAGES + 1) * PGSIZE)

/* Hart ids below this can be adopted if they enter the kernel uninvited
 * (entry.S, late_mailbox). */
#define LATE_HART_SLOTS 64

/* For xv6 user programs that size their tests by these: QEMU virt puts RAM at
 * KERNBASE, and xv6 assumed 128 MiB of it. The kernel itself never uses
 * them; it learns RAM from the device tree. */
#define KERNBASE 0x80000000L
#define PHYSTOP  (KERNBASE + 128 * 1024 * 1024)

#endif
