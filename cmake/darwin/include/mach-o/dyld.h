/* mach-o/dyld.h of macOS: the running program's path (0, or -1 with
   *bufsize set to the size needed). */
#ifndef PIPC_DARWIN_DYLD_H
#define PIPC_DARWIN_DYLD_H
#include <stdint.h>
int _NSGetExecutablePath(char *buf, uint32_t *bufsize);
#endif
