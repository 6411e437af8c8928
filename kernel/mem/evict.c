/* evict.c: page replacement. When memory runs short, mem_reclaim takes
 * pages off their frames until enough frames are free: an anonymous page
 * (heap, stack, bss, data once written, a copy-on-write copy) goes to a
 * swap slot through the swap cache (swap.c) and its PTE names the slot; a
 * page of a file that no store can have changed (text, a private mapping
 * never written, a shared one mapped read-only) loses its PTE and stays in
 * the page cache, which drops it once nobody maps it. A fault brings
 * either back (fault.c). A page of a shared file mapping that may have
 * been stored to (its PTE writable) is cleaned first: made read-only, its
 * write to the file queued in the page cache, which a process that holds
 * no lock carries out (mem_write_back; the reclaimer's caller may hold a
 * file's lock); once clean, it goes like any file page. The zero frame,
 * page tables and kernel memory are never taken.
 *
 * The policy, in one place (take): a clock over virtual pages. The hand
 * walks every address space in the pool, page by page, in address order,
 * and wraps around; a page whose PTE has the accessed bit (PTE_A, set by
 * the hardware on every use) loses the bit and is passed over once (its
 * second chance); one without it is taken. With the policy set to FIFO
 * (cowctl COWCTL_EVICT), the bit is ignored and every page is taken in the
 * order the hand meets it. A frame that several processes share after
 * fork is taken from each PTE as the hand meets it, and leaves memory with
 * its last one; a leaf table that several page tables share is changed in
 * place, once for all of them, never copied.
 *
 * Safety, since the pages taken belong to other processes, perhaps running
 * on other harts: a batch of PTEs is changed under each space's lock; then
 * every hart's TLB is flushed (SBI remote fence), and every address
 * space's lock is taken and released once, so that a hart that read an
 * old PTE of a shared leaf table under its own space's lock (a copy, a
 * private copy of the table, a fork) is done with it. Only then are the
 * PTEs' references on the frames dropped, and frames written to swap and
 * freed. Until then the batch is one operation on the frame counts
 * (frame.h), so memcheck waits.
 *
 * Locking: one reclaimer at a time (reclaimer, a sleeplock, which guards
 * the hand and is never held by anyone waiting for a file's lock); it
 * takes each space's lock in turn, never two at once.
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/lib/spinlock.h"
#include "kernel/sched/sleeplock.h"
#include "kernel/platform/sbi.h"
#include "kernel/mem/aspace.h"
#include "kernel/mem/aspace_impl.h"
#include "kernel/mem/cow.h"
#include "kernel/mem/evict.h"
#include "kernel/mem/frame.h"
#include "kernel/mem/pagetable.h"
#include "kernel/mem/pager.h"
#include "kernel/mem/swap.h"

#define BATCH 64 /* PTEs changed between two TLB flushes */

int evict_policy = EVICT_CLOCK;

static struct sleeplock reclaimer;

/* The clock's hand (reclaimer guards it). */
static struct {
  int space;   /* index into as_pool */
  uint64 va;   /* next page to look at */
  uint64 laps; /* times it went round the pool */
} hand;

/* The frames whose PTEs a batch took, and whether each is anonymous; and
 * how many shared file pages it made read-only to write them back. */
struct batch {
  uint64 pa[BATCH];
  char anon[BATCH];
  int n;
  int cleaned;
};

void
evict_init(void)
{
  initsleeplock(&reclaimer, "reclaimer");
}

/* Count one page taken, globally and in the space's counters (its lock). */
static void
count_pageout(struct aspace *as)
{
  __atomic_fetch_add(&memstat_global.pageouts, 1, __ATOMIC_RELAXED);
  as->counts.pageouts++;
}

/* A shared file page that may hold stores (its PTE writable): make it
 * read-only and queue its write to the file, which the batch's end lets
 * go ahead; the hand takes it, clean, on a later lap, unless a store
 * made it writable again. Caller holds as->lock. */
static void
clean(struct aspace *as, uint64 va, pte_t *p, struct batch *b)
{
  struct region *r = region_at(as, va);
  if (r == 0 || r->ip == 0 || !r->shared)
    return;
  uint64 idx = (r->off + (va - r->start)) / PGSIZE;
  if (as_pager->queue_write(r->ip, idx, PTE2PA(*p)) != 0)
    return; /* the queue is full: it stays dirty for now */
  __atomic_fetch_and(p, ~PTE_W, __ATOMIC_RELAXED);
  b->cleaned++;
}

/* The policy: the hand meets the PTE *p of page va of as. Take the page
 * into b (its PTE replaced: swapped, or cleared for a page of a file), give
 * it a second chance (clock: clear its accessed bit), clean it (a shared
 * file page that may hold stores), or leave it (not a page the kernel may
 * take now). Returns 1 if taken. Caller holds as->lock. */
