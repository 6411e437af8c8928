/* types.h: fixed-width names shared by the kernel, user programs and mkfs. */
#ifndef CALF_TYPES_H
#define CALF_TYPES_H

typedef unsigned int uint;
typedef unsigned short ushort;
typedef unsigned char uchar;

typedef unsigned char uint8;
typedef unsigned short uint16;
typedef unsigned int uint32;
typedef unsigned long uint64;

typedef uint64 pde_t;

#endif
