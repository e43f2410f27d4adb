/* os/clock.h of macOS 14.4+. */
#ifndef PIPC_DARWIN_OS_CLOCK_H
#define PIPC_DARWIN_OS_CLOCK_H
typedef enum { OS_CLOCK_MACH_ABSOLUTE_TIME = 32 } os_clockid_t;
#endif
