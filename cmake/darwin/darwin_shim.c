/* darwin_shim.c - the posix-darwin configuration's Linux stand-in for what
   macOS has and Linux does not, with macOS's documented behaviour, and for
   the places where macOS behaves differently from Linux behind the same
   call.  Built as a shared library of its own (one copy per process),
   without darwin_api.h; every pipc binary of the configuration links it,
   and the calls below reach it through the linker's --wrap (the list is in
   darwin.cmake), so pipc's code calls plain shm_open, send, close ...

   What it plays (sources: xnu's bsd/kern/posix_shm.c, bsd/kern/
   uipc_socket.c and sys/un.h at apple-oss-distributions/xnu 776661b;
   Apple's documentation of os_sync_wait_on_address and getpeereid):
   - POSIX shared memory: a name of at most PSHMNAMLEN (31) bytes with its
     '/' (longer: ENAMETOOLONG); shm_open flags beyond O_RDONLY, O_RDWR,
     O_CREAT, O_EXCL, O_TRUNC refused (EINVAL, as macOS 26.4 does); the
     mode taken exactly (no umask); one ftruncate per object, the size
     rounded up to a page (a second one: EINVAL); fstat gives the mode,
     owner, group and that size only, no file type; mmap beyond the size
     or not MAP_SHARED: EINVAL; fchmod and fchown of a segment: EINVAL
     (xnu has no such operation for it).
   - F_GETLK sees a file's flock locks (l_pid -1), as xnu's does.
   - No /proc, /sys or /dev/shm: open, fopen, opendir, stat, lstat,
     access and readlink of a path under them fail ENOENT.
   - SO_NOSIGPIPE (set with setsockopt): the socket's sends and writes
     raise no SIGPIPE.  LOCAL_PEERPID (getsockopt at SOL_LOCAL): the
     peer's pid.  getpeereid: the peer's uid and gid.
   - os_sync_wait_on_address / os_sync_wake_by_address_* (macOS 14.4+,
     4-byte words): a futex, private unless the SHARED flag is given (so a
     missing flag loses cross-process wakes as it would on macOS); called
     while the shim plays an older macOS, they end the process, as a weak
     symbol absent there would.
   - __builtin_available: $PIPC_DARWIN_MACOS ("14.0" ...), default 15.0.
   - _NSGetExecutablePath, _NSGetEnviron.
   Known gaps: a socket's SO_NOSIGPIPE is forgotten across exec (macOS
   keeps it with the socket); sockaddr_un has no sun_len byte. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

#define PSHMNAMLEN 31
#define SHIM_SO_NOSIGPIPE 0x1022 /* darwin_api.h's SO_NOSIGPIPE */
#define SHIM_SOL_LOCAL 0
#define SHIM_LOCAL_PEERPID 0x002

/* What the shim knows of a descriptor: set when pipc makes it, cleared at
   close and dup2 (the descriptor numbers of one process). */
enum { FD_SHM = 1, FD_NOSIGPIPE = 2 };
#define FD_MAX 65536
static unsigned char fd_kind[FD_MAX];
static uint64_t fd_ino[FD_MAX]; /* the file's inode when its kind was set */

int __real_fstat(int fd, struct stat *st);

/* The kind of fd, if fd is still the file it was set for: a descriptor
   closed where no wrapper sees it (fclose, Python's os.close) and its
   number reused is not taken for a segment or a quiet socket. */
static int kind_of(int fd) {
  struct stat st;
  int k;
  if (fd < 0 || fd >= FD_MAX) return 0;
  k = __atomic_load_n(&fd_kind[fd], __ATOMIC_ACQUIRE);
  if (k == 0) return 0;
  if (__real_fstat(fd, &st) != 0 || (uint64_t)st.st_ino != __atomic_load_n(&fd_ino[fd], __ATOMIC_ACQUIRE))
    return 0;
  return k;
}
static void kind_set(int fd, int k) {
  struct stat st;
  if (fd < 0 || fd >= FD_MAX || __real_fstat(fd, &st) != 0) return;
  if ((uint64_t)st.st_ino != __atomic_load_n(&fd_ino[fd], __ATOMIC_ACQUIRE))
    __atomic_store_n(&fd_kind[fd], 0, __ATOMIC_RELEASE); /* another file now */
  __atomic_store_n(&fd_ino[fd], (uint64_t)st.st_ino, __ATOMIC_RELEASE);
  __atomic_or_fetch(&fd_kind[fd], (unsigned char)k, __ATOMIC_RELEASE);
}
static void kind_clear(int fd) {
  if (fd >= 0 && fd < FD_MAX) __atomic_store_n(&fd_kind[fd], 0, __ATOMIC_RELEASE);
}

