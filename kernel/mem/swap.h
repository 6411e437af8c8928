/* swap.h: swap slots and the swap cache (swap.c), just above frames: where
 * an anonymous page goes when page replacement (evict.c) takes its frame,
 * and how it comes back (fault.c). Page tables and fork keep the slot
 * counts (pagetable.c, cow.c), as they keep frame counts.
 */
#ifndef CALF_SWAP_H
#define CALF_SWAP_H

#include "kernel/types.h"
#include "kernel/riscv.h"

/* The first page of a swap disk starts with this signature (make writes it
 * into swap.img); a disk without it is never swapped to. Slot 0, the
 * signature's page, is never handed out. */
#define SWAP_MAGIC "calf-swap-1\n"

/* What the disk driver supplies (dev/virtio_disk.c registers it at boot). */
struct swapdev {
  /* Read (write == 0) or write page `page` of the disk from or to the frame
   * at pa. Sleeps: the caller holds no spinlock. */
  void (*rw)(uint64 page, void *pa, int write);
};

/* With a swap disk, the free frames the kernel keeps for its own
 * allocations (kalloc.c: the reserve): a user page never takes them, its
 * fault makes room instead, so pipes, processes, page tables and copies
 * made under spinlocks find frames while programs keep memory full. */
#define SWAP_KEPT_FRAMES 32

int swap_set_device(const struct swapdev *dev, uint64 pages);
int swap_enabled(void);

/* A swapped-out page's PTE: V clear, the slot in the PPN field, and the
 * page's R, X, U and COW bits; never W, so the page comes back read-only
 * (copy-on-write if it was writable) and a store decides as cow_fault
 * does. Every user PTE has U, so a swapped PTE is never 0; a PTE that is
 * neither valid nor 0 is a swapped one. */
#define SWAP_KEEP (PTE_R | PTE_X | PTE_U | PTE_COW)

static inline int
pte_swapped(pte_t pte)
{
  return pte != 0 && !(pte & PTE_V);
}

static inline uint64
pte_slot(pte_t pte)
{
  return pte >> 10;
}

/* The swapped PTE for slot, from the valid PTE old of the page. */
static inline pte_t
swap_pte(uint64 slot, pte_t old)
{
  pte_t keep = old & SWAP_KEEP;
  if (old & PTE_W)
    keep |= PTE_COW;
  return (slot << 10) | keep;
}

/* The valid PTE for frame pa of swapped PTE s. */
static inline pte_t
swap_pte_back(uint64 pa, pte_t s)
{
  return PA2PTE(pa) | (s & SWAP_KEEP) | PTE_V;
}

/* Slot counts: the number of swapped PTEs that name the slot (a shared leaf
 * table's once, as for frames) plus one if the swap cache holds its frame.
 * slot_ref takes one more (the caller holds one already: a PTE it copies);
 * slot_unref drops one, and the last PTE's drop frees the slot and what the
 * cache held for it. */
void slot_ref(uint64 slot);
void slot_unref(uint64 slot);

/* The swap cache. */
int swap_out(pte_t v, pte_t *swapped);
int swap_in(uint64 slot, uint64 *pa);
int swap_writeout(uint64 pa);
int swap_trim(void);
void swap_audit(void (*frame)(void *arg, uint64 pa), void (*slot)(void *arg, uint64 slot),
                void *arg);
uint64 swap_slots(void);
uint64 swap_room(void);
int slot_refcount(uint64 slot);

struct memstat;
void swap_counts(struct memstat *st);

#endif