static int
take(struct aspace *as, uint64 va, pte_t *p, struct batch *b)
{
  pte_t v = __atomic_load_n(p, __ATOMIC_RELAXED), nv = 0;
  if ((v & (PTE_V | PTE_U)) != (PTE_V | PTE_U))
    return 0;
  uint64 pa = PTE2PA(v);
  if (pa == zero_frame() || !frame_managed(pa))
    return 0;
  if (evict_policy == EVICT_CLOCK && (v & PTE_A)) {
    __atomic_fetch_and(p, ~PTE_A, __ATOMIC_RELAXED);
    return 0;
  }
  int anon = !(v & PTE_SHARED) && !as_pager->cached(pa);
  if (!anon && (v & PTE_W)) {
    clean(as, va, p, b);
    return 0;
  }
  if (anon && swap_out(v, &nv) != 0)
    return 0; /* no swap, or it is full */
  __atomic_store_n(p, nv, __ATOMIC_RELAXED);
  b->pa[b->n] = pa;
  b->anon[b->n] = anon;
  b->n++;
  count_pageout(as);
  return 1;
}

/* Move the hand to the next address space. */
static void
next_space(void)
{
  hand.va = 0;
  if (++hand.space == NASPACE) {
    hand.space = 0;
    hand.laps++;
  }
}

/* The lap count once the hand next stands at the start of the pool: a lap
 * begun part way through does not pass every page. */
static uint64
next_whole_lap(void)
{
  return hand.laps + (hand.space != 0 || hand.va != 0);
}

/* Move the hand over at most `budget` pages (or until b is full), taking
 * what the policy says. Returns the pages looked at. */
static int
sweep(struct batch *b, int budget)
{
  int looked = 0;
  while (b->n < BATCH && looked < budget) {
    struct aspace *as = &as_pool[hand.space];
    acquire(&as->lock);
    uint64 va = hand.va, top = as->top;
    if (!as->inuse || as->pinned)
      va = top;
    while (va < top && b->n < BATCH && looked < budget) {
      if (va % LEAF_SPAN == 0 || va == hand.va)
        if ((va = pt_next_table(as->pt, va, top)) >= top)
          break;
      pte_t *p = walk(as->pt, va);
      if (p)
        take(as, va, p, b);
      va += PGSIZE;
      looked++;
    }
    release(&as->lock);
    hand.va = va;
    if (va >= top)
      next_space();
    looked++; /* a space with nothing to look at costs one */
  }
  return looked;
}

/* The PTEs of batch b are changed: once no hart can reach the frames
 * through the old ones (the top of the file), drop their references, let
 * the file pages made read-only be written, and write the anonymous frames
 * nobody maps now to swap and free them. Ends the operation on the counts
 * that the batch was. Returns the frames freed here (the page cache frees
 * the file pages later, when asked). */
static int
finish(struct batch *b)
{
  int freed = 0;
  if (b->n > 0 || b->cleaned > 0) {
    sbi_flush_all_tlbs();
    for (struct aspace *as = as_pool; as < &as_pool[NASPACE]; as++) {
      acquire(&as->lock);
      release(&as->lock);
    }
    for (int i = 0; i < b->n; i++)
      frame_unref(b->pa[i]);
    if (b->cleaned > 0)
      as_pager->writes_ready();
  }
  frame_op_end();
  for (int i = 0; i < b->n; i++)
    if (b->anon[i])
      freed += swap_writeout(b->pa[i]);
  return freed;
}

/* Free at least `want` frames if page replacement can: take pages until
 * that many frames have been freed, or the hand has gone round the whole
 * pool twice without taking one (the first time clears accessed bits).
 * Sleeps (disk writes); the caller holds no spinlock.
 * Returns the frames freed: none if there is no swap disk (then the
 * process that finds memory full dies, as it always did). */
int
mem_reclaim(int want)
{
  int freed = 0;
  if (!swap_enabled())
    return 0; /* without swap, calf never takes a page from a process */
  acquiresleep(&reclaimer);
  freed += swap_trim();
  uint64 idle_from = next_whole_lap(); /* the first lap that took nothing */
  while (freed < want && hand.laps < idle_from + 2) {
    struct batch b;
    b.n = b.cleaned = 0;
    frame_op_begin();
    sweep(&b, 4 * BATCH);
    freed += finish(&b);
    if (b.n > 0) {
      freed += frames_reclaim(); /* the page cache drops file pages nobody maps now */
      idle_from = next_whole_lap();
    }
  }
  if (freed < want)
    freed += frames_reclaim();
  releasesleep(&reclaimer);
  return freed;
}

/* Write to their files the shared file pages page replacement made
 * read-only (clean), and drop from the page cache those nobody maps now.
 * mem_reclaim cannot: its caller may hold a file's lock. Sleeps; the
 * caller holds no lock at all (a fault's, and cowctl's). Returns the
 * frames freed. */
int
mem_write_back(void)
{
  as_pager->write_queued(0);
  return frames_reclaim();
}

/* Make sure at least n frames are free before an operation that allocates
 * under a lock (fork, exec, eager sbrk): reclaim if they are not. Sleeps.
 * Returns 0, or -1 if they could not be freed. */
