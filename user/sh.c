/* sh.c: the shell.
 *
 * Reads a line (at most LINEMAX bytes before its newline), parses it into a tree of commands,
 * then runs the tree. Grammar, by recursive descent:
 *   list     := pipeline { (';' | '&') [pipeline] }
 *   pipeline := command [ '|' pipeline ]
 *   command  := '(' list ')' { redir } | { word | redir }
 *   redir    := ('<' | '>' | '>>') word
 * Words are runs of characters other than blanks and <>|&;(); a pair of
 * double quotes keeps blanks and symbols inside one word. $? anywhere in a
 * word becomes the status of the last command run before it, when the
 * command it is in runs (so `nosuch; echo $?` prints 1).
 *
 * `sh` reads commands from its standard input (or from FILE for `sh FILE`);
 * reading the console, it prints the prompt "$ " to fd 2 before each line,
 * and never otherwise (a script, a pipe). `sh -c LINE` runs one line and
 * exits with the status of its last command. Built in: cd, exit,
 * clear, and `time CMD` (CMD's wall time and the memory events of its run).
 *
 * Interactive use: when fd 0 is the console, sh claims it with the
 * setfg system call (kernel/dev/console.c). While sh reads a line the
 * console is raw and sh edits the line itself (edit_line: arrows, history,
 * ^A ^E ^U ^W, backspace anywhere, ^C drops the line). Each foreground job
 * runs in one child of sh, which sh names the console's foreground, so ^C
 * kills that child and everything it started, never sh. `cmd &` prints
 * the child's pid; background children are reaped whenever sh waits and
 * reported before the next prompt. Other input (a file, a pipe) is read
 * line by line with no editing.
 * One thread of control: no locks. */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/memstat.h"
#include "user/user.h"

#define LINEMAX    512
#define NNODE      64 /* command-tree nodes per line: commands, |, ; and & */
#define NREDIR     8  /* redirections per command */
#define NHIST      32 /* lines kept for up/down */
#define NBG        16 /* background children tracked for their report */
#define STR(x)     #x
#define XSTR(x)    STR(x) /* a macro's value as a string */
#define CTRL(x)    ((x) - '@')
#define DEL        0x7f
#define ESC        0x1b
#define TICK_MS    10 /* uptime() counts ticks of this many milliseconds */
#define PROMPT     "$ "
#define PROMPT_LEN 2
/* The editor assumes a terminal at least COLS wide and never writes into its
 * last column, so the terminal never wraps a line: a longer line scrolls
 * sideways, ED_WIDTH bytes of it shown after the prompt. */
#define COLS     80
#define ED_WIDTH (COLS - PROMPT_LEN - 1)

enum kind { EXEC, PIPE, LIST, BACK, SUBSHELL };

struct redir {
  int fd;     /* 0 or 1 */
  int mode;   /* open() mode */
  int append; /* '>>': write at the end of the file */
  char *file;
};

/* A node of the command tree. EXEC uses argv (null-terminated) and redirs;
 * SUBSHELL uses left and redirs; PIPE and LIST use left and right; BACK left. */
struct node {
  enum kind kind;
  struct node *left, *right;
  char *argv[MAXARG];
  int argc;
  struct redir redirs[NREDIR];
  int nredir;
  int expanded; /* EXEC: $? in argv and redirs already replaced */
};

/* Token kinds besides the one-character symbols themselves. */
#define TOK_END    0
#define TOK_WORD   1
#define TOK_APPEND 2 /* ">>" */

/* Lexer and parser state for one line. Words are copied, NUL-terminated,
 * into words[] ($? as it is: expand replaces it when the command runs). */
struct parser {
  char *p;    /* next unread character of the line */
  int tok;    /* current token */
  char *word; /* its text when tok == TOK_WORD */
  char words[2 * LINEMAX];
  int wused;
  struct node nodes[NNODE];
  int nused;
  const char *err; /* first error, or 0 */
};

static const char blanks[] = " \t\r\n\v";
static const char symbols[] = "<>|&;()";

