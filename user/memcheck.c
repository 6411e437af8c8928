/* memcheck.c: check, on the live system, that every frame user page tables
 * map has exactly as many references as leaf page tables that map it (the
 * zero frame one more), every leaf table as many as the page tables that
 * share it, every other user page-table page exactly one, that no shared
 * leaf table maps a private page writable, and that only pages of shared
 * file mappings are marked shared (kernel/mem/cow.c).
 *
 *   memcheck     prints "memcheck: ok: ..." and exits 0, or one FAIL line
 *                naming the first wrong frame, table or page and exits 1
 */
#include "kernel/types.h"
#include "user/user.h"

int
main(int argc, char **argv)
{
  if (argc != 1) {
    fprintf(2, "usage: memcheck\n");
    exit(2);
  }
  exit(check_memory(0));
}