/* the real calls (--wrap gives them these names) */
int __real_shm_open(const char *name, int oflag, mode_t mode);
int __real_shm_unlink(const char *name);
int __real_ftruncate(int fd, off_t len);
int __real_fchmod(int fd, mode_t mode);
int __real_fchown(int fd, uid_t uid, gid_t gid);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_close(int fd);
int __real_dup2(int fd, int fd2);
int __real_setsockopt(int fd, int level, int opt, const void *val, socklen_t len);
int __real_getsockopt(int fd, int level, int opt, void *val, socklen_t *len);
ssize_t __real_send(int fd, const void *buf, size_t n, int flags);
ssize_t __real_sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to,
                      socklen_t tolen);
ssize_t __real_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t __real_write(int fd, const void *buf, size_t n);
int __real_open(const char *path, int flags, ...);
FILE *__real_fopen(const char *path, const char *mode);
DIR *__real_opendir(const char *path);
int __real_stat(const char *path, struct stat *st);
int __real_lstat(const char *path, struct stat *st);
int __real_access(const char *path, int mode);
ssize_t __real_readlink(const char *path, char *buf, size_t cap);

/* ---- the macOS being played ---- */

static long version_of(const char *s) {
  long major = strtol(s, (char **)&s, 10), minor = 0;
  if (*s == '.') minor = strtol(s + 1, NULL, 10);
  return major * 100 + minor;
}

static long played(void) {
  const char *v = getenv("PIPC_DARWIN_MACOS");
  return v && *v ? version_of(v) : 1500;
}

EXPORT int pipc_darwin_available(const char *what) {
  /* "macOS 14.4, *" */
  const char *v = strstr(what, "macOS");
  if (v == NULL) return 1; /* another system's clause: not ours to judge */
  v += 5;
  while (*v == ' ') v++;
  return played() >= version_of(v);
}

static void needs(long version, const char *call) {
  if (played() < version) {
    fprintf(stderr, "darwin shim: %s called, but it needs macOS %ld.%ld and this plays %s\n",
            call, version / 100, version % 100, getenv("PIPC_DARWIN_MACOS"));
    abort();
  }
}

/* ---- os_sync_wait_on_address (macOS 14.4) ---- */

static int os_sync_args(void *addr, size_t size, unsigned flags) {
  if (size == 8) {
    fprintf(stderr, "darwin shim: 8-byte os_sync waits are not emulated\n");
    abort();
  }
  if (size != 4 || flags > 1 || addr == NULL || ((uintptr_t)addr & (size - 1)) != 0) {
    errno = EINVAL;
    return -1;
  }
  return 0;
}

static int os_sync_wait(void *addr, uint64_t value, size_t size, unsigned flags,
                        const struct timespec *rel) {
  int op = FUTEX_WAIT | (flags & 1 ? 0 : FUTEX_PRIVATE_FLAG);
  if (os_sync_args(addr, size, flags) != 0) return -1;
  if (syscall(SYS_futex, addr, op, (uint32_t)value, rel, NULL, 0) == 0) return 0;
  if (errno == EAGAIN) return 0; /* the word was not `value` */
  return -1;                     /* ETIMEDOUT, EINTR, EFAULT */
}

EXPORT int os_sync_wait_on_address(void *addr, uint64_t value, size_t size, unsigned flags) {
  needs(1404, "os_sync_wait_on_address");
  return os_sync_wait(addr, value, size, flags, NULL);
}

EXPORT int os_sync_wait_on_address_with_timeout(void *addr, uint64_t value, size_t size,
                                                unsigned flags, unsigned clockid,
                                                uint64_t timeout_ns) {
  struct timespec rel;
  needs(1404, "os_sync_wait_on_address_with_timeout");
  if (clockid != 32 || timeout_ns == 0) {
    errno = EINVAL;
    return -1;
  }
  rel.tv_sec = (time_t)(timeout_ns / 1000000000u);
  rel.tv_nsec = (long)(timeout_ns % 1000000000u);
  return os_sync_wait(addr, value, size, flags, &rel);
}

