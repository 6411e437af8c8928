/* virtio_disk.c: driver for the first virtio block device, over the modern
 * (version 2) virtio-mmio transport, with one split virtqueue.
 *
 * A request is a chain of three descriptors: the request header (device
 * reads), the BSIZE-byte data buffer (device reads on a write, writes on a
 * read) and a status byte (device writes). The head descriptor's index names
 * the request: disk.req[head] holds its header, status and buf. Several
 * requests may be in flight; the issuer sleeps on its buf until
 * virtio_disk_intr() sees the chain in the used ring and clears b->disk.
 *
 * disk.lock guards everything in struct disk after init, the rings included,
 * and b->disk of bufs owned by the driver. The kernel is identity-mapped, so
 * the addresses of kernel memory handed to the device are physical. */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/lib/spinlock.h"
#include "kernel/fs.h"
#include "kernel/fs/buf.h"
#include "kernel/sched/sched.h"
#include "kernel/platform/fdt.h"
#include "kernel/mem/frame.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/dev/virtio.h"
#include "kernel/dev/virtio_disk.h"

#define NUM               16 /* descriptors in the queue; a power of two */
#define SECTORS_PER_BLOCK (BSIZE / VIRTIO_BLK_SECTOR)

static struct disk {
  struct spinlock lock;
  uint64 base;    /* MMIO registers of the slot in use; 0 when there is no disk */
  int irq;        /* PLIC source of the slot */
  uint64 nblocks; /* capacity in BSIZE blocks */

  struct virtq_desc *desc;          /* NUM descriptors, one page */
  struct virtq_avail *avail;        /* driver -> device, one page */
  volatile struct virtq_used *used; /* device -> driver, one page */

  char free[NUM];  /* free[i]: descriptor i is unused */
  uint16 used_idx; /* next used-ring entry to look at */

  /* Per request, indexed by its head descriptor. b is 0 when none. */
  struct {
    struct buf *b;
    volatile uint8 status; /* written by the device */
    struct virtio_blk_req hdr;
  } req[NUM];
} disk;

/* Read the 32-bit register at offset off of the slot at base. */
static inline uint32
reg_read(uint64 base, uint32 off)
{
  return *(volatile uint32 *)(base + off);
}

/* Write v to the 32-bit register at offset off of the slot at base. */
static inline void
reg_write(uint64 base, uint32 off, uint32 v)
{
  *(volatile uint32 *)(base + off) = v;
}

/* Index into machine.virtio of the first modern block device, or -1.
 * Says why a block device it passes over is unusable. */
