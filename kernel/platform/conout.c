/* conout.c: the console's polled output, for printf, panic and echo: one
 * byte written now, spinning until the UART's transmitter takes it. Never
 * sleeps, takes no lock; safe in interrupt handlers. Until the device tree
 * has named a UART (machine.uart.size == 0) bytes go to the SBI firmware's
 * console, so early messages and panics are still seen. Who may write after
 * a panic is printf.c's rule (putc_sync). */
#include "kernel/types.h"
#include "kernel/platform/fdt.h"
#include "kernel/platform/ns16550.h"
#include "kernel/platform/sbi.h"
#include "kernel/platform/conout.h"

/* Write byte c to the console now. */
void
conout_putc(int c)
{
  volatile uchar *uart = (volatile uchar *)machine.uart.base;

  if (machine.uart.size == 0) {
    sbi_console_putchar(c);
    return;
  }
  while ((uart[LSR] & LSR_THRE) == 0)
    ;
  uart[THR] = c;
}
