/* uart.c: the ns16550a serial port at machine.uart (register stride 1 byte).
 *
 * Output goes two ways. uartwrite() queues bytes in a transmit ring that the
 * transmit-empty interrupt drains; writers sleep while it is full, and a
 * killed writer stops waiting. It serves write() on the console.
 * uartputc_sync() spins on the hardware and writes at
 * once; it serves printf and echo, which must not sleep. The transmit-empty
 * interrupt is enabled only while the ring holds bytes, so synchronous output
 * does not raise an interrupt per byte. Input arrives by interrupt and goes
 * byte by byte to consoleintr().
 *
 * After a panic, only the panicking hart may write: panicked holds
 * 1 + cpuid() of that hart (see printf.c). It prints through uartputc_sync;
 * every other hart that tries to write through either function, and any
 * hart at all that calls uartwrite, parks there for good with interrupts off.
 *
 * Until the device tree has named a UART (machine.uart.size == 0) both output
 * functions fall back to the SBI firmware console, so early messages and
 * panics are still seen. */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/lib/spinlock.h"
#include "kernel/proc/proc.h"
#include "kernel/dev/console.h"
#include "kernel/platform/fdt.h"
#include "kernel/lib/printf.h"
#include "kernel/platform/sbi.h"
#include "kernel/dev/uart.h"

/* Register offsets. */
#define RBR 0 /* receive buffer (read) */
#define THR 0 /* transmit holding (write) */
#define DLL 0 /* divisor latch low, when LCR_DLAB is set */
#define IER 1 /* interrupt enable */
#define DLM 1 /* divisor latch high, when LCR_DLAB is set */
#define IIR 2 /* interrupt identification (read) */
#define FCR 2 /* FIFO control (write) */
#define LCR 3 /* line control */
#define MCR 4 /* modem control */
#define LSR 5 /* line status */

#define IER_RX           0x01 /* interrupt when a byte has arrived */
#define IER_TX_EMPTY     0x02 /* interrupt when the transmitter wants more */
#define FCR_ENABLE       0x01
#define FCR_CLEAR        0x06 /* empty both FIFOs */
#define LCR_8N1          0x03
#define LCR_DLAB         0x80 /* registers 0 and 1 become the baud divisor */
#define MCR_DTR_RTS_OUT2 0x0B
#define LSR_DR           0x01 /* a received byte is waiting in RBR */
#define LSR_THRE         0x20 /* transmit FIFO is empty */

#define TX_FIFO 16 /* bytes the 16550A takes after LSR_THRE */
#define BAUD    115200

/* Transmit ring. r and w count bytes ever taken and ever queued, so
 * r <= w <= r + TXBUF; byte i lives in buf[i % TXBUF]. All guarded by lock.
 * Writers waiting for room sleep on &tx.r. */
#define TXBUF 64
static struct {
  struct spinlock lock;
  char buf[TXBUF];
  uint64 r;
  uint64 w;
} tx;

/* Address of UART register reg. */
static volatile uchar *
uart_reg(int reg)
{
  return (volatile uchar *)(machine.uart.base + reg);
}

/* Stop this hart for good: used once another hart's panic owns the UART. */
static void __attribute__((noreturn)) uart_park(void)
{
  intr_off();
  for (;;)
    wfi();
}

/* Program the UART: 8N1 at BAUD (when its clock is known), FIFOs on,
 * receive interrupts on (uart_start turns transmit-empty ones on as needed). */
void
uartinit(void)
{
  uint64 div = 1;

  initlock(&tx.lock, "uart");
  if (machine.uart.size == 0)
    return;
  if (machine.uart_clock >= 16 * BAUD)
    div = machine.uart_clock / (16 * BAUD);
  *uart_reg(IER) = 0;
  *uart_reg(LCR) = LCR_DLAB;
  *uart_reg(DLL) = div & 0xff;
  *uart_reg(DLM) = (div >> 8) & 0xff;
  *uart_reg(LCR) = LCR_8N1;
  *uart_reg(FCR) = FCR_ENABLE | FCR_CLEAR;
  *uart_reg(MCR) = MCR_DTR_RTS_OUT2;
  *uart_reg(IER) = IER_RX;
}

/* Move queued bytes into the transmitter if it is empty, waking writers
 * waiting for space; ask for a transmit-empty interrupt exactly while bytes
 * remain queued. Caller holds tx.lock; the UART exists. */
static void
uart_start(void)
{
  int room;

  if (tx.r != tx.w && (*uart_reg(LSR) & LSR_THRE)) {
    for (room = TX_FIFO; room > 0 && tx.r != tx.w; room--) {
      *uart_reg(THR) = tx.buf[tx.r % TXBUF];
      tx.r++;
    }
    wakeup(&tx.r);
  }
  *uart_reg(IER) = tx.r != tx.w ? IER_RX | IER_TX_EMPTY : IER_RX;
}

/* Wait until the transmit ring has room for a byte. Returns 0, or -1 if the
 * caller is killed first. Caller holds tx.lock. */
static int
tx_wait_room(void)
{
  while (tx.w - tx.r == TXBUF) {
    if (killed(myproc()))
      return -1;
    sleep(&tx.r, &tx.lock);
  }
  return 0;
}

/* Queue the n bytes at buf for output, sleeping while the ring is full.
 * Needs a process context. Returns n, or fewer if the caller is killed while
 * it waits for room. Parks forever once the kernel has panicked. */
int
uartwrite(const char *buf, int n)
{
  int i;

  if (panicked)
    uart_park();
  if (machine.uart.size == 0) {
    for (i = 0; i < n; i++)
      sbi_console_putchar(buf[i]);
    return n;
  }
  acquire(&tx.lock);
  for (i = 0; i < n && tx_wait_room() == 0; i++) {
    if (panicked)
      uart_park();
    tx.buf[tx.w % TXBUF] = buf[i];
    tx.w++;
    uart_start();
  }
  release(&tx.lock);
  return i;
}

/* Write byte c now, spinning until the transmitter takes it. Never sleeps;
 * safe in interrupt handlers and with locks held. After a panic only the
 * panicking hart gets through; others park. */
void
uartputc_sync(int c)
{
  push_off();
  if (panicked && panicked != cpuid() + 1)
    uart_park();
  if (machine.uart.size == 0) {
    sbi_console_putchar(c);
  } else {
    while ((*uart_reg(LSR) & LSR_THRE) == 0)
      ;
    *uart_reg(THR) = c;
  }
  pop_off();
}

/* The UART interrupted: hand every received byte to the console and refill
 * the transmitter. Reading IIR acknowledges a transmit-empty interrupt, which
 * would otherwise stay asserted while the ring is empty. */
void
uartintr(void)
{
  if (machine.uart.size == 0)
    return;
  (void)*uart_reg(IIR);
  while (*uart_reg(LSR) & LSR_DR)
    consoleintr(*uart_reg(RBR));
  acquire(&tx.lock);
  uart_start();
  release(&tx.lock);
}