static int
find_block_slot(void)
{
  for (int i = 0; i < machine.nvirtio; i++) {
    uint64 base = machine.virtio[i].base;
    if (base == 0 || machine.virtio[i].size < VIRTIO_MMIO_CONFIG + 8)
      continue;
    if (reg_read(base, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MAGIC ||
        reg_read(base, VIRTIO_MMIO_DEVICE_ID) != VIRTIO_DEV_BLOCK)
      continue;
    uint32 version = reg_read(base, VIRTIO_MMIO_VERSION);
    if (version == VIRTIO_VERSION_MODERN)
      return i;
    if (version == VIRTIO_VERSION_LEGACY)
      printf("virtio: slot %d is a legacy block device; calf needs "
             "-global virtio-mmio.force-legacy=false\n",
             i);
    else
      printf("virtio: slot %d has unknown version %d\n", i, (int)version);
  }
  return -1;
}

/* Reset the device at disk.base and wait for the reset to finish.
 * Returns 0, or -1 if the device never reports status 0. */
static int
reset_device(void)
{
  reg_write(disk.base, VIRTIO_MMIO_STATUS, 0);
  for (int tries = 0; tries < 1000000; tries++)
    if (reg_read(disk.base, VIRTIO_MMIO_STATUS) == 0)
      return 0;
  printf("virtio: device does not reset\n");
  return -1;
}

/* Add bits to the device status register. */
static void
add_status(uint32 bits)
{
  uint32 s = reg_read(disk.base, VIRTIO_MMIO_STATUS);
  reg_write(disk.base, VIRTIO_MMIO_STATUS, s | bits);
}

/* Accept VIRTIO_F_VERSION_1 and nothing else, then confirm with FEATURES_OK.
 * Returns 0, or -1 (with a message) if the device lacks VERSION_1, is
 * read-only, or refuses the set. */
static int
negotiate_features(void)
{
  uint64 offered, wanted = 1UL << VIRTIO_F_VERSION_1;

  reg_write(disk.base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
  offered = reg_read(disk.base, VIRTIO_MMIO_DEVICE_FEATURES);
  reg_write(disk.base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
  offered |= (uint64)reg_read(disk.base, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
  if ((offered & wanted) == 0) {
    printf("virtio: device does not offer VIRTIO_F_VERSION_1\n");
    return -1;
  }
  if (offered & (1UL << VIRTIO_BLK_F_RO)) {
    printf("virtio: disk is read-only; calf needs a writable disk\n");
    return -1;
  }

  reg_write(disk.base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  reg_write(disk.base, VIRTIO_MMIO_DRIVER_FEATURES, (uint32)wanted);
  reg_write(disk.base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  reg_write(disk.base, VIRTIO_MMIO_DRIVER_FEATURES, (uint32)(wanted >> 32));
  add_status(VIRTIO_STATUS_FEATURES_OK);
  if ((reg_read(disk.base, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) == 0) {
    printf("virtio: device refused our features\n");
    return -1;
  }
  return 0;
}

/* Write the 64-bit physical address pa to the register pair at lo, lo+4. */
static void
write_addr(uint32 lo, void *pa)
{
  reg_write(disk.base, lo, (uint32)(uint64)pa);
  reg_write(disk.base, lo + 4, (uint32)((uint64)pa >> 32));
}

/* Allocate the rings of queue 0 and hand them to the device.
 * Returns 0, or -1 (with a message) if the queue is unusable or memory is short. */
static int
setup_queue(void)
{
  reg_write(disk.base, VIRTIO_MMIO_QUEUE_SEL, 0);
  if (reg_read(disk.base, VIRTIO_MMIO_QUEUE_READY) != 0) {
    printf("virtio: queue 0 already in use\n");
    return -1;
  }
  uint32 max = reg_read(disk.base, VIRTIO_MMIO_QUEUE_NUM_MAX);
  if (max < NUM) {
    printf("virtio: queue 0 holds %d descriptors, need %d\n", (int)max, NUM);
    return -1;
  }
  disk.desc = kalloc();
  disk.avail = kalloc();
  disk.used = kalloc();
  if (!disk.desc || !disk.avail || !disk.used) {
    printf("virtio: out of memory for the queue\n");
    return -1;
  }
  memset(disk.desc, 0, PGSIZE);
  memset(disk.avail, 0, PGSIZE);
  memset((void *)disk.used, 0, PGSIZE);

  reg_write(disk.base, VIRTIO_MMIO_QUEUE_NUM, NUM);
  write_addr(VIRTIO_MMIO_QUEUE_DESC_LOW, disk.desc);
  write_addr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, disk.avail);
  write_addr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (void *)disk.used);
  reg_write(disk.base, VIRTIO_MMIO_QUEUE_READY, 1);
  for (int i = 0; i < NUM; i++)
    disk.free[i] = 1;
  return 0;
}

/* Capacity of the device in 512-byte sectors, read consistently against
 * concurrent configuration changes (ConfigGeneration unchanged across it). */
static uint64
read_capacity(void)
{
  uint32 gen, lo, hi;
  uint64 cfg = disk.base + VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_CAPACITY;

  do {
    gen = reg_read(disk.base, VIRTIO_MMIO_CONFIG_GENERATION);
    lo = *(volatile uint32 *)cfg;
    hi = *(volatile uint32 *)(cfg + 4);
  } while (gen != reg_read(disk.base, VIRTIO_MMIO_CONFIG_GENERATION));
  return (uint64)hi << 32 | lo;
}

/* After a failed start: mark the device failed, free any queue frames, and
 * forget the device. */
static void
abandon_device(void)
{
  add_status(VIRTIO_STATUS_FAILED);
  if (disk.desc)
    kfree(disk.desc);
  if (disk.avail)
    kfree(disk.avail);
  if (disk.used)
    kfree((void *)disk.used);
  disk.desc = 0;
  disk.avail = 0;
  disk.used = 0;
  disk.base = 0;
  disk.irq = -1;
}

/* Find the first modern virtio block device and start it.
 * Returns 0 when the disk is ready, -1 (after a message) when there is none
 * or it cannot be started. Call once, on one hart, before any disk I/O. */
int
virtio_disk_init(void)
{
  initlock(&disk.lock, "virtio_disk");
  disk.irq = -1;
  int slot = find_block_slot();
  if (slot < 0) {
    printf("virtio: no usable block device in %d slots\n", machine.nvirtio);
    return -1;
  }
  disk.base = machine.virtio[slot].base;
  disk.irq = machine.virtio[slot].irq;

  if (reset_device() < 0) {
    abandon_device();
    return -1;
  }
  add_status(VIRTIO_STATUS_ACKNOWLEDGE);
  add_status(VIRTIO_STATUS_DRIVER);
  if (negotiate_features() < 0 || setup_queue() < 0) {
    abandon_device();
    return -1;
  }
  disk.nblocks = read_capacity() / SECTORS_PER_BLOCK;
  add_status(VIRTIO_STATUS_DRIVER_OK);
  printf("virtio: disk in slot %d, irq %d, %d blocks\n", slot, disk.irq, (int)disk.nblocks);
  return 0;
}

/* PLIC source of the disk, or -1 if there is no disk. */
int
virtio_disk_irq(void)
{
  return disk.base ? disk.irq : -1;
}

/* Capacity of the disk in BSIZE blocks, 0 if there is no disk. */
uint64
virtio_disk_blocks(void)
{
  return disk.base ? disk.nblocks : 0;
}

/* Take a free descriptor. Returns its index, or -1 if none is free.
 * => holds disk.lock */
static int
alloc_desc(void)
{
  for (int i = 0; i < NUM; i++) {
    if (disk.free[i]) {
      disk.free[i] = 0;
      return i;
    }
  }
  return -1;
}

/* Return descriptor i to the free set.
 * => holds disk.lock; i is allocated */
static void
free_desc(int i)
{
  KASSERT(i >= 0 && i < NUM && !disk.free[i]);
  memset(&disk.desc[i], 0, sizeof(disk.desc[i]));
  disk.free[i] = 1;
}

/* Free the chain that starts at head, and wake issuers waiting for descriptors.
 * => holds disk.lock */
static void
free_chain(int head)
{
  int i = head;

  for (;;) {
    int more = disk.desc[i].flags & VRING_DESC_F_NEXT;
    int next = disk.desc[i].next;
    free_desc(i);
    if (!more)
      break;
    i = next;
  }
  wakeup(&disk.free[0]);
}

/* Take three descriptors into d[0..2]. Returns 0, or -1 (taking none) if
 * fewer than three are free.
 * => holds disk.lock */
static int
alloc3(int d[3])
{
  for (int i = 0; i < 3; i++) {
    d[i] = alloc_desc();
    if (d[i] < 0) {
      while (--i >= 0)
        free_desc(d[i]);
      return -1;
    }
  }
  return 0;
}

/* Fill descriptor i with one buffer; next < 0 ends the chain. */
static void
set_desc(int i, void *addr, uint32 len, uint16 flags, int next)
{
  disk.desc[i].addr = (uint64)addr;
  disk.desc[i].len = len;
  disk.desc[i].flags = flags | (next >= 0 ? VRING_DESC_F_NEXT : 0);
  disk.desc[i].next = next >= 0 ? next : 0;
}

/* Offer the chain at head to the device and notify it.
 * => holds disk.lock; the chain's descriptors are filled in */
static void
submit(int head)
{
  disk.avail->ring[disk.avail->idx % NUM] = head;
  /* The device must see the ring entry (and the descriptors) before the new idx. */
  __sync_synchronize();
  disk.avail->idx++;
  /* ... and the new idx before the notification. */
  __sync_synchronize();
  reg_write(disk.base, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

/* Read (write == 0) or write block b->blockno of the disk to or from b->data,
 * sleeping until the device has finished.
 * => holds b->lock; process context; the block lies inside the disk. */
void
virtio_disk_rw(struct buf *b, int write)
{
  int d[3];

  if (disk.base == 0)
    panic("virtio_disk_rw: no disk");
  if (b->blockno >= disk.nblocks)
    panic("virtio_disk_rw: block beyond the end of the disk");

  acquire(&disk.lock);
  while (alloc3(d) < 0)
    sleep(&disk.free[0], &disk.lock);

  disk.req[d[0]].hdr.type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
  disk.req[d[0]].hdr.reserved = 0;
  disk.req[d[0]].hdr.sector = (uint64)b->blockno * SECTORS_PER_BLOCK;
  disk.req[d[0]].status = 0xff;
  disk.req[d[0]].b = b;
  set_desc(d[0], &disk.req[d[0]].hdr, sizeof(struct virtio_blk_req), 0, d[1]);
  set_desc(d[1], b->data, BSIZE, write ? 0 : VRING_DESC_F_WRITE, d[2]);
  set_desc(d[2], (void *)&disk.req[d[0]].status, 1, VRING_DESC_F_WRITE, -1);

  b->disk = 1;
  submit(d[0]);
  while (b->disk)
    sleep(b, &disk.lock);

  uint8 status = disk.req[d[0]].status;
  disk.req[d[0]].b = 0;
  free_chain(d[0]);
  if (status != VIRTIO_BLK_S_OK) {
    printf("virtio: %s of block %d failed, status %d\n", write ? "write" : "read", (int)b->blockno,
           status);
    panic("virtio_disk_rw: disk error");
  }
  release(&disk.lock);
}

/* Handle a disk interrupt: acknowledge it and complete every request the
 * device has put in the used ring since the last call. */
void
virtio_disk_intr(void)
{
  if (disk.base == 0)
    return;
  acquire(&disk.lock);
  uint32 pending = reg_read(disk.base, VIRTIO_MMIO_INTERRUPT_STATUS);
  reg_write(disk.base, VIRTIO_MMIO_INTERRUPT_ACK,
            pending & (VIRTIO_INT_USED_BUFFER | VIRTIO_INT_CONFIG_CHANGE));
  /* Read the used ring only after the device's idx update is visible. */
  __sync_synchronize();
  while (disk.used_idx != disk.used->idx) {
    __sync_synchronize();
    uint32 id = disk.used->ring[disk.used_idx % NUM].id;
    if (id >= NUM || disk.req[id].b == 0)
      panic("virtio_disk_intr: used ring names no request");
    disk.req[id].b->disk = 0;
    wakeup(disk.req[id].b);
    disk.used_idx++;
  }
  release(&disk.lock);
}