static char line[LINEMAX + 2]; /* a full line, its newline and a NUL */
/* The words of the command being run, with $? replaced: each two-byte $?
 * grows to at most 11 bytes. Reused by the next command this process runs. */
static char expansion[8 * LINEMAX];
static struct parser parser;
static int last_status;  /* $?: the status of the last command */
static int interactive;  /* this process is the shell reading the console */
static int bg_pids[NBG]; /* background children not yet reported; 0: free */
static int bg_status[NBG];
static int bg_done[NBG]; /* reaped: report it before the next prompt */

static void run_in_child(struct node *n) __attribute__((noreturn));
static int run(struct node *n);
static void exec_or_die(char **argv) __attribute__((noreturn));
static struct node *parse_list(struct parser *ps);

/* Record the first parse error. */
static void
fail(struct parser *ps, const char *msg)
{
  if (ps->err == 0)
    ps->err = msg;
}

/* Write v in decimal at s (no NUL). Returns the bytes written, at most 11. */
static int
format_int(char *s, int v)
{
  char digits[12];
  int n = 0, len = 0;
  uint u = v < 0 ? -(uint)v : v;

  do {
    digits[n++] = '0' + u % 10;
    u /= 10;
  } while (u);
  if (v < 0)
    s[len++] = '-';
  while (n > 0)
    s[len++] = digits[--n];
  return len;
}

/* Copy the word starting at ps->p into the word area, dropping double
 * quotes, and leave ps->p just past it. */
static void
lex_word(struct parser *ps)
{
  int quoted = 0;

  ps->word = &ps->words[ps->wused];
  while (*ps->p) {
    if (*ps->p == '"') {
      quoted = !quoted;
      ps->p++;
      continue;
    }
    if (!quoted && (strchr(blanks, *ps->p) || strchr(symbols, *ps->p)))
      break;
    ps->words[ps->wused++] = *ps->p++;
  }
  ps->words[ps->wused++] = 0;
  if (quoted)
    fail(ps, "missing \"");
}

/* Advance to the next token. */
static void
advance(struct parser *ps)
{
  while (*ps->p && strchr(blanks, *ps->p))
    ps->p++;
  if (*ps->p == 0) {
    ps->tok = TOK_END;
  } else if (ps->p[0] == '>' && ps->p[1] == '>') {
    ps->tok = TOK_APPEND;
    ps->p += 2;
  } else if (strchr(symbols, *ps->p)) {
    ps->tok = *ps->p++;
  } else {
    ps->tok = TOK_WORD;
    lex_word(ps);
  }
}

/* A fresh zeroed node of the given kind, or 0 (and an error) if the line
 * needs more than NNODE. */
static struct node *
new_node(struct parser *ps, enum kind kind)
{
  struct node *n;

  if (ps->nused == NNODE) {
    fail(ps, "line too long: at most " XSTR(NNODE) " commands and |, ;, & in one line");
    return 0;
  }
  n = &ps->nodes[ps->nused++];
  memset(n, 0, sizeof(*n));
  n->kind = kind;
  return n;
}

/* A node joining left and right (either may be 0 after an error). */
static struct node *
join(struct parser *ps, enum kind kind, struct node *left, struct node *right)
{
  struct node *n = new_node(ps, kind);

  if (n) {
    n->left = left;
    n->right = right;
  }
  return n;
}

/* If the current token is a redirection, parse it into n and return 1;
 * otherwise return 0. */
static int
parse_redir(struct parser *ps, struct node *n)
{
  struct redir *r;
  int tok = ps->tok;

  if (tok != '<' && tok != '>' && tok != TOK_APPEND)
    return 0;
  advance(ps);
  if (ps->tok != TOK_WORD) {
    fail(ps, "missing file name after redirection");
    return 1;
  }
  if (n->nredir == NREDIR) {
    fail(ps, "too many redirections");
    return 1;
  }
  r = &n->redirs[n->nredir++];
  r->fd = tok == '<' ? 0 : 1;
  r->append = tok == TOK_APPEND;
  if (tok == '<')
    r->mode = O_RDONLY;
  else if (tok == '>')
    r->mode = O_WRONLY | O_CREATE | O_TRUNC;
  else
    r->mode = O_RDWR | O_CREATE;
  r->file = ps->word;
  advance(ps);
  return 1;
}

