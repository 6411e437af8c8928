/* console.c: the console device (devsw[CONSOLE]) and its line discipline.
 *
 * Typed bytes arrive through consoleintr(), which takes them from the UART
 * when it interrupts, and collect in an input ring that
 * readers take from; readers sleep until something is committed. The ring
 * works in one of two modes, and the console's foreground decides which:
 *
 *   cooked  (a foreground process, or nobody, owns the console) bytes are
 *           echoed and collect in an edit line until newline or ^D commits
 *           them. Editing keys: backspace or DEL erases a byte, ^U the line,
 *           ^D ends input (a read on an empty line returns 0). ^C throws
 *           away all input not yet read (the edit line and lines typed
 *           ahead) and kills the foreground: the process the shell named
 *           and all its descendants (sched.c kill_tree).
 *   raw     (the shell reads its own command line) every byte is committed
 *           at once, unechoed, ^C and ^D and escape sequences included: the
 *           shell edits the line itself, so ^C never kills it.
 *
 * The shell names the foreground with the setfg(fd, pid) system call
 * (console_foreground): pid 0 before it reads a command line (raw), the
 * child it waits for before running a command (cooked). Nothing else sets
 * it, so a console no shell has claimed (boot, RUN= scripts) is cooked with
 * no foreground, and ^C only clears the edit line. ^P lists processes in
 * both modes.
 *
 * cons.lock guards the input ring, the mode and the foreground; output
 * needs no lock of its own here (uart.c serialises it). The file layer
 * reaches consoleread and consolewrite through devsw[CONSOLE] (file.c). */
#include "kernel/types.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/printf.h"
#include "kernel/sched/sched.h"
#include "kernel/mem/uaccess.h"
#include "kernel/mem/aspace.h"
#include "kernel/dev/console.h"
#include "kernel/dev/uart.h"

#define CTRL(x) ((x) - '@')
#define DEL     0x7f

/* Input ring. Counters only grow; byte i lives in buf[i % INBUF], and
 * r <= w <= e <= r + INBUF: [r, w) is committed and readable, [w, e) is the
 * line still being edited (always empty in raw mode). All guarded by lock;
 * readers sleep on &cons.r. */
#define INBUF 256
static struct {
  struct spinlock lock;
  char buf[INBUF];
  uint64 r;
  uint64 w;
  uint64 e;
  int raw;    /* bytes go to the reader as typed, unechoed */
  int fg;     /* pid whose process tree ^C kills, or 0 */
  int paused; /* the ring is full, and the UART keeps what comes */
} cons;

/* Write c to the console at once (for echo); '\b' is sent as
 * "\b \b" so that it erases the character on the terminal. */
static void
consputc(int c)
{
  if (c == '\b') {
    putc_sync('\b');
    putc_sync(' ');
    putc_sync('\b');
  } else {
    putc_sync(c);
  }
}

/* Is there room in the ring for one more byte? Caller holds cons.lock. */
static int
cons_room(void)
{
  return cons.e - cons.r < INBUF;
}

/* A reader took bytes: if the UART was stopped for want of room, let it
 * deliver again. Caller holds cons.lock. */
static void
cons_resume(void)
{
  if (cons.paused && cons_room()) {
    cons.paused = 0;
    uart_receive(1);
  }
}

/* devsw write: send n bytes from src (a user address if user_src) to the
 * UART, sleeping when its buffer is full. A killed caller stops within one
 * chunk. Returns the bytes written, or -1 if none were (src is bad, or the
 * caller was killed first). */
int
consolewrite(int user_src, uint64 src, int n)
{
  char chunk[64];
  int done, len, sent;

  for (done = 0; done < n && !killed(myproc()); done += len) {
    len = n - done < (int)sizeof(chunk) ? n - done : (int)sizeof(chunk);
    if (either_copyin(chunk, user_src, src + done, len) < 0)
      break;
    if ((sent = uartwrite(chunk, len)) < len) {
      done += sent;
      break;
    }
  }
  return done > 0 || n == 0 ? done : -1;
}

/* devsw read: copy up to n committed bytes to dst (a user address if
 * user_dst), stopping after a newline or when no more are committed. Sleeps
 * until something is committed. In cooked mode a ^D is end of file; in raw
 * mode it is a byte like any other. Returns the byte count (0 at end of
 * file), or -1 if the caller was killed while waiting or dst is bad before
 * anything was copied. */
