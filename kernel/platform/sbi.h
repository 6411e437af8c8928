/* sbi.h: calls into the SBI firmware (sbi.c): harts, timer, IPIs, remote
 * TLB flushes, shutdown. */
#ifndef CALF_SBI_H
#define CALF_SBI_H

#include "kernel/types.h"

#define SBI_ERR_ALREADY_AVAILABLE (-6) /* hart_start: the hart is running already */

long sbi_hart_start(uint64 hartid, uint64 start, uint64 opaque);
void sbi_set_timer(uint64 when);
void sbi_send_ipi(uint64 hartid);
void sbi_flush_all_tlbs(void);
void sbi_shutdown(void) __attribute__((noreturn));
int sbi_has_srst(void);
void sbi_console_putchar(int c); /* firmware console, for output before the UART is known */
#endif
