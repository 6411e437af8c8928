/* power.c: turning the machine off with an exit status QEMU passes on.
 *
 * Status 0 uses SBI System Reset (QEMU exits 0). OpenSBI 1.1's SRST cannot
 * report failure, so a non-zero status is written to the sifive,test device
 * from the device tree, which makes QEMU exit with that code. pagetable.c maps every
 * device in struct machine at its physical address, so the write works with
 * paging on or off. No state, no locks. */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/platform/fdt.h"
#include "kernel/platform/power.h"
#include "kernel/lib/printf.h"
#include "kernel/platform/sbi.h"

/* sifive,test: writing (code << 16) | TEST_FAIL exits QEMU with code. */
#define TEST_FAIL 0x3333

/* Power off. status 0 means success; otherwise QEMU exits with
 * status & 0xffff (at least 1) if the machine has a test device. */
void
poweroff(int status)
{
  uint32 code;

  if (status != 0 && machine.test.size != 0) {
    code = (uint32)status & 0xffff;
    if (code == 0)
      code = 1;
    *(volatile uint32 *)machine.test.base = (code << 16) | TEST_FAIL;
  } else if (status != 0) {
    printf("poweroff: no test device to report status %d; shutting down\n", status);
  }
  sbi_shutdown();
}
