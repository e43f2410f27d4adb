/* posix_os_linux.c - what the POSIX backend asks of Linux in particular
   (posix.h, "the operating system"): CPUs by affinity, /proc/self/exe,
   SO_PEERCRED, posix_fallocate, /dev/shm, /proc/locks.  CMake compiles it on Linux, in the
   posix-generic configuration too (these are not fast paths: Linux has no
   other way); posix_os_darwin.c and posix_os_bsd.c are the others. */
#define _GNU_SOURCE
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
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

int pipc__posix_peer(int fd, uid_t *uid, gid_t *gid, long *pid) {
  struct ucred cr;
  socklen_t n = sizeof cr;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &n) != 0) return errno;
  *uid = cr.uid;
  *gid = cr.gid;
  *pid = cr.pid > 0 ? (long)cr.pid : -1;
  return 0;
}

int pipc__posix_preallocate(int fd, size_t size) {
  return posix_fallocate(fd, 0, (off_t)size);
}

const char *pipc__posix_shm_dir(void) { return "/dev/shm"; }

int pipc__posix_unix_listening(const char *path) {
  FILE *f = fopen("/proc/net/unix", "re");
  char line[512];
  int found = 0;
  size_t n = strlen(path);
  if (f == NULL) return -1;
  /* "Num RefCount Protocol Flags Type St Inode Path": Flags 00010000 is
     __SO_ACCEPTCON, a listening socket; Path is the rest of the line. */
  while (!found && fgets(line, sizeof line, f)) {
    unsigned long flags = 0, inode = 0;
    int at = 0;
    if (sscanf(line, "%*s %*s %*s %lx %*s %*s %lu %n", &flags, &inode, &at) >= 2 && at > 0 &&
        (flags & 0x10000ul) != 0 && strncmp(line + at, path, n) == 0 &&
        (line[at + n] == '\n' || line[at + n] == '\0'))
      found = 1;
  }
  fclose(f);
  return found;
}

int pipc__posix_flock_held(const char *path, ino_t ino) {
  FILE *f = fopen("/proc/locks", "re");
  char line[256];
  int held = 0;
  (void)path;
  if (f == NULL) return -1;
  /* "N: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE START END"; the inode
     alone is compared, as the device numbers there need not be stat's. */
  while (!held && fgets(line, sizeof line, f)) {
    unsigned long long i = 0;
    char *p = strstr(line, "FLOCK");
    char *dev = p ? strchr(p, ':') : NULL;
    if (dev && (dev = strchr(dev + 1, ':')) && sscanf(dev + 1, "%llu", &i) == 1 &&
        i == (unsigned long long)ino)
      held = 1;
  }
  fclose(f);
  return held;
}

size_t pipc__posix_shm_name_max(void) { return 255; /* NAME_MAX of a file in /dev/shm */ }

int pipc__posix_shm_mode_fixed(void) { return 0; }
