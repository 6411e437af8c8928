/* sh.c: the shell.
 *
 * Reads a line (at most LINEMAX bytes before its newline), parses it into a tree of commands,
 * then runs the tree. Grammar, by recursive descent:
 *   list     := pipeline { (';' | '&') [pipeline] }
 *   pipeline := command [ '|' pipeline ]
 *   command  := '(' list ')' { redir } | { word | redir }
 *   redir    := ('<' | '>' | '>>') word
 * Words are runs of characters other than blanks and <>|&;(); a pair of
 * double quotes keeps blanks and symbols inside one word.
 *
 * `sh` reads commands from its standard input (or from FILE for `sh FILE`)
 * and prints the prompt "$ " to fd 2 before each line; `sh -c LINE` runs one
 * line and exits with the status of its last command. cd and exit are built
 * in. Background children are reaped whenever the shell waits.
 * One thread of control: no locks. */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define LINEMAX 512
#define NNODE   64 /* command-tree nodes per line */
#define NREDIR  8  /* redirections per command */

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
};

/* Token kinds besides the one-character symbols themselves. */
#define TOK_END    0
#define TOK_WORD   1
#define TOK_APPEND 2 /* ">>" */

/* Lexer and parser state for one line. Words are copied, NUL-terminated,
 * into words[], which is large enough for any line of LINEMAX bytes. */
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
static struct parser parser;

static void run_in_child(struct node *n) __attribute__((noreturn));
static void exec_or_die(char **argv) __attribute__((noreturn));
static struct node *parse_list(struct parser *ps);

/* Record the first parse error. */
static void
fail(struct parser *ps, const char *msg)
{
  if (ps->err == 0)
    ps->err = msg;
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
    fail(ps, "line too long");
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

/* list := pipeline { (';' | '&') [pipeline] }. Stops before ')' or the end. */
static struct node *
parse_list(struct parser *ps)
{
  struct node *list = 0, *n;

  while (ps->err == 0 && ps->tok != TOK_END && ps->tok != ')') {
    int sep;

    n = parse_pipeline(ps);
    sep = ps->tok;
    if (sep == '&')
      n = join(ps, BACK, n, 0);
    list = list ? join(ps, LIST, list, n) : n;
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

/* Wait for child pid, reaping any other children that exit first.
 * Returns pid's exit status, or -1 if there is no such child. */
static int
wait_for(int pid)
{
  int status, w;

  do {
    status = 0;
    w = wait(&status);
    if (w < 0)
      return -1;
  } while (w != pid);
  return status;
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
      fprintf(2, "open %s failed\n", r->file);
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
  if (strcmp(argv[0], "cd") == 0) {
    char *dir = argv[1] ? argv[1] : "/";

    *status = 0;
    if (chdir(dir) < 0) {
      fprintf(2, "cannot cd %s\n", dir);
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

/* Run tree n in this process (forking as needed) and return its status. */
static int
run(struct node *n)
{
  int pid, status;

  switch (n->kind) {
  case EXEC:
    if (n->argc > 0 && n->nredir == 0 && builtin(n->argv, &status))
      return status;
    break;
  case LIST: run(n->left); return run(n->right);
  case PIPE: return run_pipe(n);
  case BACK:
    pid = fork_or_warn();
    if (pid == 0)
      run_in_child(n->left);
    return pid < 0 ? -1 : 0;
  case SUBSHELL: break;
  }
  pid = fork_or_warn();
  if (pid == 0)
    run_in_child(n);
  return pid < 0 ? -1 : wait_for(pid);
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
  if (n->kind != EXEC)
    exit(run(n));
  apply_redirs(n);
  if (n->argc == 0)
    exit(0);
  if (builtin(n->argv, &status))
    exit(status);
  exec_or_die(n->argv);
}

/* Parse and run one line (at most LINEMAX bytes and a newline). Returns the
 * status of its last command, 0 for an empty line, or 1 for a line that is
 * too long or does not parse. */
static int
run_line(char *s)
{
  struct node *tree;

  if (strlen(s) > LINEMAX + 1) {
    fprintf(2, "sh: line too long\n");
    return 1;
  }
  tree = parse(s);
  if (tree == 0)
    return parser.err ? 1 : 0;
  return run(tree);
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
  for (;;) {
    int r;

    fprintf(2, "$ ");
    r = read_line();
    if (r == 0)
      break;
    if (r < 0)
      fprintf(2, "sh: line too long\n");
    else
      run_line(line);
  }
  exit(0);
}