/* command := '(' list ')' { redir } | { word | redir } */
static struct node *
parse_command(struct parser *ps)
{
  struct node *n;

  if (ps->tok == '(') {
    advance(ps);
    n = new_node(ps, SUBSHELL);
    if (n == 0)
      return 0;
    n->left = parse_list(ps);
    if (ps->tok != ')')
      fail(ps, "missing )");
    advance(ps);
    while (ps->err == 0 && parse_redir(ps, n))
      ;
    return n;
  }
  n = new_node(ps, EXEC);
  if (n == 0)
    return 0;
  while (ps->err == 0) {
    if (ps->tok == TOK_WORD) {
      if (n->argc == MAXARG - 1) {
        fail(ps, "too many arguments");
        break;
      }
      n->argv[n->argc++] = ps->word;
      advance(ps);
    } else if (!parse_redir(ps, n)) {
      break;
    }
  }
  if (n->argc == 0 && n->nredir == 0)
    fail(ps, "syntax error");
  return n;
}

/* pipeline := command [ '|' pipeline ] */
static struct node *
parse_pipeline(struct parser *ps)
{
  struct node *left = parse_command(ps);

  if (ps->err || ps->tok != '|')
    return left;
  advance(ps);
  return join(ps, PIPE, left, parse_pipeline(ps));
}

/* list := pipeline { (';' | '&') [pipeline] }. Stops before ')' or the end.
 * The LIST nodes lean right (a; (b; c)), so that run walks a long list in a
 * loop rather than recursing once per command on its one-page stack. */
static struct node *
parse_list(struct parser *ps)
{
  struct node *list = 0, **last = &list, *n;

  while (ps->err == 0 && ps->tok != TOK_END && ps->tok != ')') {
    int sep;

    n = parse_pipeline(ps);
    sep = ps->tok;
    if (sep == '&')
      n = join(ps, BACK, n, 0);
    if (*last) {
      *last = join(ps, LIST, *last, n);
      if (ps->err)
        break;
      last = &(*last)->right;
    } else {
      *last = n;
    }
    if (sep != '&' && sep != ';')
      break;
    advance(ps);
  }
  return list;
}

/* Parse s into a command tree. Returns 0 for an empty line or on an error,
 * which it reports; the caller tells them apart by parser.err. */
static struct node *
parse(char *s)
{
  struct parser *ps = &parser;
  struct node *tree;

  ps->p = s;
  ps->wused = 0;
  ps->nused = 0;
  ps->err = 0;
  advance(ps);
  tree = parse_list(ps);
  if (ps->err == 0 && ps->tok != TOK_END)
    fail(ps, "syntax error");
  if (ps->err) {
    fprintf(2, "sh: %s\n", ps->err);
    return 0;
  }
  return tree;
}

/* Copy word w into the expansion area at *used with each $? replaced by
 * the last command's status; returns the copy. */
static char *
expand_word(char *w, int *used)
{
  char *out = &expansion[*used];

  while (*w) {
    if (w[0] == '$' && w[1] == '?') {
      *used += format_int(&expansion[*used], last_status);
      w += 2;
    } else {
      expansion[(*used)++] = *w++;
    }
  }
  expansion[(*used)++] = 0;
  return out;
}

/* Replace $? in EXEC node n's words and file names by the last command's
 * status, now that n is about to run; once only. The words then live in
 * the expansion area, until this process expands another command. */
static void
expand(struct node *n)
{
  int used = 0;

  if (n->kind != EXEC || n->expanded)
    return;
  n->expanded = 1;
  for (int i = 0; i < n->argc; i++)
    n->argv[i] = expand_word(n->argv[i], &used);
  for (int i = 0; i < n->nredir; i++)
    n->redirs[i].file = expand_word(n->redirs[i].file, &used);
}

/* Remember that background child pid exited with status, for the report
 * before the next prompt; other pids are ignored. */
