/* string.c: memory and string helpers for the kernel. No shared state.
 *
 * memset and memmove do the bulk of page zeroing and copy-on-write copies,
 * so they move aligned 8-byte words, 32 (memset) or eight (memmove) per
 * loop turn, and touch single bytes only at unaligned heads and tails. They
 * are compiled without loop-pattern distribution so gcc cannot turn their
 * loops back into calls to themselves. */
#include "kernel/types.h"
#include "kernel/lib/string.h"

/* A word that may alias any object, so word loops over char buffers are
 * well defined. */
typedef uint64 __attribute__((may_alias)) word;

#define WORDSZ      8
#define BLOCK       (8 * WORDSZ)
#define NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))

/* Is p 8-byte aligned? */
static inline int
aligned(const void *p)
{
  return ((uint64)p & (WORDSZ - 1)) == 0;
}

/* Fill n bytes at dst with the byte c; returns dst. */
NO_LIBCALLS void *
memset(void *dst, int c, uint64 n)
{
  uchar *d = dst;
  word *wd, w;

  for (; n > 0 && !aligned(d); n--)
    *d++ = c;
  wd = (word *)d;
  w = (uchar)c * 0x0101010101010101UL;
  for (; n >= 4 * BLOCK; n -= 4 * BLOCK, wd += 32) {
#pragma GCC unroll 32
    for (int i = 0; i < 32; i++)
      wd[i] = w;
  }
  for (; n >= WORDSZ; n -= WORDSZ)
    *wd++ = w;
  for (d = (uchar *)wd; n > 0; n--)
    *d++ = c;
  return dst;
}

/* Copy the BLOCK bytes at s to d. All loads come before all stores, so any
 * overlap between the two blocks is handled and the loads can overlap in the
 * pipeline. */
static inline void
copy_block(word *d, const word *s)
{
  word w0 = s[0], w1 = s[1], w2 = s[2], w3 = s[3];
  word w4 = s[4], w5 = s[5], w6 = s[6], w7 = s[7];

  d[0] = w0;
  d[1] = w1;
  d[2] = w2;
  d[3] = w3;
  d[4] = w4;
  d[5] = w5;
  d[6] = w6;
  d[7] = w7;
}

/* Copy n bytes from s up to d, lowest address first (safe when d < s or the
 * ranges do not overlap). Words are used when d and s share an alignment. */
static NO_LIBCALLS void
copy_up(uchar *d, const uchar *s, uint64 n)
{
  word *wd;
  const word *ws;

  if (((uint64)d ^ (uint64)s) & (WORDSZ - 1)) {
    for (; n > 0; n--)
      *d++ = *s++;
    return;
  }
  for (; n > 0 && !aligned(d); n--)
    *d++ = *s++;
  wd = (word *)d;
  ws = (const word *)s;
  for (; n >= BLOCK; n -= BLOCK, wd += 8, ws += 8) {
    copy_block(wd, ws);
  }
  for (; n >= WORDSZ; n -= WORDSZ)
    *wd++ = *ws++;
  d = (uchar *)wd;
  s = (const uchar *)ws;
  for (; n > 0; n--)
    *d++ = *s++;
}

/* Copy n bytes from s to d, highest address first (safe when d > s). */
static NO_LIBCALLS void
copy_down(uchar *d, const uchar *s, uint64 n)
{
  word *wd;
  const word *ws;

  d += n;
  s += n;
  if (((uint64)d ^ (uint64)s) & (WORDSZ - 1)) {
    for (; n > 0; n--)
      *--d = *--s;
    return;
  }
  for (; n > 0 && !aligned(d); n--)
    *--d = *--s;
  wd = (word *)d;
  ws = (const word *)s;
  for (; n >= BLOCK; n -= BLOCK) {
    wd -= 8;
    ws -= 8;
    copy_block(wd, ws);
  }
  for (; n >= WORDSZ; n -= WORDSZ)
    *--wd = *--ws;
  d = (uchar *)wd;
  s = (const uchar *)ws;
  for (; n > 0; n--)
    *--d = *--s;
}

/* Copy n bytes from src to dst; the ranges may overlap. Returns dst. */
void *
memmove(void *dst, const void *src, uint64 n)
{
  uchar *d = dst;
  const uchar *s = src;

  if (d == s || n == 0)
    return dst;
  if (d < s || d >= s + n)
    copy_up(d, s, n);
  else
    copy_down(d, s, n);
  return dst;
}

/* Copy n bytes from src to dst; returns dst. Overlap is tolerated (it is
 * memmove), since gcc emits memcpy calls of its own. */
void *
memcpy(void *dst, const void *src, uint64 n)
{
  return memmove(dst, src, n);
}

/* Compare at most n bytes of two strings as unsigned chars: <0, 0 or >0. */
int
strncmp(const char *p, const char *q, uint n)
{
  for (; n > 0; n--, p++, q++)
    if (*p != *q || *p == 0)
      return (uchar)*p - (uchar)*q;
  return 0;
}

/* Copy at most n bytes of t into s and pad the rest of those n with NULs;
 * like C's strncpy, s is unterminated if t is n bytes or longer. Returns s. */
char *
strncpy(char *s, const char *t, int n)
{
  int i;

  for (i = 0; i < n && t[i]; i++)
    s[i] = t[i];
  for (; i < n; i++)
    s[i] = 0;
  return s;
}

/* Copy t into the n-byte buffer s, cutting it short if needed; s is always
 * NUL-terminated when n > 0. Returns s. */
char *
safestrcpy(char *s, const char *t, int n)
{
  int i;

  if (n <= 0)
    return s;
  for (i = 0; i < n - 1 && t[i]; i++)
    s[i] = t[i];
  s[i] = 0;
  return s;
}

/* Length of the NUL-terminated string s. */
int
strlen(const char *s)
{
  int n = 0;

  while (s[n])
    n++;
  return n;
}