static int os_sync_wake(void *addr, size_t size, unsigned flags, int n) {
  long r;
  if (os_sync_args(addr, size, flags) != 0) return -1;
  r = syscall(SYS_futex, addr, FUTEX_WAKE | (flags & 1 ? 0 : FUTEX_PRIVATE_FLAG), n, NULL, NULL, 0);
  if (r < 0) return -1;
  if (r == 0) {
    errno = ENOENT; /* nobody waited */
    return -1;
  }
  return 0;
}

EXPORT int os_sync_wake_by_address_any(void *addr, size_t size, unsigned flags) {
  needs(1404, "os_sync_wake_by_address_any");
  return os_sync_wake(addr, size, flags, 1);
}

EXPORT int os_sync_wake_by_address_all(void *addr, size_t size, unsigned flags) {
  needs(1404, "os_sync_wake_by_address_all");
  return os_sync_wake(addr, size, flags, INT_MAX);
}

/* ---- what a library asks of the system ---- */

EXPORT int _NSGetExecutablePath(char *buf, uint32_t *bufsize) {
  char tmp[PATH_MAX];
  ssize_t n = __real_readlink("/proc/self/exe", tmp, sizeof tmp - 1);
  if (n < 0) return -1;
  if ((size_t)n + 1 > *bufsize) {
    *bufsize = (uint32_t)n + 1;
    return -1;
  }
  memcpy(buf, tmp, (size_t)n);
  buf[n] = '\0';
  return 0;
}

EXPORT char ***_NSGetEnviron(void) { return &environ; }

EXPORT int getpeereid(int fd, uid_t *uid, gid_t *gid) {
  struct ucred cr;
  socklen_t n = sizeof cr;
  if (__real_getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &n) != 0) return -1;
  *uid = cr.uid;
  *gid = cr.gid;
  return 0;
}

/* ---- POSIX shared memory as xnu has it ---- */

EXPORT int __wrap_shm_open(const char *name, int oflag, mode_t mode) {
  size_t len = strnlen(name, PSHMNAMLEN + 1);
  int fd, created = 0;
  struct stat st;
  if (len > PSHMNAMLEN) {
    errno = ENAMETOOLONG;
    return -1;
  }
  if (len < 1 || (oflag & ~(O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC)) != 0) {
    errno = EINVAL;
    return -1;
  }
  if ((oflag & (O_CREAT | O_EXCL)) == O_CREAT) {
    /* learn whether this call makes it: its mode is then set exactly */
    fd = __real_shm_open(name, (oflag | O_EXCL) & ~O_TRUNC, mode);
    if (fd >= 0) created = 1;
    else if (errno == EEXIST) fd = __real_shm_open(name, oflag & ~(O_CREAT | O_TRUNC), 0);
  } else {
    fd = __real_shm_open(name, oflag & ~O_TRUNC, mode);
    created = fd >= 0 && (oflag & O_CREAT);
  }
  if (fd < 0) return -1;
  if (created && __real_fchmod(fd, mode & 07777) != 0) {
    int err = errno;
    __real_close(fd);
    __real_shm_unlink(name);
    errno = err;
    return -1;
  }
  if ((oflag & O_TRUNC) && !created) {
    /* O_TRUNC only while no size was set; a size is never taken back */
    if (__real_fstat(fd, &st) == 0 && st.st_size != 0) {
      __real_close(fd);
      errno = EINVAL;
      return -1;
    }
  }
  kind_set(fd, FD_SHM);
  return fd;
}

EXPORT int __wrap_shm_unlink(const char *name) {
  if (strnlen(name, PSHMNAMLEN + 1) > PSHMNAMLEN) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return __real_shm_unlink(name);
}

static off_t page_round(off_t len) {
  off_t page = (off_t)sysconf(_SC_PAGESIZE);
  return (len + page - 1) / page * page;
}

EXPORT int __wrap_ftruncate(int fd, off_t len) {
  struct stat st;
  if (!(kind_of(fd) & FD_SHM)) return __real_ftruncate(fd, len);
  if (len < 0 || __real_fstat(fd, &st) != 0 || st.st_size != 0) {
    errno = EINVAL; /* one size per segment, for its whole life */
    return -1;
  }
  return __real_ftruncate(fd, page_round(len));
}