static void
bg_reaped(int pid, int status)
{
  for (int i = 0; i < NBG; i++) {
    if (bg_pids[i] == pid) {
      bg_status[i] = status;
      bg_done[i] = 1;
    }
  }
}

/* Wait for child pid, reaping any other children that exit first.
 * Returns pid's exit status, or -1 if there is no such child. */
static int
wait_for(int pid)
{
  int status, w;

  for (;;) {
    status = 0;
    w = wait(&status);
    if (w < 0)
      return -1;
    if (w == pid)
      return status;
    bg_reaped(w, status);
  }
}

/* Track background child pid; an interactive shell prints its pid. */
static void
bg_started(int pid)
{
  if (!interactive)
    return;
  fprintf(2, "[%d]\n", pid);
  for (int i = 0; i < NBG; i++) {
    if (bg_pids[i] == 0) {
      bg_pids[i] = pid;
      bg_done[i] = 0;
      return;
    }
  }
}

/* Reap the background children that have ended (a child without memory has
 * exited, so wait() will not block for long) and report each reaped one
 * once: "[pid] done, status N". */
static void
bg_report(void)
{
  struct memstat m;

  for (int i = 0; i < NBG; i++) {
    if (bg_pids[i] == 0)
      continue;
    while (!bg_done[i] && memstat(bg_pids[i], &m) < 0) {
      int status = 0, w = wait(&status);

      if (w < 0)
        bg_done[i] = 1; /* reaped by someone else: no status to tell */
      else
        bg_reaped(w, status);
    }
    if (bg_done[i]) {
      fprintf(2, "[%d] done, status %d\n", bg_pids[i], bg_status[i]);
      bg_pids[i] = 0;
    }
  }
}

/* Fork, complaining on failure. Returns what fork returns. */
static int
fork_or_warn(void)
{
  int pid = fork();

  if (pid < 0)
    fprintf(2, "sh: fork failed\n");
  return pid;
}

/* Move fd's offset to the end of the file by reading it through. */
static void
seek_end(int fd)
{
  char buf[128];

  while (read(fd, buf, sizeof(buf)) > 0)
    ;
}

/* Apply n's redirections to this process. Exits with status 1 if a file
 * cannot be opened. Relies on fds below r->fd being open, as they are in a
 * shell started by init. */
static void
apply_redirs(struct node *n)
{
  for (int i = 0; i < n->nredir; i++) {
    struct redir *r = &n->redirs[i];

    close(r->fd);
    if (open(r->file, r->mode) < 0) {
      fprintf(2, "sh: %s: %s\n", r->file, path_error(r->file, r->mode));
      exit(1);
    }
    if (r->append)
      seek_end(r->fd);
  }
}

/* Replace this process with the program in argv, trying "/NAME" when NAME
 * has no slash and is not found as given. Exits with status 1 on failure. */
static void
exec_or_die(char **argv)
{
  char path[MAXPATH];

  exec(argv[0], argv);
  if (strchr(argv[0], '/') == 0 && strlen(argv[0]) + 2 <= sizeof(path)) {
    path[0] = '/';
    strcpy(path + 1, argv[0]);
    exec(path, argv);
  }
  fprintf(2, "exec %s failed\n", argv[0]);
  exit(1);
}

/* Run the built-in named by argv[0] in this process and store its status
 * in *status. Returns 1 if argv[0] is a built-in, else 0. */
static int
builtin(char **argv, int *status)
{
  if (strcmp(argv[0], "clear") == 0) {
    fprintf(1, "\x1b[H\x1b[2J");
    *status = 0;
    return 1;
  }
  if (strcmp(argv[0], "cd") == 0) {
    char *dir = argv[1] ? argv[1] : "/";

    *status = 0;
    if (chdir(dir) < 0) {
      struct stat st;

      fprintf(2, "sh: cd: %s: %s\n", dir,
              stat(dir, &st) == 0 && st.type != T_DIR ? "not a directory"
                                                      : path_error(dir, O_RDONLY));
      *status = 1;
    }
    return 1;
  }
  if (strcmp(argv[0], "exit") == 0)
    exit(argv[1] ? atoi(argv[1]) : 0);
  return 0;
}

