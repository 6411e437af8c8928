/* uart.h: the 16550 UART driver (uart.c). */
#ifndef CALF_UART_H
#define CALF_UART_H

void uartinit(void);
void uartintr(void);
int uartwrite(const char *buf, int n);
int uartgetc(void);
void uart_receive(int on);
#endif