EXPORT int __wrap_fstat(int fd, struct stat *st) {
  struct stat real;
  if (!(kind_of(fd) & FD_SHM)) return __real_fstat(fd, st);
  if (__real_fstat(fd, &real) != 0) return -1;
  memset(st, 0, sizeof *st);
  st->st_mode = real.st_mode & 07777; /* no file type */
  st->st_uid = real.st_uid;
  st->st_gid = real.st_gid;
  st->st_size = real.st_size;
  return 0;
}

EXPORT void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  struct stat st;
  if (fd >= 0 && (kind_of(fd) & FD_SHM)) {
    if (!(flags & MAP_SHARED) || __real_fstat(fd, &st) != 0 || off < 0 ||
        (uint64_t)off + len > (uint64_t)st.st_size) {
      errno = EINVAL;
      return MAP_FAILED;
    }
  }
  return __real_mmap(addr, len, prot, flags, fd, off);
}

EXPORT int __wrap_fchmod(int fd, mode_t mode) {
  if (kind_of(fd) & FD_SHM) {
    errno = EINVAL;
    return -1;
  }
  return __real_fchmod(fd, mode);
}

EXPORT int __wrap_fchown(int fd, uid_t uid, gid_t gid) {
  if (kind_of(fd) & FD_SHM) {
    errno = EINVAL;
    return -1;
  }
  return __real_fchown(fd, uid, gid);
}

EXPORT int __wrap_close(int fd) {
  kind_clear(fd);
  return __real_close(fd);
}

EXPORT int __wrap_dup2(int fd, int fd2) {
  int k = kind_of(fd), r = __real_dup2(fd, fd2);
  if (r >= 0 && fd2 != fd) {
    kind_clear(fd2);
    if (k) kind_set(fd2, k); /* the same socket or segment */
  }
  return r;
}

/* ---- sockets ---- */

static int is_local(int fd) {
  struct sockaddr_storage ss;
  socklen_t n = sizeof ss;
  return getsockname(fd, (struct sockaddr *)&ss, &n) == 0 && ss.ss_family == AF_UNIX;
}

EXPORT int __wrap_setsockopt(int fd, int level, int opt, const void *val, socklen_t len) {
  if (level == SOL_SOCKET && opt == SHIM_SO_NOSIGPIPE) {
    int on;
    if (val == NULL || len < (socklen_t)sizeof(int)) {
      errno = EINVAL;
      return -1;
    }
    memcpy(&on, val, sizeof on);
    if (getsockname(fd, &(struct sockaddr){0}, &(socklen_t){sizeof(struct sockaddr)}) != 0 &&
        errno == ENOTSOCK)
      return -1;
    if (on) kind_set(fd, FD_NOSIGPIPE);
    else if (fd >= 0 && fd < FD_MAX)
      __atomic_and_fetch(&fd_kind[fd], (unsigned char)~FD_NOSIGPIPE, __ATOMIC_RELEASE);
    return 0;
  }
  return __real_setsockopt(fd, level, opt, val, len);
}

EXPORT int __wrap_getsockopt(int fd, int level, int opt, void *val, socklen_t *len) {
  if (level == SOL_SOCKET && opt == SHIM_SO_NOSIGPIPE && val && len && *len >= sizeof(int)) {
    int on = (kind_of(fd) & FD_NOSIGPIPE) != 0;
    memcpy(val, &on, sizeof on);
    *len = sizeof on;
    return 0;
  }
  if (level == SHIM_SOL_LOCAL && opt == SHIM_LOCAL_PEERPID && is_local(fd)) {
    struct ucred cr;
    socklen_t n = sizeof cr;
    pid_t pid;
    if (val == NULL || len == NULL || *len < sizeof(pid_t)) {
      errno = EINVAL;
      return -1;
    }
    if (__real_getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &n) != 0) return -1;
    pid = cr.pid;
    memcpy(val, &pid, sizeof pid);
    *len = sizeof pid;
    return 0;
  }
  return __real_getsockopt(fd, level, opt, val, len);
}

static int quiet(int fd) { return (kind_of(fd) & FD_NOSIGPIPE) ? MSG_NOSIGNAL : 0; }

EXPORT ssize_t __wrap_send(int fd, const void *buf, size_t n, int flags) {
  return __real_send(fd, buf, n, flags | quiet(fd));
}

