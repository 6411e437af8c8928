/* elf.h: the parts of the ELF64 format exec reads. */
#ifndef CALF_ELF_H
#define CALF_ELF_H

#include "kernel/types.h"

#define ELF_MAGIC   0x464C457FU /* "\x7FELF", little endian */
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define EM_RISCV    243
#define ET_EXEC     2

struct elfhdr {
  uint magic;
  uchar elf[12]; /* class, data, version, abi, padding */
  ushort type;
  ushort machine;
  uint version;
  uint64 entry;
  uint64 phoff;
  uint64 shoff;
  uint flags;
  ushort ehsize;
  ushort phentsize;
  ushort phnum;
  ushort shentsize;
  ushort shnum;
  ushort shstrndx;
};

struct proghdr {
  uint32 type;
  uint32 flags;
  uint64 off;
  uint64 vaddr;
  uint64 paddr;
  uint64 filesz;
  uint64 memsz;
  uint64 align;
};

#define ELF_PROG_LOAD       1
#define ELF_PROG_FLAG_EXEC  1
#define ELF_PROG_FLAG_WRITE 2
#define ELF_PROG_FLAG_READ  4

#endif
