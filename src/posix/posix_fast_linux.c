/* posix_fast_linux.c - the Linux fast paths of the POSIX backend (posix.h,
   "fast paths"): a pidfd to wait for a child without polling, accept4 to
   take a connection close-on-exec in one call, notifiers in the abstract
   socket namespace (no file to leave behind).  The posix-generic
   configuration compiles posix_fast_none.c instead, to prove the portable
   paths.  (The futex is its own variant: posix_park_futex.c.) */
#define _GNU_SOURCE
#include "posix.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
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

/* "\0pipc:w:UID:ID": abstract, so every process of the user finds it
   whatever its environment, and it goes with its socket. */
int pipc__posix_notifier_addr(uint64_t id, struct sockaddr_un *sa, socklen_t *len) {
  int n;
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  n = snprintf(sa->sun_path + 1, sizeof sa->sun_path - 1, "pipc:w:%lu:%016llx",
               (unsigned long)geteuid(), (unsigned long long)id);
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
  return 0;
}
