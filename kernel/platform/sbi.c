/* sbi.c: calls from S-mode into the SBI firmware (OpenSBI) below us.
 * Every call is a single ecall with no shared state, so there are no locks;
 * any hart may call any function here at any time. */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/platform/sbi.h"

/* Extension IDs (a7) from the RISC-V SBI specification. */
#define SBI_EXT_LEGACY_PUTCHAR  0x01
#define SBI_EXT_LEGACY_SHUTDOWN 0x08
#define SBI_EXT_BASE            0x10
#define SBI_EXT_TIME            0x54494D45 /* "TIME" */
#define SBI_EXT_IPI             0x735049   /* "sPI" */
#define SBI_EXT_HSM             0x48534D   /* "HSM" */
#define SBI_EXT_SRST            0x53525354 /* "SRST" */
#define SBI_EXT_RFENCE          0x52464E43 /* "RFNC" */

/* Function IDs (a6) within those extensions. */
#define SBI_BASE_PROBE_EXTENSION 3
#define SBI_TIME_SET_TIMER       0
#define SBI_IPI_SEND_IPI         0
#define SBI_HSM_HART_START       0
#define SBI_SRST_SYSTEM_RESET    0
#define SBI_RFENCE_SFENCE_VMA    1

#define SBI_SRST_TYPE_SHUTDOWN 0
#define SBI_SRST_REASON_NONE   0

/* What every SBI call returns: error in a0 (0 = success), value in a1. */
struct sbiret {
  long error;
  long value;
};

/* Make SBI call (eid, fid) with up to four arguments. */
static struct sbiret
sbi_call4(uint64 eid, uint64 fid, uint64 arg0, uint64 arg1, uint64 arg2, uint64 arg3)
{
  register uint64 a0 asm("a0") = arg0;
  register uint64 a1 asm("a1") = arg1;
  register uint64 a2 asm("a2") = arg2;
  register uint64 a3 asm("a3") = arg3;
  register uint64 a6 asm("a6") = fid;
  register uint64 a7 asm("a7") = eid;
  struct sbiret ret;

  asm volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a3), "r"(a6), "r"(a7) : "memory");
  ret.error = (long)a0;
  ret.value = (long)a1;
  return ret;
}

/* Make SBI call (eid, fid) with up to three arguments. */
static struct sbiret
sbi_call(uint64 eid, uint64 fid, uint64 arg0, uint64 arg1, uint64 arg2)
{
  return sbi_call4(eid, fid, arg0, arg1, arg2, 0);
}

/* Ask the firmware to start hart hartid at physical address start, in S-mode
 * with satp = 0, a0 = hartid and a1 = opaque. Returns the SBI error code
 * (0 on success). */
long
sbi_hart_start(uint64 hartid, uint64 start, uint64 opaque)
{
  return sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, hartid, start, opaque).error;
}

/* Raise this hart's supervisor timer interrupt once the time CSR reaches
 * when; clears a pending one until then. */
void
sbi_set_timer(uint64 when)
{
  sbi_call(SBI_EXT_TIME, SBI_TIME_SET_TIMER, when, 0, 0);
}

/* Raise a supervisor software interrupt on hart hartid (an SBI hart id). */
void
sbi_send_ipi(uint64 hartid)
{
  sbi_call(SBI_EXT_IPI, SBI_IPI_SEND_IPI, 1, hartid, 0);
}

/* Flush every hart's TLB, this one's included: the firmware has each hart
 * run sfence.vma over all addresses and returns once all have (RFENCE,
 * hart_mask_base -1: every hart; size -1: every address). */
void
sbi_flush_all_tlbs(void)
{
  sbi_call4(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, 0, -1UL, 0, -1UL);
}

/* Does the firmware implement the System Reset extension? */
int
sbi_has_srst(void)
{
  struct sbiret r = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_SRST, 0, 0);

  return r.error == 0 && r.value != 0;
}

/* Write one byte to the firmware's console (legacy extension; slow, but it
 * works before the kernel knows where the UART is). */
void
sbi_console_putchar(int c)
{
  sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, (uint64)c & 0xff, 0, 0);
}

/* Power the machine off: SRST shutdown, or the legacy shutdown call when the
 * firmware lacks SRST. Never returns; if the firmware does, this hart parks. */
void
sbi_shutdown(void)
{
  if (sbi_has_srst())
    sbi_call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN, SBI_SRST_REASON_NONE, 0);
  else
    sbi_call(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0, 0);
  intr_off();
  for (;;)
    wfi();
}
