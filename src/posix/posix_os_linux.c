/* posix_os_linux.c - what the POSIX backend asks of Linux in particular
   (posix.h, "the operating system"): CPUs by affinity, /proc/self/exe,
   SO_PEERCRED, posix_fallocate.  CMake compiles it on Linux, in the
   posix-generic configuration too (these are not fast paths: Linux has no
   other way); posix_os_darwin.c and posix_os_bsd.c are the others. */
#define _GNU_SOURCE
#include "posix.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

extern char **environ;

int pipc_os_ncpu(void) {
  cpu_set_t set;
  long n;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return CPU_COUNT(&set);
  n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

int pipc_os_self_exe(char *buf, size_t cap) {
  return pipc__posix_read_link("/proc/self/exe", buf, cap);
}

char **pipc__posix_environ(void) { return environ; }

uid_t pipc__posix_peer_uid(int fd) {
  struct ucred cr;
  socklen_t n = sizeof cr;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &n) == 0) return cr.uid;
  return (uid_t)-1;
}

int pipc__posix_preallocate(int fd, size_t size) {
  return posix_fallocate(fd, 0, (off_t)size);
}
