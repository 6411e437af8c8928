/* user.h: what user programs may call: the system calls and the user library
 * (ulib.c, printf.c, umalloc.c). Prototypes match xv6-riscv's, so programs
 * written for xv6 compile unchanged; calf's own calls follow them. */
#ifndef CALF_USER_H
#define CALF_USER_H

struct stat;

/* System calls (usys.S). */
int fork(void);
int exit(int) __attribute__((noreturn));
int wait(int *);
int pipe(int *);
int write(int, const void *, int);
int read(int, void *, int);
int close(int);
int kill(int);
int exec(const char *, char **);
int open(const char *, int);
int mknod(const char *, short, short);
int unlink(const char *);
int fstat(int fd, struct stat *);
int link(const char *, const char *);
int mkdir(const char *);
int chdir(const char *);
int dup(int);
int getpid(void);
char *sbrk(int);
char *sbrklazy(int);
int sleep(int);
int pause(int);
int uptime(void);

/* calf's own system calls. */
int freeframes(void);
int vfork(void);
int bootargs(char *buf, int n);
int poweroff(int status);
struct memstat;
struct vmquery;
int memstat(int pid, struct memstat *);            /* pid 0: global counters; kernel/memstat.h */
int vmquery(int pid, uint64 va, struct vmquery *); /* pid 0: the caller */
int cowctl(int knob, int on); /* knob COWCTL_*: 1 on, 0 off, other: ask; returns the old setting */
struct vmregion;
struct memcheck;
int vmregions(int pid, struct vmregion *, int max); /* pid 0: the caller; returns the count */
int memcheck(struct memcheck *); /* 0 counts agree, 1 one is wrong, -1 no verdict */
typedef unsigned long size_t;
typedef long int off_t;
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off); /* kernel/fcntl.h */
int munmap(void *addr, size_t len);
int setfg(int fd, int pid); /* pid's tree owns console fd; 0: caller reads raw */
struct procinfo;
int procinfo(int i, struct procinfo *); /* the i'th live process; kernel/procinfo.h */

/* ulib.c */
int stat(const char *, struct stat *);
char *strcpy(char *, const char *);
void *memmove(void *, const void *, int);
char *strchr(const char *, char c);
int strcmp(const char *, const char *);
char *gets(char *, int max);
uint strlen(const char *);
void *memset(void *, int, uint);
int atoi(const char *);
int memcmp(const void *, const void *, uint);
void *memcpy(void *, const void *, uint);

/* ulib.c, calf's own: memcheck with a one-line report; 0 if all is well. */
int check_memory(const char *who);
/* ulib.c, calf's own: pages page replacement has moved so far (out + in):
 * while it moves, free frames say nothing about a leak. */
uint64 pages_moved(void);
/* ulib.c, calf's own: PTE flags as "rw-u" or "r--u COW" into buf. */
#define PTEFLAGS_LEN 9
char *pteflags(uint64 flags, char *buf);
/* ulib.c, calf's own: why open(path, mode) failed (mode PATH_MKDIR: why
 * mkdir or mknod did), as a phrase for a message: "exists", "is a
 * directory", "no such directory DIR", ... Kept until the next call. */
#define PATH_MKDIR (-1)
const char *path_error(const char *path, int mode);

/* printf.c. Format mistakes stay warnings even under -Werror: xv6 lab
 * programs from before the format attribute existed have some, and must
 * still compile unchanged. */
#pragma GCC diagnostic warning "-Wformat"
void fprintf(int, const char *, ...) __attribute__((format(printf, 2, 3)));
void printf(const char *, ...) __attribute__((format(printf, 1, 2)));
void vfprintf(int, const char *, __builtin_va_list);

/* umalloc.c */
void *malloc(uint);
void free(void *);

/* What sbrk and sbrklazy return when the heap cannot change. */
#define SBRK_ERROR ((char *)-1)

#endif
