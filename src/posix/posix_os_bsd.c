/* posix_os_bsd.c - what the POSIX backend asks of the operating system
   (posix.h, "the operating system") on the BSDs and other POSIX systems:
   the counterpart of posix_os_linux.c, chosen by CMake. */
#include "posix.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

extern char **environ;

int pipc_os_ncpu(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

int pipc_os_self_exe(char *buf, size_t cap) {
  return pipc__posix_read_link("/proc/curproc/file", buf, cap);
}

char **pipc__posix_environ(void) { return environ; }

int pipc__posix_peer(int fd, uid_t *uid, gid_t *gid, long *pid) {
  if (getpeereid(fd, uid, gid) != 0) return errno;
  *pid = -1; /* no portable way to learn it here */
  return 0;
}

int pipc__posix_preallocate(int fd, size_t size) {
  return posix_fallocate(fd, 0, (off_t)size);
}

/* POSIX shared memory is no file system here: it cannot be listed. */
const char *pipc__posix_shm_dir(void) { return NULL; }

/* No /proc/locks; F_GETLK does not see flock locks everywhere, and taking
   the lock to test it would make a listener being created fail. */
int pipc__posix_flock_held(const char *path, ino_t ino) {
  (void)path;
  (void)ino;
  return -1;
}

/* No table of sockets to read: the caller probes with a connect. */
int pipc__posix_unix_listening(const char *path) {
  (void)path;
  return -1;
}

size_t pipc__posix_shm_name_max(void) { return 1023; /* FreeBSD: PATH_MAX - 1; the others more */ }

int pipc__posix_shm_mode_fixed(void) { return 0; }
