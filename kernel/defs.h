/* defs.h: functions one kernel file offers the others, grouped by owner. */
#ifndef CALF_DEFS_H
#define CALF_DEFS_H

struct buf;
struct context;
struct file;
struct inode;
struct pipe;
struct proc;
struct spinlock;
struct sleeplock;
struct stat;
struct superblock;
struct machine;

/* main.c */
extern struct machine machine; /* what the device tree told */
extern volatile int panicked;  /* set by panic(); other harts stop */

/* sbi.c */
long sbi_hart_start(uint64 hartid, uint64 start, uint64 opaque);
void sbi_set_timer(uint64 when);
void sbi_send_ipi(uint64 hartid);
void sbi_shutdown(void) __attribute__((noreturn));
int sbi_has_srst(void);
void sbi_console_putchar(int c); /* firmware console, for output before the UART is known */

/* power.c */
void poweroff(int status) __attribute__((noreturn));

/* uart.c */
void uartinit(void);
void uartintr(void);
int uartwrite(const char *buf, int n);
void uartputc_sync(int c);

/* console.c */
void consoleinit(void);
void consoleintr(int c);
void consputc(int c);

/* printf.c */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int snprintf(char *buf, int n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void panic_at(const char *msg, const char *file, int line, uint64 caller) __attribute__((noreturn));
#define panic(msg) panic_at((msg), __FILE__, __LINE__, (uint64)__builtin_return_address(0))
#define KASSERT(e) ((e) ? (void)0 : panic("assertion failed: " #e))
void printfinit(void);

/* plic.c */
void plicinit(void);
void plicinithart(void);
int plic_claim(void);
void plic_complete(int irq);

/* kalloc.c: physical frames with reference counts */
void frames_init(void);
void *kalloc(void);
void kfree(void *pa);
void frame_ref(uint64 pa);
int frame_refcount(uint64 pa);
uint64 frames_free(void);
uint64 frames_total(void);
int frame_managed(uint64 pa);

/* string.c */
void *memset(void *dst, int c, uint64 n);
void *memmove(void *dst, const void *src, uint64 n);
void *memcpy(void *dst, const void *src, uint64 n);
int memcmp(const void *a, const void *b, uint64 n);
int strncmp(const char *p, const char *q, uint n);
char *strncpy(char *s, const char *t, int n);
char *safestrcpy(char *s, const char *t, int n);
int strlen(const char *s);

/* spinlock.c */
void initlock(struct spinlock *lk, char *name);
void acquire(struct spinlock *lk);
void release(struct spinlock *lk);
int holding(struct spinlock *lk);
void push_off(void);
void pop_off(void);

/* sleeplock.c */
void initsleeplock(struct sleeplock *lk, char *name);
void acquiresleep(struct sleeplock *lk);
void releasesleep(struct sleeplock *lk);
int holdingsleep(struct sleeplock *lk);

/* vm.c */
void kvminit(void);
void kvminithart(void);
pte_t *walk(pagetable_t pt, uint64 va, int alloc);
uint64 walkaddr(pagetable_t pt, uint64 va);
int mappages(pagetable_t pt, uint64 va, uint64 size, uint64 pa, int perm);
void kvmmap(pagetable_t kpt, uint64 va, uint64 pa, uint64 sz, int perm);
pagetable_t uvmcreate(void);
uint64 uvmalloc(pagetable_t pt, uint64 oldsz, uint64 newsz, int xperm);
uint64 uvmdealloc(pagetable_t pt, uint64 oldsz, uint64 newsz);
int uvmcopy(pagetable_t old, pagetable_t new, uint64 sz, uint64 eager_va);
void uvmfree(pagetable_t pt);
void uvmunmap(pagetable_t pt, uint64 va, uint64 npages, int do_free);
void uvmclear(pagetable_t pt, uint64 va);
int copyout(pagetable_t pt, uint64 dstva, char *src, uint64 len);
int copyin(pagetable_t pt, char *dst, uint64 srcva, uint64 len);
int copyinstr(pagetable_t pt, char *dst, uint64 srcva, uint64 max);
extern pagetable_t kernel_pagetable;

/* cow.c: the one fault path for user traps and kernel copies */
#define FAULT_READ  0
#define FAULT_WRITE 1
#define FAULT_BAD   (-1) /* the access is not allowed */
#define FAULT_NOMEM (-2) /* allowed, but no frame for a private copy */
int vm_fault(pagetable_t pt, uint64 va, int access, uint64 *pa);
int fork_table(pagetable_t old, pagetable_t new, uint64 base, uint64 sz, uint64 eager_va);
uint64 zero_frame(void);
void cowinit(void);
extern struct memcounts memcounts_global;

/* proc.c */
void procinit(void);
void userinit(void);
int cpuid(void);
struct cpu *mycpu(void);
struct proc *myproc(void);
void scheduler(void) __attribute__((noreturn));
void sched(void);
void yield(void);
void sleep(void *chan, struct spinlock *lk);
void wakeup(void *chan);
int fork(void);
int vfork(void);
void exit(int status) __attribute__((noreturn));
int wait(uint64 addr);
int kill(int pid);
int killed(struct proc *p);
void setkilled(struct proc *p);
int growproc(int n, int lazy);
extern int fork_copies_stack;
pagetable_t proc_pagetable(struct proc *p);
void proc_freepagetable(pagetable_t pt);
void vfork_release(struct proc *p, pagetable_t pt);
int either_copyout(int user_dst, uint64 dst, void *src, uint64 len);
int either_copyin(void *dst, int user_src, uint64 src, uint64 len);
void procdump(void);
struct proc *proc_lookup(int pid);

/* swtch.S */
void swtch(struct context *old, struct context *new);

/* trap.c */
extern uint ticks;
extern struct spinlock tickslock;
void trapinit(void);
void trapinithart(void);
void usertrapret(void) __attribute__((noreturn));

/* syscall.c */
void syscall(void);
int argint(int n, int *ip);
int arglong(int n, uint64 *lp);
int argaddr(int n, uint64 *ap);
int argstr(int n, char *buf, int max);
int fetchaddr(uint64 addr, uint64 *ip);
int fetchstr(uint64 addr, char *buf, int max);

/* exec.c */
int exec(char *path, char **argv);

/* virtio_disk.c */
int virtio_disk_init(void);
void virtio_disk_rw(struct buf *b, int write);
void virtio_disk_intr(void);
int virtio_disk_irq(void);
uint64 virtio_disk_blocks(void);

/* bio.c */
void binit(void);
struct buf *bread(uint dev, uint blockno);
void bwrite(struct buf *b);
void brelse(struct buf *b);
void bpin(struct buf *b);
void bunpin(struct buf *b);

/* log.c */
void initlog(int dev, struct superblock *sb);
void log_write(struct buf *b);
void begin_op(void);
void end_op(void);

/* fs.c */
int fsinit(int dev);
int dirlink(struct inode *dp, char *name, uint inum);
int dirlookup(struct inode *dp, char *name, uint *poff, struct inode **ipp);
struct inode *ialloc(uint dev, short type);
struct inode *idup(struct inode *ip);
void iinit(void);
int ilock(struct inode *ip); /* 0, or -1 if the inode is corrupt (still locked) */
void iput(struct inode *ip);
void iunlock(struct inode *ip);
void iunlockput(struct inode *ip);
void iupdate(struct inode *ip);
int namecmp(const char *s, const char *t);
struct inode *namei(char *path);
struct inode *nameiparent(char *path, char *name);
int readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n);
void stati(struct inode *ip, struct stat *st);
int writei(struct inode *ip, int user_src, uint64 src, uint off, uint n);
void itrunc(struct inode *ip);

/* file.c */
struct file *filealloc(void);
void fileclose(struct file *f);
struct file *filedup(struct file *f);
void fileinit(void);
int fileread(struct file *f, uint64 addr, int n);
int filestat(struct file *f, uint64 addr);
int filewrite(struct file *f, uint64 addr, int n);

/* pipe.c */
int pipealloc(struct file **f0, struct file **f1);
void pipeclose(struct pipe *pi, int writable);
int piperead(struct pipe *pi, uint64 addr, int n);
int pipewrite(struct pipe *pi, uint64 addr, int n);

#define NELEM(x) (sizeof(x) / sizeof((x)[0]))

#endif
