/* cowctl.c: show or switch how fork shares memory (the cowctl system call).
 *
 *   cowctl                      print both settings
 *   cowctl shortcut on|off      fork's private copy of the stack page
 *   cowctl tables on|off        fork's sharing of whole leaf page tables;
 *                               off shows the page-level picture of the
 *                               textbook (every frame's count = its sharers)
 *
 * The settings are the kernel's, for every later fork, until switched back.
 * One process, no shared state.
 */
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "user/user.h"

static const struct {
  const char *name;
  int knob;
  const char *what;
} knobs[] = {
    {"shortcut", COWCTL_SHORTCUT, "the child's own copy of the stack page"},
    {"tables", COWCTL_TABLES, "whole leaf page tables shared"},
};

#define NKNOBS (sizeof(knobs) / sizeof(knobs[0]))

static void __attribute__((noreturn)) usage(void)
{
  fprintf(2, "usage: cowctl [shortcut|tables on|off]\n");
  exit(2);
}

int
main(int argc, char **argv)
{
  if (argc == 1) {
    for (int i = 0; i < NKNOBS; i++)
      printf("%s %s  (%s)\n", knobs[i].name, cowctl(knobs[i].knob, -1) ? "on" : "off",
             knobs[i].what);
    exit(0);
  }
  if (argc != 3)
    usage();
  int on = strcmp(argv[2], "on") == 0 ? 1 : strcmp(argv[2], "off") == 0 ? 0 : -1;
  for (int i = 0; i < NKNOBS && on >= 0; i++) {
    if (strcmp(argv[1], knobs[i].name) == 0) {
      cowctl(knobs[i].knob, on);
      exit(0);
    }
  }
  usage();
}