/* Run a pipe: left's output feeds right's input. Returns right's status. */
static int
run_pipe(struct node *n)
{
  int fds[2], lpid, rpid, status;

  if (pipe(fds) < 0) {
    fprintf(2, "sh: pipe failed\n");
    return -1;
  }
  lpid = fork_or_warn();
  if (lpid == 0) {
    close(1);
    dup(fds[1]);
    close(fds[0]);
    close(fds[1]);
    run_in_child(n->left);
  }
  rpid = lpid < 0 ? -1 : fork_or_warn();
  if (rpid == 0) {
    close(0);
    dup(fds[0]);
    close(fds[0]);
    close(fds[1]);
    run_in_child(n->right);
  }
  close(fds[0]);
  close(fds[1]);
  status = rpid < 0 ? -1 : wait_for(rpid);
  if (lpid >= 0)
    wait_for(lpid);
  return status;
}

/* Is n `time CMD`? */
static int
is_time(struct node *n)
{
  return n->kind == EXEC && n->argc > 1 && strcmp(n->argv[0], "time") == 0;
}

/* Print v hundredths as "I.FF". */
static void
print_hundredths(int v)
{
  fprintf(2, "%d.%d%d", v / 100, v / 10 % 10, v % 10);
}

/* `time CMD`: run CMD (n without its first word) and print its wall time
 * and the system-wide memory events during the run: COW copies, reuses,
 * zero fills, and the frames in use before and after. Other processes'
 * events in the meantime count too. Returns CMD's status. */
static int
run_timed(struct node *n)
{
  struct memstat a, b;
  int t0, status;

  memmove(n->argv, n->argv + 1, n->argc * sizeof(n->argv[0]));
  n->argc--;
  memstat(0, &a);
  t0 = uptime();
  status = run(n);
  int ms = (uptime() - t0) * TICK_MS;
  memstat(0, &b);
  fprintf(2, "time: ");
  print_hundredths(ms / 10);
  fprintf(2, " s wall, status %d\n", status);
  fprintf(2, "time: %lu COW faults: %lu copies, %lu reuses; %lu zero fills\n",
          b.cow_faults - a.cow_faults, b.cow_copies - a.cow_copies, b.cow_reuses - a.cow_reuses,
          b.zero_fills - a.zero_fills);
  fprintf(2, "time: frames in use %lu before, %lu after (%ld)\n", a.frames_total - a.frames_free,
          b.frames_total - b.frames_free, (long)(a.frames_free - b.frames_free));
  if (b.swap_total) /* a swap disk: what page replacement did meanwhile */
    fprintf(2, "time: %lu page-outs, %lu page-ins; swap in use %lu of %lu pages\n",
            b.pageouts - a.pageouts, b.pageins - a.pageins, b.swap_used, b.swap_total);
  return status;
}

/* Run n in a child as one job and wait for it. An interactive shell names
 * the child the console's foreground first (both sides do, so that neither
 * order of running after fork lets the child read the console raw), so ^C
 * kills the job and not the shell. Returns the job's status, or -1. */
static int
run_job(struct node *n)
{
  int pid = fork_or_warn();

  if (pid == 0) {
    /* Written only when set: a store here, between fork and exec, would
     * cost sh -c's child a copy-on-write fault (cowtest shellexec). */
    if (interactive) {
      setfg(0, getpid());
      interactive = 0;
    }
    run_in_child(n);
  }
  if (pid < 0)
    return -1;
  if (interactive)
    setfg(0, pid);
  return wait_for(pid);
}

/* Run tree n in this process (forking as needed) and return its status. */
static int
run(struct node *n)
{
  int pid, status;

  switch (n->kind) {
  case EXEC:
    expand(n);
    if (is_time(n))
      return run_timed(n);
    if (n->argc > 0 && n->nredir == 0 && builtin(n->argv, &status))
      return status;
    break;
  case LIST:
    for (; n->kind == LIST; n = n->right)
      last_status = run(n->left);
    return run(n);
  case BACK:
    pid = fork_or_warn();
    if (pid == 0) {
      interactive = 0;
      run_in_child(n->left);
    }
    if (pid > 0)
      bg_started(pid);
    return pid < 0 ? -1 : 0;
  case PIPE:
  case SUBSHELL: break;
  }
  return run_job(n);
}

