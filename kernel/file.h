/* file.h: for programs written for xv6, which include "kernel/file.h";
 * the kernel itself includes kernel/fs/file.h. */
#include "kernel/fs/file.h"
