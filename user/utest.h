/* utest.h: the runner every table-driven test program shares (user/utest.c):
 * cowtest, usertests, vmtest, maptest. A program lists its tests in one
 * table of {function, "name"} rows and hands it to utest_main; a test fails
 * through fail, failv, expect or expect_flags, and passes by returning. */
#ifndef CALF_UTEST_H
#define CALF_UTEST_H

#include "kernel/types.h"

struct utest {
  void (*fn)(void);
  const char *name;
  int slow; /* UTEST_SLOW: left out by -q; 0 (a row's default): always run */
};
#define UTEST_SLOW 1

extern const char *utest_name; /* the test running now; its processes inherit it */

/* The main of a test program prog: parse [-q] [-c N] [-x PREFIX] [NAME...]
 * (-x, repeatable: leave out the tests whose names start with PREFIX), run the
 * chosen tests of the n in t, each in a child of its own, print one line a
 * test and "ALL <suite> TESTS PASSED" (suite "": "ALL TESTS PASSED") or
 * "SOME <suite> TESTS FAILED: names"; exit 0 only if all passed. */
void utest_main(const char *prog, const char *suite, const struct utest *t, int n, int argc,
                char **argv) __attribute__((noreturn));

/* Print a formatted line and exit 1 (what fail expands to). */
void utest_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Fail the running test with a reason (printf format; fmt a string literal):
 * prints "test NAME: FAILED (reason)" from whichever of its processes calls
 * it, and exits 1. A process that sees a child exit 1 may exit 1 in turn
 * without a line of its own: the child has said why. */
#define fail(fmt, ...) utest_fail("test %s: FAILED (" fmt ")\n", utest_name, ##__VA_ARGS__)

/* Fail with "what: got G, want W", the values in hex (and in decimal too
 * when that reads differently). */
void failv(const char *what, long got, long want) __attribute__((noreturn));

/* failv(what, got, want) unless got == want. */
void expect(long got, long want, const char *what);

/* Fail unless the bits mask of PTE flags got equal want, naming flags as
 * vmmap does: "what: flags r--u COW, want rw-u". */
void expect_flags(uint64 got, uint64 mask, uint64 want, const char *what);

#endif
