/* os/os_sync_wait_on_address.h of macOS 14.4+ (Apple's documentation of
   os_sync_wait_on_address), as the posix-darwin shim provides it on Linux.
   Waits: >= 0 woken (or the value was not `value`), -1 with errno
   ETIMEDOUT, EINTR, EFAULT, EINVAL (size not 4 or 8, address not aligned,
   unknown flags, a zero timeout, a clock other than
   OS_CLOCK_MACH_ABSOLUTE_TIME).  Wakes: 0, or -1 ENOENT when nobody waits.
   Without the SHARED flag a wait is only woken from its own process. */
#ifndef PIPC_DARWIN_OS_SYNC_H
#define PIPC_DARWIN_OS_SYNC_H
#include <stddef.h>
#include <stdint.h>
#include <os/clock.h>

typedef enum {
  OS_SYNC_WAIT_ON_ADDRESS_NONE = 0,
  OS_SYNC_WAIT_ON_ADDRESS_SHARED = 1
} os_sync_wait_on_address_flags_t;
typedef enum {
  OS_SYNC_WAKE_BY_ADDRESS_NONE = 0,
  OS_SYNC_WAKE_BY_ADDRESS_SHARED = 1
} os_sync_wake_by_address_flags_t;

int os_sync_wait_on_address(void *addr, uint64_t value, size_t size,
                            os_sync_wait_on_address_flags_t flags);
int os_sync_wait_on_address_with_timeout(void *addr, uint64_t value, size_t size,
                                         os_sync_wait_on_address_flags_t flags,
                                         os_clockid_t clockid, uint64_t timeout_ns);
int os_sync_wake_by_address_any(void *addr, size_t size, os_sync_wake_by_address_flags_t flags);
int os_sync_wake_by_address_all(void *addr, size_t size, os_sync_wake_by_address_flags_t flags);
#endif
