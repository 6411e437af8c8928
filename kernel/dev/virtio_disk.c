/* virtio_disk.c: driver for virtio block devices, over the modern (version
 * 2) virtio-mmio transport, with one split virtqueue each. The block device
 * in the lowest slot holds the file system (disk 0); the next one, if it
 * carries the swap signature (SWAP_MAGIC, written by make), becomes the swap
 * device, which the driver hands to the memory layer (swap.h) at boot.
 *
 * A request is a chain of three descriptors: the request header (device
 * reads), the data (a BSIZE-byte block or a page; device reads on a write,
 * writes on a read) and a status byte (device writes). The head descriptor's
 * index names the request: d->req[head] holds its header, status and done
 * flag. Several requests may be in flight; the issuer sleeps on its request
 * until virtio_disk_intr() sees the chain in the used ring and sets done.
 *
 * Each disk's lock guards everything in its struct disk after init, the
 * rings included. The kernel is identity-mapped, so the addresses of kernel
 * memory handed to the device are physical. */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/lib/spinlock.h"
#include "kernel/fs.h"
#include "kernel/fs/buf.h"
#include "kernel/sched/sched.h"
#include "kernel/platform/fdt.h"
#include "kernel/mem/frame.h"
#include "kernel/mem/swap.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/dev/virtio.h"
#include "kernel/dev/virtio_disk.h"

#define NUM               16 /* descriptors in the queue; a power of two */
#define SECTORS_PER_BLOCK (BSIZE / VIRTIO_BLK_SECTOR)

#define NDISK 2 /* the file system's, and swap */

static struct disk {
  struct spinlock lock;
  uint64 base;     /* MMIO registers of the slot in use; 0 when there is no disk */
  int irq;         /* PLIC source of the slot */
  int slot;        /* index into machine.virtio */
  uint64 nsectors; /* capacity in 512-byte sectors */

  struct virtq_desc *desc;          /* NUM descriptors, one page */
  struct virtq_avail *avail;        /* driver -> device, one page */
  volatile struct virtq_used *used; /* device -> driver, one page */

  char free[NUM];  /* free[i]: descriptor i is unused */
  uint16 used_idx; /* next used-ring entry to look at */

  /* Per request, indexed by its head descriptor. */
  struct {
    int busy;              /* a request is in flight here */
    volatile int done;     /* the device has finished it */
    volatile uint8 status; /* written by the device */
    struct virtio_blk_req hdr;
  } req[NUM];
} disks[NDISK];

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

/* Index into machine.virtio of the modern block device with the lowest
 * registers above address above, or -1. Says why a block device it passes
 * over is unusable. */
