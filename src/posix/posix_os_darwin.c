/* posix_os_darwin.c - what the POSIX backend asks of the operating system
   (posix.h, "the operating system") on macOS: the counterpart of
   posix_os_linux.c, chosen by CMake.  A library reaches the environment
   through _NSGetEnviron; there is no posix_fallocate. */
#include "posix.h"

#include <crt_externs.h>
#include <errno.h>
#include <limits.h>
#include <mach-o/dyld.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int pipc_os_ncpu(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

int pipc_os_self_exe(char *buf, size_t cap) {
  char raw[PATH_MAX], real[PATH_MAX];
  uint32_t n = sizeof(raw);
  size_t len;
  if (_NSGetExecutablePath(raw, &n) != 0) return PIPC_EOVERFLOW;
  if (realpath(raw, real) == NULL) return pipc__posix_fail(errno);
  len = strlen(real);
  if (len + 1 > cap) return PIPC_EOVERFLOW;
  memcpy(buf, real, len + 1);
  return PIPC_OK;
}

char **pipc__posix_environ(void) { return *_NSGetEnviron(); }

int pipc__posix_peer(int fd, uid_t *uid, gid_t *gid, long *pid) {
  pid_t p = 0;
  socklen_t n = sizeof p;
  if (getpeereid(fd, uid, gid) != 0) return errno;
  /* LOCAL_PEERPID (sys/un.h): the pid recorded at connect */
  *pid = getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &p, &n) == 0 && p > 0 ? (long)p : -1;
  return 0;
}

int pipc__posix_preallocate(int fd, size_t size) {
  (void)fd;
  (void)size;
  return 0; /* no posix_fallocate: the pages are found at first touch */
}

/* POSIX shared memory is no file system here: it cannot be listed. */
const char *pipc__posix_shm_dir(void) { return NULL; }

/* No /proc/locks; F_GETLK does not see flock locks everywhere, and taking
   the lock to test it would make a listener being created fail. */
int pipc__posix_flock_held(ino_t ino) {
  (void)ino;
  return -1;
}

/* No table of sockets to read: the caller probes with a connect. */
int pipc__posix_unix_listening(const char *path) {
  (void)path;
  return -1;
}
