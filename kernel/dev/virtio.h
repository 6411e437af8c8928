/* virtio.h: the parts of the virtio 1.x specification that virtio_disk.c uses:
 * the modern (version 2) virtio-mmio register block, device status and feature
 * bits, the split virtqueue layout and the block-device request format.
 * All multi-byte fields are little-endian, which RISC-V is natively. */
#ifndef CALF_VIRTIO_H
#define CALF_VIRTIO_H

#include "kernel/types.h"

/* virtio-mmio registers: byte offsets from the slot's base, 32 bits wide. */
#define VIRTIO_MMIO_MAGIC_VALUE         0x000 /* "virt" */
#define VIRTIO_MMIO_VERSION             0x004 /* 1 legacy, 2 modern */
#define VIRTIO_MMIO_DEVICE_ID           0x008 /* 0 empty slot, 2 block device */
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090 /* available ring */
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0 /* used ring */
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100 /* device-specific configuration */

#define VIRTIO_MAGIC          0x74726976
#define VIRTIO_VERSION_MODERN 2
#define VIRTIO_VERSION_LEGACY 1
#define VIRTIO_DEV_BLOCK      2

/* Device status bits, set by the driver in this order during start-up. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED      128

/* Feature bits (numbered across the 64-bit feature space). */
#define VIRTIO_BLK_F_RO    5  /* device is read-only (calf refuses it) */
#define VIRTIO_F_VERSION_1 32 /* modern device; required */

/* InterruptStatus bits. */
#define VIRTIO_INT_USED_BUFFER   1
#define VIRTIO_INT_CONFIG_CHANGE 2

/* Block device configuration space: capacity in 512-byte sectors first. */
#define VIRTIO_BLK_CFG_CAPACITY 0x00
#define VIRTIO_BLK_SECTOR       512

/* Split virtqueue. Descriptors need 16-byte alignment, the available ring 2,
 * the used ring 4; each lives in its own page here. */
#define VRING_DESC_F_NEXT  1 /* next names the following descriptor */
#define VRING_DESC_F_WRITE 2 /* the device writes this buffer */

struct virtq_desc {
  uint64 addr; /* physical address of the buffer */
  uint32 len;
  uint16 flags;
  uint16 next;
};

struct virtq_avail {
  uint16 flags;
  uint16 idx;    /* where the driver puts the next entry (mod queue size) */
  uint16 ring[]; /* head descriptors offered to the device */
};

struct virtq_used_elem {
  uint32 id;  /* head descriptor of the finished chain */
  uint32 len; /* bytes the device wrote */
};

struct virtq_used {
  uint16 flags;
  uint16 idx; /* where the device puts the next entry (mod queue size) */
  struct virtq_used_elem ring[];
};

/* Block request header: the first buffer of every request chain. */
#define VIRTIO_BLK_T_IN  0 /* read from disk */
#define VIRTIO_BLK_T_OUT 1 /* write to disk */

struct virtio_blk_req {
  uint32 type;
  uint32 reserved;
  uint64 sector;
};

/* Status byte the device writes at the end of a request chain. */
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#endif