/* Run tree n in this (child) process and exit with its status. An EXEC
 * node becomes the program itself, without another fork. */
static void
run_in_child(struct node *n)
{
  int status;

  if (n->kind == SUBSHELL) {
    apply_redirs(n);
    exit(n->left ? run(n->left) : 0);
  }
  if (n->kind == PIPE)
    exit(run_pipe(n));
  if (n->kind != EXEC || is_time(n))
    exit(run(n));
  expand(n);
  apply_redirs(n);
  if (n->argc == 0)
    exit(0);
  if (builtin(n->argv, &status))
    exit(status);
  exec_or_die(n->argv);
}

/* Parse and run one line (at most LINEMAX bytes and a newline) and set $?
 * to its status. Returns the status of its last command, 0 for an empty
 * line (which leaves $? alone), or 1 for a line that is too long or does
 * not parse. */
static int
run_line(char *s)
{
  struct node *tree;

  if (strlen(s) > LINEMAX + 1) {
    fprintf(2, "sh: line too long: at most " XSTR(LINEMAX) " characters\n");
    return last_status = 1;
  }
  tree = parse(s);
  if (tree == 0)
    return parser.err ? (last_status = 1) : 0;
  return last_status = run(tree);
}

/* Read the next line of input into line. Returns 0 at end of input, -1 for
 * a line longer than LINEMAX (which it discards), else 1. */
static int
read_line(void)
{
  uint len;

  gets(line, sizeof(line));
  len = strlen(line);
  if (len == 0)
    return 0;
  if (len < sizeof(line) - 1 || strchr("\n\r", line[len - 1]))
    return 1;
  while (len > 0 && !strchr("\n\r", line[len - 1])) {
    gets(line, sizeof(line));
    len = strlen(line);
  }
  return -1;
}

/* --- the line editor: the console is raw while sh reads a line ------------- */

/* The line being edited: len bytes in buf (NUL-terminated), the terminal's
 * cursor before buf[cur]. The prompt stays at the left, then buf[off...]
 * (off is 0 unless the line is wider than ED_WIDTH: then it is "wide", and
 * every change redraws the part shown, ed_refresh). */
struct editor {
  char buf[LINEMAX + 1];
  int len;
  int cur;
  int off;
};

/* Lines entered, oldest first: line i (of nhist ever added) is
 * history[i % NHIST] while i >= nhist - NHIST. */
static char history[NHIST][LINEMAX + 1];
static int nhist;

/* The next byte typed, or -1 at end of input. */
static int
getbyte(void)
{
  char c;

  return read(0, &c, 1) == 1 ? (uchar)c : -1;
}

/* Write n bytes of s to the terminal. */
static void
term(const char *s, int n)
{
  if (n > 0)
    write(2, s, n);
}

/* Move the terminal's cursor n columns left (right if n < 0). */
static void
term_left(int n)
{
  if (n > 0)
    fprintf(2, "\x1b[%dD", n);
  else if (n < 0)
    fprintf(2, "\x1b[%dC", -n);
}

/* Is the line too wide to show whole, or was it until this change? */
static int
ed_wide(struct editor *ed)
{
  return ed->off > 0 || ed->len > ED_WIDTH;
}

/* Redraw the prompt and the ED_WIDTH-byte window of the line that holds the
 * cursor (the whole line if it fits), and put the cursor in place. */
static void
ed_refresh(struct editor *ed)
{
  int shown;

  if (ed->len <= ED_WIDTH)
    ed->off = 0;
  else if (ed->cur < ed->off)
    ed->off = ed->cur;
  else if (ed->cur > ed->off + ED_WIDTH)
    ed->off = ed->cur - ED_WIDTH;
  if (ed->len > ED_WIDTH && ed->off > ed->len - ED_WIDTH)
    ed->off = ed->len - ED_WIDTH;
  shown = ed->len - ed->off < ED_WIDTH ? ed->len - ed->off : ED_WIDTH;
  fprintf(2, "\r\x1b[K" PROMPT);
  term(ed->buf + ed->off, shown);
  fprintf(2, "\x1b[K");
  term_left(ed->off + shown - ed->cur);
}