int
consoleread(int user_dst, uint64 dst, int n)
{
  int got = 0;
  char c;

  acquire(&cons.lock);
  while (got < n) {
    if (cons.r == cons.w && got > 0)
      break;
    while (cons.r == cons.w) {
      if (killed(myproc())) {
        release(&cons.lock);
        return -1;
      }
      sleep_killable(&cons.r, &cons.lock);
    }
    c = cons.buf[cons.r % INBUF];
    if (c == CTRL('D') && !cons.raw) {
      /* End of file. If bytes came first, leave the ^D for the next read,
       * so that it returns 0. */
      if (got == 0)
        cons.r++;
      break;
    }
    int r = either_copyout(user_dst, dst + got, &c, 1);
    if (r == COPY_WAIT) { /* the page is out, or memory full: make it, unlocked */
      release(&cons.lock);
      r = as_fault_in(myproc()->as, dst + got, 1, ACCESS_WRITE);
      acquire(&cons.lock);
      if (r == 0)
        continue;
    }
    if (r < 0) {
      if (got == 0)
        got = -1;
      break;
    }
    cons.r++;
    got++;
    if (c == '\n')
      break;
  }
  cons_resume();
  release(&cons.lock);
  return got;
}

/* Erase the last byte of the edit line, on screen too. Caller holds
 * cons.lock. Returns 0 if the edit line was already empty. */
static int
cons_erase(void)
{
  if (cons.e == cons.w)
    return 0;
  cons.e--;
  consputc('\b');
  return 1;
}

/* Add c to the edit line and echo it; commit the line on newline, ^D or when
 * the ring is full, waking readers. Caller holds cons.lock; the ring has
 * room (consoleintr takes a byte only then). */
static void
cons_type(int c)
{
  KASSERT(cons_room());
  if (c == '\r')
    c = '\n';
  if (c != CTRL('D'))
    consputc(c);
  cons.buf[cons.e % INBUF] = c;
  cons.e++;
  if (c == '\n' || c == CTRL('D') || cons.e - cons.r == INBUF) {
    cons.w = cons.e;
    wakeup(&cons.r);
  }
}

/* Hand c to the reader as it is: commit it at once, no echo. Caller holds
 * cons.lock; the ring has room (consoleintr takes a byte only then). */
static void
cons_raw(int c)
{
  KASSERT(cons_room());
  cons.buf[cons.e % INBUF] = c;
  cons.w = ++cons.e;
  wakeup(&cons.r);
}

/* ^C in cooked mode: throw away all input not yet read, committed or in the
 * edit line (what was typed ahead was meant for the job ^C kills), and
 * return the foreground pid to kill (0: none). Caller holds cons.lock. */
static int
cons_interrupt(void)
{
  cons.r = cons.w = cons.e;
  cons_resume();
  consputc('^');
  consputc('C');
  consputc('\n');
  return cons.fg;
}

/* One byte typed at the console. */
static void
cons_input(int c)
{
  int dump = 0, victim = 0;

  acquire(&cons.lock);
  if (cons.raw && c != CTRL('P')) {
    cons_raw(c);
    release(&cons.lock);
    return;
  }
  switch (c) {
  case CTRL('P'): dump = 1; break;
  case CTRL('C'): victim = cons_interrupt(); break;
  case CTRL('U'):
    while (cons_erase())
      ;
    break;
  case '\b':
  case DEL: cons_erase(); break;
  default:
    if (c != 0)
      cons_type(c);
    break;
  }
  release(&cons.lock);
  if (dump)
    procdump();
  if (victim)
    kill_tree(victim);
}

/* Name the console's foreground (the setfg system call): pid > 0 makes
 * pid and its descendants the foreground and the console cooked; pid 0 makes
 * it raw for the caller, who edits its own lines. A half-typed cooked line
 * is committed as it is when the console turns raw. */
void
console_foreground(int pid)
{
  acquire(&cons.lock);
  cons.fg = pid;
  cons.raw = pid == 0;
  if (cons.raw && cons.w != cons.e) {
    cons.w = cons.e;
    wakeup(&cons.r);
  }
  release(&cons.lock);
}

/* The UART interrupted (trap.c, interrupts off): take the bytes it received
 * while the ring has room for them, then let it refill its transmitter.
 * With the ring full, the rest wait in the UART, its receive interrupt
 * stopped until a reader makes room (cons_resume): no byte is dropped. */
void
consoleintr(void)
{
  int c;

  for (;;) {
    acquire(&cons.lock);
    if (!cons_room()) {
      cons.paused = 1;
      uart_receive(0);
      release(&cons.lock);
      break;
    }
    release(&cons.lock);
    if ((c = uartgetc()) < 0)
      break;
    cons_input(c);
  }
  uartintr();
}

/* Set up the console: its lock and the UART. */
void
consoleinit(void)
{
  initlock(&cons.lock, "cons");
  uartinit();
}
