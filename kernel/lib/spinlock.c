/* spinlock.c: spinlocks, and the per-hart interrupt-disable nesting they use.
 *
 * A hart holding a spinlock has interrupts off, so an interrupt handler on
 * the same hart can never spin on a lock its own hart holds. push_off/pop_off
 * nest: interrupts come back on only at the outermost pop_off, and only if
 * they were on at the outermost push_off. The nesting state lives in
 * mycpu() and is touched only by its own hart with interrupts off. */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/lib/spinlock.h"
#include "kernel/platform/hart.h"
#include "kernel/lib/printf.h"

/* Make lk a free lock called name (the name appears in panics). */
void
initlock(struct spinlock *lk, char *name)
{
  lk->name = name;
  lk->locked = 0;
  lk->cpu = 0;
}

/* Does hart c (this hart) hold lk? => interrupts are off. */
static inline int
held_by(struct spinlock *lk, struct cpu *c)
{
  return lk->locked && lk->cpu == c;
}

/* push_off for hart c, this hart, once interrupts are off; was_on says
 * whether they were on before. */
static inline void
push_nested(struct cpu *c, int was_on)
{
  if (c->noff == 0)
    c->intena = was_on;
  c->noff++;
}

/* pop_off for hart c, this hart. */
static inline void
pop_nested(struct cpu *c)
{
  if (intr_get())
    panic("pop_off: interrupts are on");
  if (c->noff < 1)
    panic("pop_off: no matching push_off");
  c->noff--;
  if (c->noff == 0 && c->intena)
    intr_on();
}

/* Spin until this hart holds lk, with interrupts off until release.
 * => lk must not already be held by this hart. */
void
acquire(struct spinlock *lk)
{
  int was_on = intr_save_off();
  struct cpu *c = mycpu();

  push_nested(c, was_on);
  if (held_by(lk, c))
    panic("acquire: this hart already holds the lock");
  while (__sync_lock_test_and_set(&lk->locked, 1) != 0)
    ;
  /* Loads and stores of the critical section stay after this point. */
  __sync_synchronize();
  lk->cpu = c;
}

/* Let go of lk and undo acquire's push_off.
 * => this hart holds lk. */
void
release(struct spinlock *lk)
{
  struct cpu *c = mycpu();

  if (!held_by(lk, c))
    panic("release: this hart does not hold the lock");
  lk->cpu = 0;
  /* Loads and stores of the critical section complete before this point. */
  __sync_synchronize();
  __sync_lock_release(&lk->locked);
  pop_nested(c);
}

/* Does this hart hold lk? => interrupts are off. */
int
holding(struct spinlock *lk)
{
  return held_by(lk, mycpu());
}

/* Turn interrupts off, remembering at the outermost level whether they
 * were on. Every push_off needs a matching pop_off. */
void
push_off(void)
{
  int was_on = intr_save_off();

  push_nested(mycpu(), was_on);
}

/* Undo one push_off; the outermost one turns interrupts back on if they
 * were on before. => interrupts are off and push_off is outstanding. */
void
pop_off(void)
{
  pop_nested(mycpu());
}