/* Move the cursor to column to of the line. */
static void
ed_move(struct editor *ed, int to)
{
  int from = ed->cur;

  ed->cur = to;
  if (ed_wide(ed))
    ed_refresh(ed);
  else
    term_left(from - to);
}

/* Show buf from the cursor on, erase what lies beyond its end, and put the
 * cursor back. */
static void
ed_redraw_tail(struct editor *ed)
{
  if (ed_wide(ed)) {
    ed_refresh(ed);
    return;
  }
  term(ed->buf + ed->cur, ed->len - ed->cur);
  fprintf(2, "\x1b[K");
  term_left(ed->len - ed->cur);
}

/* Insert c at the cursor; a full line takes no more. Typing at the end of
 * the line echoes just the byte. */
static void
ed_insert(struct editor *ed, char c)
{
  if (ed->len == LINEMAX)
    return;
  memmove(ed->buf + ed->cur + 1, ed->buf + ed->cur, ed->len - ed->cur);
  ed->buf[ed->cur++] = c;
  ed->buf[++ed->len] = 0;
  if (ed_wide(ed)) {
    ed_refresh(ed);
    return;
  }
  term(ed->buf + ed->cur - 1, ed->len - ed->cur + 1);
  term_left(ed->len - ed->cur);
}

/* Delete buf[from..to) (0 <= from <= to <= len); the cursor ends at from. */
static void
ed_delete(struct editor *ed, int from, int to)
{
  if (from == to)
    return;
  ed_move(ed, from);
  memmove(ed->buf + from, ed->buf + to, ed->len - to + 1);
  ed->len -= to - from;
  ed_redraw_tail(ed);
}

/* Where the word before the cursor starts (for ^W): back over blanks,
 * then over the word. */
static int
ed_word_start(struct editor *ed)
{
  int i = ed->cur;

  while (i > 0 && ed->buf[i - 1] == ' ')
    i--;
  while (i > 0 && ed->buf[i - 1] != ' ')
    i--;
  return i;
}

/* Replace the whole line with s (from history); the cursor ends at its end. */
static void
ed_replace(struct editor *ed, const char *s)
{
  ed_move(ed, 0);
  strcpy(ed->buf, s);
  ed->len = strlen(s);
  ed_redraw_tail(ed);
  ed_move(ed, ed->len);
}

/* Up (dir -1) or down (dir 1) through the history; *pos is the entry shown
 * (nhist: the line being typed, saved in draft while it is not shown). */
static void
ed_history(struct editor *ed, int dir, int *pos, char *draft)
{
  int to = *pos + dir;

  if (to < 0 || to < nhist - NHIST || to > nhist)
    return;
  if (*pos == nhist)
    strcpy(draft, ed->buf);
  *pos = to;
  ed_replace(ed, to == nhist ? draft : history[to % NHIST]);
}

/* Read the rest of an escape sequence (ESC already read) and return the
 * key it names: 'A' 'B' 'C' 'D' (arrows), 'H' 'F' (home, end), '3' (delete),
 * or 0 for one the editor does not know. */
static int
read_escape(void)
{
  int c = getbyte(), num = 0;

  if (c != '[' && c != 'O')
    return 0;
  c = getbyte();
  while (c >= '0' && c <= '9') {
    num = num * 10 + c - '0';
    c = getbyte();
  }
  if (c == '~')
    return num == 1 ? 'H' : num == 4 ? 'F' : num == 3 ? '3' : 0;
  return c > 0 && strchr("ABCDHF", c) ? c : 0;
}

/* Apply key to the line. Returns 1 when the line is done (Enter), 0 to go
 * on, -1 for ^C (drop the line) and -2 for ^D on an empty line (end of
 * input). */