static int
find_block_slot(uint64 above)
{
  int best = -1;
  for (int i = 0; i < machine.nvirtio; i++) {
    uint64 base = machine.virtio[i].base;
    if (base <= above || machine.virtio[i].size < VIRTIO_MMIO_CONFIG + 8)
      continue;
    if (best >= 0 && base > machine.virtio[best].base)
      continue;
    if (reg_read(base, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MAGIC ||
        reg_read(base, VIRTIO_MMIO_DEVICE_ID) != VIRTIO_DEV_BLOCK)
      continue;
    uint32 version = reg_read(base, VIRTIO_MMIO_VERSION);
    if (version == VIRTIO_VERSION_MODERN)
      best = i;
    else if (version == VIRTIO_VERSION_LEGACY)
      printf("virtio: slot %d is a legacy block device; calf needs "
             "-global virtio-mmio.force-legacy=false\n",
             i);
    else
      printf("virtio: slot %d has unknown version %d\n", i, (int)version);
  }
  return best;
}

/* Reset the device at d->base and wait for the reset to finish.
 * Returns 0, or -1 if the device never reports status 0. */
static int
reset_device(struct disk *d)
{
  reg_write(d->base, VIRTIO_MMIO_STATUS, 0);
  for (int tries = 0; tries < 1000000; tries++)
    if (reg_read(d->base, VIRTIO_MMIO_STATUS) == 0)
      return 0;
  printf("virtio: device does not reset\n");
  return -1;
}

/* Add bits to the device status register. */
static void
add_status(struct disk *d, uint32 bits)
{
  uint32 s = reg_read(d->base, VIRTIO_MMIO_STATUS);
  reg_write(d->base, VIRTIO_MMIO_STATUS, s | bits);
}

/* Accept VIRTIO_F_VERSION_1 and nothing else, then confirm with FEATURES_OK.
 * Returns 0, or -1 (with a message) if the device lacks VERSION_1, is
 * read-only, or refuses the set. */
static int
negotiate_features(struct disk *d)
{
  uint64 offered, wanted = 1UL << VIRTIO_F_VERSION_1;

  reg_write(d->base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
  offered = reg_read(d->base, VIRTIO_MMIO_DEVICE_FEATURES);
  reg_write(d->base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
  offered |= (uint64)reg_read(d->base, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
  if ((offered & wanted) == 0) {
    printf("virtio: device does not offer VIRTIO_F_VERSION_1\n");
    return -1;
  }
  if (offered & (1UL << VIRTIO_BLK_F_RO)) {
    printf("virtio: disk is read-only; calf needs a writable disk\n");
    return -1;
  }

  reg_write(d->base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  reg_write(d->base, VIRTIO_MMIO_DRIVER_FEATURES, (uint32)wanted);
  reg_write(d->base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  reg_write(d->base, VIRTIO_MMIO_DRIVER_FEATURES, (uint32)(wanted >> 32));
  add_status(d, VIRTIO_STATUS_FEATURES_OK);
  if ((reg_read(d->base, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) == 0) {
    printf("virtio: device refused our features\n");
    return -1;
  }
  return 0;
}

/* Write the 64-bit physical address pa to the register pair at lo, lo+4. */
static void
write_addr(struct disk *d, uint32 lo, void *pa)
{
  reg_write(d->base, lo, (uint32)(uint64)pa);
  reg_write(d->base, lo + 4, (uint32)((uint64)pa >> 32));
}

/* Allocate the rings of queue 0 and hand them to the device.
 * Returns 0, or -1 (with a message) if the queue is unusable or memory is short. */
static int
setup_queue(struct disk *d)
{
  reg_write(d->base, VIRTIO_MMIO_QUEUE_SEL, 0);
  if (reg_read(d->base, VIRTIO_MMIO_QUEUE_READY) != 0) {
    printf("virtio: queue 0 already in use\n");
    return -1;
  }
  uint32 max = reg_read(d->base, VIRTIO_MMIO_QUEUE_NUM_MAX);
  if (max < NUM) {
    printf("virtio: queue 0 holds %d descriptors, need %d\n", (int)max, NUM);
    return -1;
  }
  d->desc = kalloc();
  d->avail = kalloc();
  d->used = kalloc();
  if (!d->desc || !d->avail || !d->used) {
    printf("virtio: out of memory for the queue\n");
    return -1;
  }
  memset(d->desc, 0, PGSIZE);
  memset(d->avail, 0, PGSIZE);
  memset((void *)d->used, 0, PGSIZE);

  reg_write(d->base, VIRTIO_MMIO_QUEUE_NUM, NUM);
  write_addr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, d->desc);
  write_addr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, d->avail);
  write_addr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (void *)d->used);
  reg_write(d->base, VIRTIO_MMIO_QUEUE_READY, 1);
  for (int i = 0; i < NUM; i++)
    d->free[i] = 1;
  return 0;
}

/* Capacity of the device in 512-byte sectors, read consistently against
 * concurrent configuration changes (ConfigGeneration unchanged across it). */
static uint64
read_capacity(struct disk *d)
{
  uint32 gen, lo, hi;
  uint64 cfg = d->base + VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_CAPACITY;

  do {
    gen = reg_read(d->base, VIRTIO_MMIO_CONFIG_GENERATION);
    lo = *(volatile uint32 *)cfg;
    hi = *(volatile uint32 *)(cfg + 4);
  } while (gen != reg_read(d->base, VIRTIO_MMIO_CONFIG_GENERATION));
  return (uint64)hi << 32 | lo;
}

/* After a failed start: mark the device failed, free any queue frames, and
 * forget the device. */
static void
abandon_device(struct disk *d)
{
  add_status(d, VIRTIO_STATUS_FAILED);
  if (d->desc)
    kfree(d->desc);
  if (d->avail)
    kfree(d->avail);
  if (d->used)
    kfree((void *)d->used);
  d->desc = 0;
  d->avail = 0;
  d->used = 0;
  d->base = 0;
  d->irq = -1;
}

/* Start the block device in machine.virtio slot `slot` as d. Returns 0,
 * or -1 (after a message) if it cannot be started. */
static int
start_disk(struct disk *d, int slot)
{
  initlock(&d->lock, "virtio_disk");
  d->base = machine.virtio[slot].base;
  d->irq = machine.virtio[slot].irq;
  d->slot = slot;
  if (reset_device(d) < 0) {
    abandon_device(d);
    return -1;
  }
  add_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
  add_status(d, VIRTIO_STATUS_DRIVER);
  if (negotiate_features(d) < 0 || setup_queue(d) < 0) {
    abandon_device(d);
    return -1;
  }
  d->nsectors = read_capacity(d);
  add_status(d, VIRTIO_STATUS_DRIVER_OK);
  return 0;
}

static void disk_io(struct disk *d, uint64 sector, void *data, uint32 len, int write);

/* Read (write == 0) or write page `page` of the swap disk from or to the
 * page at pa (swap.h). Process context. */
static void
swap_rw(uint64 page, void *pa, int write)
{
  disk_io(&disks[1], page * (PGSIZE / VIRTIO_BLK_SECTOR), pa, PGSIZE, write);
}

static const struct swapdev virtio_swap = {.rw = swap_rw};

/* Does the device started as disks[1] carry the swap signature in its first
 * page? Reads it into a frame borrowed for the purpose; boot hart, before
 * the scheduler runs, so the read is polled. */
static int
has_swap_magic(struct disk *d)
{
  char *page = kalloc();
  if (page == 0)
    return 0;
  disk_io(d, 0, page, PGSIZE, 0);
  int ok = strncmp(page, SWAP_MAGIC, sizeof(SWAP_MAGIC) - 1) == 0;
  kfree(page);
  return ok;
}

/* Find the virtio block devices and start them: the one in the lowest slot
 * holds the file system; the next, if it carries the swap signature, is
 * handed to the memory layer as the swap device. Returns 0 when the file
 * system's disk is ready, -1 (after a message) when there is none or it
 * cannot be started. Call once, on the boot hart, before any disk I/O. */
int
virtio_disk_init(void)
{
  for (int i = 0; i < NDISK; i++)
    disks[i].irq = -1;
  int slot = find_block_slot(0);
  if (slot < 0) {
    printf("virtio: no usable block device in %d slots\n", machine.nvirtio);
    return -1;
  }
  if (start_disk(&disks[0], slot) < 0)
    return -1;
  printf("virtio: disk in slot %d, irq %d, %d blocks\n", slot, disks[0].irq,
         (int)(disks[0].nsectors / SECTORS_PER_BLOCK));
  int swap = find_block_slot(machine.virtio[slot].base);
  if (swap >= 0 && start_disk(&disks[1], swap) == 0) {
    uint64 pages = disks[1].nsectors / (PGSIZE / VIRTIO_BLK_SECTOR);
    if (!has_swap_magic(&disks[1])) {
      printf("virtio: disk in slot %d has no swap signature: not used\n", swap);
    } else if (swap_set_device(&virtio_swap, pages) == 0) {
      printf("virtio: swap in slot %d, irq %d, %d pages\n", swap, disks[1].irq, (int)pages);
    }
  }
  return 0;
}

/* Capacity of the file system's disk in BSIZE blocks, 0 if there is none. */
uint64
virtio_disk_blocks(void)
{
  return disks[0].base ? disks[0].nsectors / SECTORS_PER_BLOCK : 0;
}

/* Is there a file-system disk? */
int
virtio_disk_present(void)
{
  return disks[0].base != 0;
}

/* Take a free descriptor. Returns its index, or -1 if none is free.
 * => holds d->lock */
static int
alloc_desc(struct disk *d)
{
  for (int i = 0; i < NUM; i++) {
    if (d->free[i]) {
      d->free[i] = 0;
      return i;
    }
  }
  return -1;
}

/* Return descriptor i to the free set.
 * => holds d->lock; i is allocated */
static void
free_desc(struct disk *d, int i)
{
  KASSERT(i >= 0 && i < NUM && !d->free[i]);
  memset(&d->desc[i], 0, sizeof(d->desc[i]));
  d->free[i] = 1;
}

/* Free the chain that starts at head, and wake issuers waiting for descriptors.
 * => holds d->lock */
static void
free_chain(struct disk *d, int head)
{
  int i = head;

  for (;;) {
    int more = d->desc[i].flags & VRING_DESC_F_NEXT;
    int next = d->desc[i].next;
    free_desc(d, i);
    if (!more)
      break;
    i = next;
  }
  wakeup(&d->free[0]);
}

/* Take three descriptors into x[0..2]. Returns 0, or -1 (taking none) if
 * fewer than three are free.
 * => holds d->lock */
static int
alloc3(struct disk *d, int x[3])
{
  for (int i = 0; i < 3; i++) {
    x[i] = alloc_desc(d);
    if (x[i] < 0) {
      while (--i >= 0)
        free_desc(d, x[i]);
      return -1;
    }
  }
  return 0;
}

/* Fill descriptor i with one buffer; next < 0 ends the chain. */
static void
set_desc(struct disk *d, int i, void *addr, uint32 len, uint16 flags, int next)
{
  d->desc[i].addr = (uint64)addr;
  d->desc[i].len = len;
  d->desc[i].flags = flags | (next >= 0 ? VRING_DESC_F_NEXT : 0);
  d->desc[i].next = next >= 0 ? next : 0;
}

/* Offer the chain at head to the device and notify it.
 * => holds d->lock; the chain's descriptors are filled in */
static void
submit(struct disk *d, int head)
{
  d->avail->ring[d->avail->idx % NUM] = head;
  /* The device must see the ring entry (and the descriptors) before the new idx. */
  __sync_synchronize();
  d->avail->idx++;
  /* ... and the new idx before the notification. */
  __sync_synchronize();
  reg_write(d->base, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

/* Read (write == 0) or write len bytes at sector of disk d to or from
 * data, waiting until the device has finished: asleep in process context,
 * polling on the boot hart before the scheduler runs (has_swap_magic). A
 * disk error is a kernel panic: nothing above could repair it. */
static void
disk_io(struct disk *d, uint64 sector, void *data, uint32 len, int write)
{
  int x[3];

  if (d->base == 0)
    panic("disk_io: no disk");
  if (sector + len / VIRTIO_BLK_SECTOR > d->nsectors)
    panic("disk_io: beyond the end of the disk");

  acquire(&d->lock);
  while (alloc3(d, x) < 0)
    sleep(&d->free[0], &d->lock);

  d->req[x[0]].hdr.type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
  d->req[x[0]].hdr.reserved = 0;
  d->req[x[0]].hdr.sector = sector;
  d->req[x[0]].status = 0xff;
  d->req[x[0]].done = 0;
  d->req[x[0]].busy = 1;
  set_desc(d, x[0], &d->req[x[0]].hdr, sizeof(struct virtio_blk_req), 0, x[1]);
  set_desc(d, x[1], data, len, write ? 0 : VRING_DESC_F_WRITE, x[2]);
  set_desc(d, x[2], (void *)&d->req[x[0]].status, 1, VRING_DESC_F_WRITE, -1);

  submit(d, x[0]);
  if (myproc() == 0) { /* boot, before the scheduler: no one to sleep for */
    release(&d->lock);
    while (d->used_idx == d->used->idx)
      __sync_synchronize();
    d->used_idx++;
    acquire(&d->lock);
    d->req[x[0]].done = 1;
  }
  while (!d->req[x[0]].done)
    sleep(&d->req[x[0]], &d->lock);

  uint8 status = d->req[x[0]].status;
  d->req[x[0]].busy = 0;
  free_chain(d, x[0]);
  if (status != VIRTIO_BLK_S_OK) {
    printf("virtio: %s of sector %lu on slot %d failed, status %d\n", write ? "write" : "read",
           sector, d->slot, status);
    panic("disk_io: disk error");
  }
  release(&d->lock);
}

/* Read (write == 0) or write block b->blockno of the file system's disk to
 * or from b->data, sleeping until the device has finished.
 * => holds b->lock; process context; the block lies inside the disk. */
void
virtio_disk_rw(struct buf *b, int write)
{
  if ((uint64)b->blockno >= virtio_disk_blocks())
    panic("virtio_disk_rw: block beyond the end of the disk");
  disk_io(&disks[0], (uint64)b->blockno * SECTORS_PER_BLOCK, b->data, BSIZE, write);
}

/* Complete every request disk d has put in the used ring since the last
 * call, after acknowledging its interrupt. */
static void
disk_intr(struct disk *d)
{
  acquire(&d->lock);
  uint32 pending = reg_read(d->base, VIRTIO_MMIO_INTERRUPT_STATUS);
  reg_write(d->base, VIRTIO_MMIO_INTERRUPT_ACK,
            pending & (VIRTIO_INT_USED_BUFFER | VIRTIO_INT_CONFIG_CHANGE));
  /* Read the used ring only after the device's idx update is visible. */
  __sync_synchronize();
  while (d->used_idx != d->used->idx) {
    __sync_synchronize();
    uint32 id = d->used->ring[d->used_idx % NUM].id;
    if (id >= NUM || !d->req[id].busy)
      panic("virtio_disk_intr: used ring names no request");
    d->req[id].done = 1;
    wakeup(&d->req[id]);
    d->used_idx++;
  }
  release(&d->lock);
}

/* Handle interrupt irq if it is a disk's. Returns 1 if it was. */
int
virtio_disk_intr(int irq)
{
  for (int i = 0; i < NDISK; i++) {
    if (disks[i].base != 0 && disks[i].irq == irq) {
      disk_intr(&disks[i]);
      return 1;
    }
  }
  return 0;
}