EXPORT ssize_t __wrap_sendto(int fd, const void *buf, size_t n, int flags,
                             const struct sockaddr *to, socklen_t tolen) {
  return __real_sendto(fd, buf, n, flags | quiet(fd), to, tolen);
}

EXPORT ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags) {
  return __real_sendmsg(fd, msg, flags | quiet(fd));
}

EXPORT ssize_t __wrap_write(int fd, const void *buf, size_t n) {
  if (quiet(fd)) return __real_send(fd, buf, n, MSG_NOSIGNAL);
  return __real_write(fd, buf, n);
}

/* ---- file locks: F_GETLK sees flock locks (xnu's lf_getblock compares
   owners, not kinds of lock; an flock holder shows as l_pid -1) ---- */

int __real_fcntl(int fd, int cmd, ...);

/* Whether /proc/locks shows an flock on the file of fd (1 WRITE, 2 READ). */
static int flocked(int fd) {
  struct stat st;
  char line[256];
  int found = 0;
  FILE *f;
  if (__real_fstat(fd, &st) != 0 || (f = __real_fopen("/proc/locks", "re")) == NULL) return 0;
  while (!found && fgets(line, sizeof line, f)) {
    unsigned long long ino = 0;
    char *p = strstr(line, "FLOCK"), *dev = p ? strchr(p, ':') : NULL;
    if (dev && (dev = strchr(dev + 1, ':')) && sscanf(dev + 1, "%llu", &ino) == 1 &&
        ino == (unsigned long long)st.st_ino)
      found = strstr(line, "WRITE") ? 1 : 2;
  }
  fclose(f);
  return found;
}

EXPORT int __wrap_fcntl(int fd, int cmd, ...) {
  va_list ap;
  void *arg;
  int r;
  va_start(ap, cmd);
  arg = va_arg(ap, void *); /* an int or a pointer: both fit, as glibc's own fcntl takes them */
  va_end(ap);
  short want = cmd == F_GETLK && arg ? ((struct flock *)arg)->l_type : F_UNLCK;
  r = __real_fcntl(fd, cmd, arg);
  if (r == 0 && cmd == F_GETLK) {
    struct flock *fl = (struct flock *)arg;
    int held = fl->l_type == F_UNLCK ? flocked(fd) : 0;
    if (held == 1 || (held == 2 && want == F_WRLCK)) {
      fl->l_type = held == 1 ? F_WRLCK : F_RDLCK;
      fl->l_whence = SEEK_SET;
      fl->l_start = 0;
      fl->l_len = 0;
      fl->l_pid = -1;
    }
  }
  return r;
}

/* ---- no /proc, /sys or /dev/shm ---- */

static int linux_only(const char *path) {
  static const char *const dirs[] = {"/proc", "/sys", "/dev/shm"};
  size_t i;
  if (path == NULL) return 0;
  for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    size_t n = strlen(dirs[i]);
    if (strncmp(path, dirs[i], n) == 0 && (path[n] == '\0' || path[n] == '/')) {
      errno = ENOENT;
      return 1;
    }
  }
  return 0;
}

EXPORT int __wrap_open(const char *path, int flags, ...) {
  mode_t mode = 0;
  if (flags & (O_CREAT | __O_TMPFILE)) {
    va_list ap;
    va_start(ap, flags);
    mode = (mode_t)va_arg(ap, int);
    va_end(ap);
  }
  if (linux_only(path)) return -1;
  return __real_open(path, flags, mode);
}

EXPORT FILE *__wrap_fopen(const char *path, const char *mode) {
  return linux_only(path) ? NULL : __real_fopen(path, mode);
}

EXPORT DIR *__wrap_opendir(const char *path) {
  return linux_only(path) ? NULL : __real_opendir(path);
}

EXPORT int __wrap_stat(const char *path, struct stat *st) {
  return linux_only(path) ? -1 : __real_stat(path, st);
}

EXPORT int __wrap_lstat(const char *path, struct stat *st) {
  return linux_only(path) ? -1 : __real_lstat(path, st);
}

EXPORT int __wrap_access(const char *path, int mode) {
  return linux_only(path) ? -1 : __real_access(path, mode);
}

EXPORT ssize_t __wrap_readlink(const char *path, char *buf, size_t cap) {
  return linux_only(path) ? -1 : __real_readlink(path, buf, cap);
}
