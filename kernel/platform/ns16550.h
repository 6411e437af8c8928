/* ns16550.h: the registers of the ns16550a UART at machine.uart (stride 1
 * byte), shared by the polled console out (conout.c) and the driver
 * (dev/uart.c). */
#ifndef CALF_NS16550_H
#define CALF_NS16550_H

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

#endif
