/* virtio_disk.h: the virtio block device driver (virtio_disk.c). */
#ifndef CALF_VIRTIO_DISK_H
#define CALF_VIRTIO_DISK_H

#include "kernel/types.h"

struct buf;

int virtio_disk_init(void);
void virtio_disk_rw(struct buf *b, int write);
int virtio_disk_intr(int irq);
int virtio_disk_present(void);
uint64 virtio_disk_blocks(void);
#endif
