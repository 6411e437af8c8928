/* log.h: the file system's redo log (log.c): transactions of block writes. */
#ifndef CALF_LOG_H
#define CALF_LOG_H

struct buf;
struct superblock;

void initlog(int dev, struct superblock *sb);
void log_write(struct buf *b);
void begin_op(void);
void end_op(void);
#endif
