/* umalloc.c: malloc and free over sbrk.
 *
 * Memory is handed out in units of one header (16 bytes). Free blocks form a
 * circular list sorted by address, reached through freep; neighbouring free
 * blocks are merged when a block is returned. The heap only grows.
 * A process has one thread, so there is no lock. */
#include "kernel/types.h"
#include "user/user.h"

/* Heads every block, free or allocated. Invariant for free blocks: next is
 * the following free block in address order (wrapping to the lowest). */
union header {
  struct {
    union header *next; /* free list only */
    uint units;         /* size of the block, this header included */
  } h;
  long double align; /* forces 16-byte alignment of the payload */
};

typedef union header Header;

#define MIN_GROW 4096 /* units asked of sbrk at least, to limit system calls */

static Header base;   /* zero-sized block that starts the list */
static Header *freep; /* where the next search starts; 0 before first use */

/* The free block after which bp belongs in address order. The list holds at
 * least base, so the walk ends; the wrap point is where next <= p. */
static Header *
list_position(Header *bp)
{
  Header *p = freep;

  for (;;) {
    Header *n = p->h.next;

    if (p < bp && bp < n)
      return p;
    if (n <= p && (bp > p || bp < n))
      return p;
    p = n;
  }
}

/* Return the block whose payload is ap to the free list, merging it with
 * free neighbours. ap must come from malloc; free(0) does nothing. */
void
free(void *ap)
{
  Header *bp, *p, *n;

  if (ap == 0)
    return;
  bp = (Header *)ap - 1;
  p = list_position(bp);
  n = p->h.next;
  bp->h.next = n;
  if (bp + bp->h.units == n) {
    bp->h.units += n->h.units;
    bp->h.next = n->h.next;
  }
  p->h.next = bp;
  if (p + p->h.units == bp) {
    p->h.units += bp->h.units;
    p->h.next = bp->h.next;
  }
  freep = p;
}

/* Grow the heap by at least nu units and put the new block on the free
 * list. Returns 0 on success, -1 if sbrk refuses. */
static int
grow_heap(uint nu)
{
  char *mem;
  Header *hp;

  if (nu < MIN_GROW)
    nu = MIN_GROW;
  if (nu > 0x7fffffff / sizeof(Header))
    return -1;
  mem = sbrk(nu * sizeof(Header));
  if (mem == SBRK_ERROR)
    return -1;
  hp = (Header *)mem;
  hp->h.units = nu;
  free(hp + 1);
  return 0;
}

/* Cut nunits from free block p (whose predecessor on the list is prev) and
 * return the cut-off part. Takes the tail, so p stays on the list unless it
 * is used whole. */
static Header *
carve(Header *prev, Header *p, uint nunits)
{
  if (p->h.units == nunits) {
    prev->h.next = p->h.next;
    return p;
  }
  p->h.units -= nunits;
  p += p->h.units;
  p->h.units = nunits;
  return p;
}

/* Allocate nbytes, 16-byte aligned, first fit starting where the last call
 * stopped. Returns 0 when memory runs out. */
void *
malloc(uint nbytes)
{
  uint nunits = (nbytes + sizeof(Header) - 1) / sizeof(Header) + 1;
  Header *prev, *p;

  if (freep == 0) {
    base.h.next = &base;
    base.h.units = 0;
    freep = &base;
  }
  for (;;) {
    prev = freep;
    do {
      p = prev->h.next;
      if (p->h.units >= nunits) {
        freep = prev;
        return carve(prev, p, nunits) + 1;
      }
      prev = p;
    } while (p != freep);
    if (grow_heap(nunits) < 0)
      return 0;
  }
}
