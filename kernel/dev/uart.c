/* uart.c: the ns16550a serial port at machine.uart (register stride 1 byte).
 *
 * Output goes two ways. uartwrite() queues bytes in a transmit ring that the
 * transmit-empty interrupt drains; writers sleep while it is full, and a
 * killed writer stops waiting. It serves write() on the console. printf
 * and echo, which must not sleep, write at once through the polled output
 * below this driver (platform/conout.c). The transmit-empty interrupt is
 * enabled only while the ring holds bytes, so polled output does not raise
 * an interrupt per byte. Received bytes wait in the UART until the console
 * takes them (uartgetc, from consoleintr).
 *
 * After a panic only the panicking hart may write, and only through the
 * polled output (printf.c); any hart that calls uartwrite stops there for
 * good with interrupts off.
 *
 * Until the device tree has named a UART (machine.uart.size == 0) output
 * goes to the SBI firmware console and nothing is received. */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/lib/spinlock.h"
#include "kernel/sched/sched.h"
#include "kernel/platform/fdt.h"
#include "kernel/lib/printf.h"
#include "kernel/platform/ns16550.h"
#include "kernel/platform/sbi.h"
#include "kernel/dev/uart.h"

#define BAUD 115200

/* Transmit ring. r and w count bytes ever taken and ever queued, so
 * r <= w <= r + TXBUF; byte i lives in buf[i % TXBUF]. All guarded by lock,
 * and so is rx_off, which the interrupt-enable register follows too.
 * Writers waiting for room sleep on &tx.r. */
#define TXBUF 64
static struct {
  struct spinlock lock;
  char buf[TXBUF];
  uint64 r;
  uint64 w;
  int rx_off; /* receive interrupts stopped: the console has no room */
} tx;

/* Address of UART register reg. */
static volatile uchar *
uart_reg(int reg)
{
  return (volatile uchar *)(machine.uart.base + reg);
}

/* Set the interrupt-enable register from the state: receive unless
 * stopped, transmit-empty exactly while bytes remain queued. Caller holds
 * tx.lock; the UART exists. */
static void
uart_set_ier(void)
{
  *uart_reg(IER) = (tx.rx_off ? 0 : IER_RX) | (tx.r != tx.w ? IER_TX_EMPTY : 0);
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
  uart_set_ier();
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
    stop_hart();
  if (machine.uart.size == 0) {
    for (i = 0; i < n; i++)
      sbi_console_putchar(buf[i]);
    return n;
  }
  acquire(&tx.lock);
  for (i = 0; i < n && tx_wait_room() == 0; i++) {
    if (panicked)
      stop_hart();
    tx.buf[tx.w % TXBUF] = buf[i];
    tx.w++;
    uart_start();
  }
  release(&tx.lock);
  return i;
}

/* Stop (on 0) or restart (on 1) receive interrupts. The console stops them
 * while it has no room for another byte, so that received bytes wait in
 * the UART, and behind it in QEMU, instead of being lost; a byte waiting
 * when they restart interrupts at once. */
void
uart_receive(int on)
{
  if (machine.uart.size == 0)
    return;
  acquire(&tx.lock);
  tx.rx_off = !on;
  uart_set_ier();
  release(&tx.lock);
}

/* The next byte received, or -1 if none is waiting. */
int
uartgetc(void)
{
  if (machine.uart.size == 0 || (*uart_reg(LSR) & LSR_DR) == 0)
    return -1;
  return *uart_reg(RBR);
}

/* The UART interrupted: refill the transmitter (the console has taken the
 * received bytes first, console.c). Reading IIR acknowledges a
 * transmit-empty interrupt, which would otherwise stay asserted while the
 * ring is empty. */
void
uartintr(void)
{
  if (machine.uart.size == 0)
    return;
  (void)*uart_reg(IIR);
  acquire(&tx.lock);
  uart_start();
  release(&tx.lock);
}
