/* posix_fast_linux.c - the Linux fast paths of the POSIX backend (posix.h,
   "fast paths"): a pidfd to wait for a child without polling, accept4 to
   take a connection close-on-exec in one call.  The posix-generic
   configuration compiles posix_fast_none.c instead, to prove the portable
   paths.  (The futex is its own variant: posix_park_futex.c.) */
#define _GNU_SOURCE
#include "posix.h"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int pipc__posix_exit_fd(pid_t pid) {
#ifdef SYS_pidfd_open
  return (int)syscall(SYS_pidfd_open, pid, 0); /* -1 on kernels before 5.3 */
#else
  (void)pid;
  return -1; /* headers older than the call */
#endif
}

int pipc__posix_accept(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }
