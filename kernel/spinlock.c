/* spinlock.c: spinlocks, and the per-hart interrupt-disable nesting they use.
 *
 * A hart holding a spinlock has interrupts off, so an interrupt handler on
 * the same hart can never spin on a lock its own hart holds. push_off/pop_off
 * nest: interrupts come back on only at the outermost pop_off, and only if
 * they were on at the outermost push_off. The nesting state lives in
 * mycpu() and is touched only by its own hart with interrupts off. */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/printf.h"

/* Make lk a free lock called name (the name appears in panics). */
void
initlock(struct spinlock *lk, char *name)
{
  lk->name = name;
  lk->locked = 0;
  lk->cpu = 0;
}

/* Spin until this hart holds lk, with interrupts off until release.
 * => lk must not already be held by this hart. */
void
acquire(struct spinlock *lk)
{
  push_off();
  if (holding(lk))
    panic("acquire: this hart already holds the lock");
  while (__sync_lock_test_and_set(&lk->locked, 1) != 0)
    ;
  /* Loads and stores of the critical section stay after this point. */
  __sync_synchronize();
  lk->cpu = mycpu();
}

/* Let go of lk and undo acquire's push_off.
 * => this hart holds lk. */
void
release(struct spinlock *lk)
{
  if (!holding(lk))
    panic("release: this hart does not hold the lock");
  lk->cpu = 0;
  /* Loads and stores of the critical section complete before this point. */
  __sync_synchronize();
  __sync_lock_release(&lk->locked);
  pop_off();
}

/* Does this hart hold lk? => interrupts are off. */
int
holding(struct spinlock *lk)
{
  return lk->locked && lk->cpu == mycpu();
}

/* Turn interrupts off, remembering at the outermost level whether they
 * were on. Every push_off needs a matching pop_off. */
void
push_off(void)
{
  int was_on = intr_get();
  struct cpu *c;

  intr_off();
  c = mycpu();
  if (c->noff == 0)
    c->intena = was_on;
  c->noff++;
}

/* Undo one push_off; the outermost one turns interrupts back on if they
 * were on before. => interrupts are off and push_off is outstanding. */
void
pop_off(void)
{
  struct cpu *c = mycpu();

  if (intr_get())
    panic("pop_off: interrupts are on");
  if (c->noff < 1)
    panic("pop_off: no matching push_off");
  c->noff--;
  if (c->noff == 0 && c->intena)
    intr_on();
}