int
mem_reserve(int n)
{
  uint64 free = frames_free();
  if (free >= (uint64)n)
    return 0;
  mem_reclaim(n - free);
  return frames_free() >= (uint64)n ? 0 : -1;
}

/* An operation that allocates under locks (fork, exec) ran short on its
 * try-th try, the frames it made sure of taken by others meanwhile: make
 * room again, and say whether to start over (1), or give up (0) after
 * MEM_TRIES tries or when page replacement freed nothing. Sleeps; the
 * caller holds no lock. */
int
mem_try_again(int tries)
{
  return tries < MEM_TRIES && mem_reclaim(MEM_RESERVE) > 0;
}

/* May eager growth (sbrk) take `pages` more pages? Without swap, yes: the
 * allocation finds out whether the frames are there. With swap, only if
 * memory could hold them all at once (they are allocated together), and
 * free frames and free slots together hold them and MEM_RESERVE pages
 * more. Page replacement can make a frame of any page while swap has
 * room, but once swap is full it can only drop file pages, the growing
 * process's own text among them; had growth taken the last frames, that
 * text could not come back and the OOM killer would end a process that
 * only asked for memory. A refusal costs nothing: no page went to swap
 * for growth that could not happen. Returns 0, or -1. */
int
mem_admit(uint64 pages)
{
  if (!swap_enabled())
    return 0;
  if (pages + MEM_RESERVE > frames_total())
    return -1;
  return frames_free() + swap_room() >= pages + MEM_RESERVE ? 0 : -1;
}

/* --- a limit on one process's resident heap ------------------------------ */

/* Local replacement, for watching the policies on a reference string
 * (user/refstring.c, make bench): a process may limit the heap pages it
 * holds in frames to n (cowctl COWCTL_RSSLIMIT). The pages it holds sit in
 * a ring of n slots, in the order they came in; when a new one comes in
 * and the ring is full, the policy picks the page it replaces: FIFO the
 * oldest, at the hand; clock the first from the hand whose accessed bit is
 * clear, clearing the bits it passes (the textbook's second chance). The
 * page chosen goes to swap like any other. The ring lives in a page of its
 * own (as->rset), which the address space frees; the space's lock guards
 * it. A forked child starts without a limit. */
struct rset {
  int n;    /* slots */
  int used; /* slots holding a page */
  int hand; /* the next slot the policy looks at */
  uint64 va[RSET_MAX];
};

/* Limit as's resident heap pages to n (0: no limit). Returns 0, or -1 if n
 * is out of range, there is no swap to put pages in, or no page for the
 * ring. Pages resident already are not counted. */
int
rset_limit(struct aspace *as, int n)
{
  _Static_assert(sizeof(struct rset) <= PGSIZE, "rset: one page");
  if (n < 0 || n > RSET_MAX || (n > 0 && !swap_enabled()))
    return -1;
  struct rset *r = n > 0 ? kalloc() : 0;
  if (n > 0 && r == 0)
    return -1;
  if (r) {
    r->n = n;
    r->used = r->hand = 0;
  }
  as_op_begin(as);
  struct rset *old = as->rset;
  as->rset = r;
  as_op_end(as);
  if (old)
    kfree(old);
  return 0;
}

/* The slot whose page the policy replaces, moving the hand past it. */
static int
rset_victim(struct aspace *as, struct rset *r)
{
  for (;;) {
    int i = r->hand;
    r->hand = (r->hand + 1) % r->n;
    pte_t *p = walk(as->pt, r->va[i]);
    if (evict_policy == EVICT_CLOCK && p && (*p & (PTE_V | PTE_A)) == (PTE_V | PTE_A)) {
      __atomic_fetch_and(p, ~PTE_A, __ATOMIC_RELAXED);
      sfence_vma_va(r->va[i]); /* so that the next use sets the bit again */
      continue;
    }
    return i;
  }
}

/* Heap page va of as has just come into a frame, and as has a limit: note
 * it, and if that makes one page too many, take the policy's victim off
 * its frame (to swap). Returns the victim's frame, whose reference the
 * caller drops once the lock is released (then writes it out:
 * swap_writeout), or 0. Caller holds as->lock and keeps the operation on
 * the counts open until then. */
uint64
rset_admit(struct aspace *as, uint64 va)
{
  struct rset *r = as->rset;
  if (r->used < r->n) {
    r->va[r->used++] = va;
    return 0;
  }
  int i = rset_victim(as, r);
  uint64 victim = r->va[i];
  r->va[i] = va;
  pte_t *p = walk(as->pt, victim), nv;
  if (p == 0 || !(*p & PTE_V) || PTE2PA(*p) == zero_frame())
    return 0; /* gone already (sbrk shrank the heap): its slot was free */
  if ((p = leaf_own(as->pt, victim, &as->counts)) == 0 || swap_out(*p, &nv) != 0)
    return 0; /* no memory for a private copy of its table, or swap is full: over the limit */
  uint64 pa = PTE2PA(*p);
  *p = nv;
  sfence_vma_va(victim); /* the space runs on this hart only, in a table of its own */
  count_pageout(as);
  return pa;
}
