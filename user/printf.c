/* printf.c: formatted output for user programs.
 * One call's output is gathered in a buffer on the caller's stack and written
 * with as few write()s as possible (one, for lines shorter than the buffer),
 * so lines printed by concurrent processes do not interleave. No shared
 * state, no locks. */
#include "kernel/types.h"
#include "user/user.h"

#include <stdarg.h>

#define OUTBUF 256

/* Output being gathered for one fd. */
struct out {
  int fd;
  int n; /* bytes waiting in buf */
  char buf[OUTBUF];
};

static const char hexdigits[] = "0123456789abcdef";

/* Write what is buffered, and empty the buffer. */
static void
out_flush(struct out *o)
{
  if (o->n > 0)
    write(o->fd, o->buf, o->n);
  o->n = 0;
}

/* Append one byte, flushing first if the buffer is full. */
static void
out_char(struct out *o, char c)
{
  if (o->n == OUTBUF)
    out_flush(o);
  o->buf[o->n++] = c;
}

/* Append a NUL-terminated string; a null pointer prints as "(null)". */
static void
out_str(struct out *o, const char *s)
{
  if (s == 0)
    s = "(null)";
  while (*s)
    out_char(o, *s++);
}

/* Append v in the given base (10 or 16). If is_signed, v is read as a
 * two's-complement 64-bit value and a '-' is printed for negatives. */
static void
out_num(struct out *o, uint64 v, int base, int is_signed)
{
  char digits[20];
  int i = 0;
  int neg = is_signed && (long)v < 0;

  if (neg)
    v = -v;
  do {
    digits[i++] = hexdigits[v % base];
    v /= base;
  } while (v != 0);
  if (neg)
    out_char(o, '-');
  while (i > 0)
    out_char(o, digits[--i]);
}

/* Append a pointer as 0x followed by 16 hex digits. */
static void
out_ptr(struct out *o, uint64 p)
{
  out_str(o, "0x");
  for (int shift = 60; shift >= 0; shift -= 4)
    out_char(o, hexdigits[(p >> shift) & 0xf]);
}

/* Append one integer conversion c (d, u or x), taking an int when lflag is
 * 0 and a long when it is 1 or 2. Returns 0 if c is not one of those. */
static int
out_int(struct out *o, char c, int lflag, va_list *ap)
{
  uint64 v;
  int is_signed = c == 'd';

  if (c != 'd' && c != 'u' && c != 'x')
    return 0;
  if (lflag)
    v = va_arg(*ap, uint64);
  else if (is_signed)
    v = (uint64)(long)va_arg(*ap, int);
  else
    v = va_arg(*ap, uint);
  out_num(o, v, c == 'x' ? 16 : 10, is_signed);
  return 1;
}

/* Format fmt with ap into o. Knows %d %u %x with optional l or ll, %p %s %c
 * and %%; anything else is printed as it stands. */
static void
format(struct out *o, const char *fmt, va_list ap)
{
  va_list args;

  va_copy(args, ap);
  for (; *fmt; fmt++) {
    const char *spec = fmt;
    int lflag = 0;

    if (*fmt != '%') {
      out_char(o, *fmt);
      continue;
    }
    fmt++;
    while (*fmt == 'l' && lflag < 2) {
      lflag++;
      fmt++;
    }
    if (out_int(o, *fmt, lflag, &args))
      continue;
    if (*fmt == 'p' && !lflag)
      out_ptr(o, va_arg(args, uint64));
    else if (*fmt == 's' && !lflag)
      out_str(o, va_arg(args, const char *));
    else if (*fmt == 'c' && !lflag)
      out_char(o, va_arg(args, int));
    else if (*fmt == '%' && !lflag)
      out_char(o, '%');
    else {
      for (; spec <= fmt && *spec; spec++)
        out_char(o, *spec);
      if (*fmt == 0)
        break;
    }
  }
  va_end(args);
}

/* Format fmt with ap and write the result to fd. */
static void
print_to(int fd, const char *fmt, va_list ap)
{
  struct out o;

  o.fd = fd;
  o.n = 0;
  format(&o, fmt, ap);
  out_flush(&o);
}

/* Print to fd, the arguments in ap. */
void
vfprintf(int fd, const char *fmt, va_list ap)
{
  print_to(fd, fmt, ap);
}

/* Print to fd. */
void
fprintf(int fd, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  print_to(fd, fmt, ap);
  va_end(ap);
}

/* Print to the standard output, fd 1. */
void
printf(const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  print_to(1, fmt, ap);
  va_end(ap);
}