static int
ed_key(struct editor *ed, int key, int *pos, char *draft)
{
  switch (key) {
  case '\r':
  case '\n': ed_move(ed, ed->len); return 1;
  case CTRL('C'): return -1;
  case CTRL('D'):
    if (ed->len == 0)
      return -2;
    ed_delete(ed, ed->cur, ed->cur < ed->len ? ed->cur + 1 : ed->cur);
    break;
  case CTRL('A'):
  case 'H' | 0x100: ed_move(ed, 0); break;
  case CTRL('E'):
  case 'F' | 0x100: ed_move(ed, ed->len); break;
  case CTRL('U'): ed_delete(ed, 0, ed->cur); break;
  case CTRL('W'): ed_delete(ed, ed_word_start(ed), ed->cur); break;
  case CTRL('H'):
  case DEL:
    if (ed->cur > 0)
      ed_delete(ed, ed->cur - 1, ed->cur);
    break;
  case '3' | 0x100:
    if (ed->cur < ed->len)
      ed_delete(ed, ed->cur, ed->cur + 1);
    break;
  case 'D' | 0x100:
    if (ed->cur > 0)
      ed_move(ed, ed->cur - 1);
    break;
  case 'C' | 0x100:
    if (ed->cur < ed->len)
      ed_move(ed, ed->cur + 1);
    break;
  case 'A' | 0x100: ed_history(ed, -1, pos, draft); break;
  case 'B' | 0x100: ed_history(ed, 1, pos, draft); break;
  default:
    if (key >= ' ' && key < DEL)
      ed_insert(ed, key);
    else if (key == '\t')
      ed_insert(ed, ' ');
    break;
  }
  return 0;
}

/* Add s to the history unless it is empty or repeats the last entry. */
static void
history_add(const char *s)
{
  if (*s == 0 || (nhist > 0 && strcmp(history[(nhist - 1) % NHIST], s) == 0))
    return;
  strcpy(history[nhist % NHIST], s);
  nhist++;
}

/* Read and edit one line from the raw console into line, newline-terminated,
 * and add it to the history. Keys: printable bytes insert at the cursor;
 * left/right arrows move; backspace (or DEL) erases before the cursor,
 * Delete and ^D under it; ^A/Home and ^E/End jump; ^U erases to the start,
 * ^W the word before the cursor; up/down walk the history; ^C drops the
 * line. Returns 1 for a line (empty after ^C), 0 at end of input (^D on an
 * empty line). */
static int
edit_line(void)
{
  static struct editor ed;
  static char draft[LINEMAX + 1];
  int pos = nhist, done = 0;

  ed.len = ed.cur = ed.off = 0;
  ed.buf[0] = 0;
  while (!done) {
    int key = getbyte();

    if (key < 0)
      return 0;
    if (key == ESC)
      key = read_escape() | 0x100;
    done = ed_key(&ed, key, &pos, draft);
  }
  if (done == -2)
    return 0;
  if (done == -1) {
    fprintf(2, "^C");
    ed.len = 0;
  }
  fprintf(2, "\n");
  memmove(line, ed.buf, ed.len);
  line[ed.len] = '\n';
  line[ed.len + 1] = 0;
  ed.buf[ed.len] = 0;
  history_add(ed.buf);
  return 1;
}

/* sh [-c line | file]: with -c, exits with the status of the line's last
 * command; otherwise reads lines until end of input and exits 0. */
int
main(int argc, char *argv[])
{
  if (argc >= 3 && strcmp(argv[1], "-c") == 0)
    exit(run_line(argv[2]));
  if (argc >= 2) {
    close(0);
    if (open(argv[1], O_RDONLY) < 0) {
      fprintf(2, "sh: cannot open %s\n", argv[1]);
      exit(1);
    }
  }
  interactive = setfg(0, 0) == 0;
  for (;;) {
    int r;

    if (interactive) {
      bg_report();
      setfg(0, 0);
    }
    if (interactive)
      fprintf(2, PROMPT);
    r = interactive ? edit_line() : read_line();
    if (r == 0)
      break;
    if (r < 0)
      fprintf(2, "sh: line too long: at most " XSTR(LINEMAX) " characters\n");
    else
      run_line(line);
  }
  exit(0);
}
