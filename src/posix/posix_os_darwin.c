/* posix_os_darwin.c - what the POSIX backend asks of the operating system
   (posix.h, "the operating system") on macOS: the counterpart of
   posix_os_linux.c, chosen by CMake.  A library reaches the environment
   through _NSGetEnviron; there is no posix_fallocate. */
#include "posix.h"

#include <crt_externs.h>
#include <errno.h>
#include <fcntl.h>
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

/* F_GETLK sees flock locks on macOS: xnu's lf_getblock (bsd/kern/
   kern_lockf.c) compares a lock's owner with the asker's, not whether it
   is an flock or a POSIX lock; an flock holder is reported with l_pid -1.
   (The descriptor opened here holds no lock: closing it releases none.) */
int pipc__posix_flock_held(const char *path, ino_t ino) {
  struct flock fl;
  int fd, r;
  (void)ino;
  if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) < 0) return errno == ENOENT ? 0 : -1;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  r = fcntl(fd, F_GETLK, &fl);
  close(fd);
  if (r != 0) return -1;
  return fl.l_type != F_UNLCK;
}

/* No table of sockets to read: the caller probes with a connect. */
int pipc__posix_unix_listening(const char *path) {
  (void)path;
  return -1;
}

size_t pipc__posix_shm_name_max(void) { return 31; /* PSHMNAMLEN (xnu bsd/sys/posix_shm.h) */ }

int pipc__posix_shm_mode_fixed(void) { return 1; }
