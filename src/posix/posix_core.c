/* posix_core.c - errors, names, the user's directory, clocks, sleep and
   entropy for the POSIX backend. */
#define _GNU_SOURCE
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int pipc__posix_fail(int err) {
  int code;
  switch (err) {
  case EINVAL: case ENAMETOOLONG: code = PIPC_EINVAL; break;
  case ENOMEM: case ENOSPC: case EFBIG: code = PIPC_ENOMEM; break;
  case EEXIST: code = PIPC_EEXIST; break;
  case ENOENT: case ESRCH: code = PIPC_ENOENT; break;
  case EACCES: case EPERM: case ELOOP: case EROFS: code = PIPC_EACCES; break;
  case EAGAIN: code = PIPC_EAGAIN; break;
  case ETIMEDOUT: code = PIPC_ETIMEDOUT; break;
  case EMSGSIZE: code = PIPC_EMSGSIZE; break;
  case EPIPE: case ECONNRESET: code = PIPC_ECLOSED; break;
  case EOVERFLOW: code = PIPC_EOVERFLOW; break;
  case ENOSYS: case ENOTSUP:
#if defined(EOPNOTSUPP) && EOPNOTSUPP != ENOTSUP
  case EOPNOTSUPP:
#endif
    code = PIPC_ENOTSUP; break;
  default: code = PIPC_ESYS; break;
  }
  return pipc__os_fail(code, err);
}

void pipc__posix_shm_path(char *buf, const char *name) {
  size_t max = pipc__posix_shm_name_max();
  snprintf(buf, PIPC__POSIX_SHM_PATH_MAX, "/pipc.%s", name);
  if (strlen(buf) > max) { /* '=' is never in a name: no clash with one */
    memcpy(buf, "/pipc=", 6); /* 30 bytes: every OS here takes 31 or more */
    pipc__name_digest(name, buf + 6, 24);
  }
}

static int dir_private(const char *dir) {
  struct stat st;
  if (lstat(dir, &st) != 0) return pipc__posix_fail(errno);
  if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0)
    return pipc__os_fail(PIPC_EACCES, EACCES); /* a symlink, another user's,
                                                  or open to others */
  return PIPC_OK;
}

int pipc__posix_tmp_dir(char *dir, size_t cap) {
  snprintf(dir, cap, "/tmp/pipc-%lu", (unsigned long)geteuid());
#ifdef PIPC_FAULT_INJECTION
  {
    /* the test library only: a test's own directory, inherited by its
       helper processes */
    const char *t = getenv("PIPC_TEST_USER_DIR");
    if (t && t[0] == '/') snprintf(dir, cap, "%s/pipc", t);
  }
#endif
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) return pipc__posix_fail(errno);
  return dir_private(dir);
}

/* One directory per user, whatever the environment: every process of the
   user - a service without a login session, a shell with or without
   XDG_RUNTIME_DIR, sudo -u - finds the same one.  (XDG_RUNTIME_DIR is not
   set the same way for all of them, and /run/user/UID comes and goes with
   login sessions.) */
int pipc__posix_user_dir(char *dir, size_t cap) { return pipc__posix_tmp_dir(dir, cap); }

int pipc__posix_group_id(const char *group, gid_t *gid) {
  struct group gr, *found = NULL;
  char buf[4096], *end;
  unsigned long n;
  int err;
  if (group[0] >= '0' && group[0] <= '9') {
    errno = 0;
    n = strtoul(group, &end, 10);
    if (*end != '\0' || errno != 0 || n != (unsigned long)(gid_t)n || (gid_t)n == (gid_t)-1)
      return pipc__os_fail(PIPC_EINVAL, EINVAL);
    *gid = (gid_t)n;
    return PIPC_OK;
  }
  err = getgrnam_r(group, &gr, buf, sizeof buf, &found);
  if (err != 0 && err != ENOENT && err != ESRCH) return pipc__posix_fail(err);
  if (found == NULL) return pipc__os_fail(PIPC_ENOENT, ENOENT);
  *gid = found->gr_gid;
  return PIPC_OK;
}

int pipc__posix_in_group(uid_t uid, gid_t peer_gid, gid_t gid) {
  struct passwd pw, *found = NULL;
  char buf[4096];
  gid_t groups[256];
  int n = (int)(sizeof groups / sizeof groups[0]), i;
  if (peer_gid == gid) return 1;
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) != 0 || found == NULL) return 0;
  if (found->pw_gid == gid) return 1;
  if (getgrouplist(found->pw_name, found->pw_gid, groups, &n) < 0) return 0; /* > 256 */
  for (i = 0; i < n; i++)
    if (groups[i] == gid) return 1;
  return 0;
}

/* Whether directory `st` may hold what is shared at `access` (GROUP: with
   gid): a real directory that nobody outside the access can write to -
   for ALL, unless it is sticky, like /tmp - and whose owner could not turn
   it against its users: this user or root; for GROUP also a member (only
   members and root can give it the group), for ALL anyone - except where
   `making` (a listener's socket is made there and then given its mode and
   group by path): then this user or root only, as the owner of a sticky
   directory may still swap what is in it. */
static int dir_shared_ok(const struct stat *st, int access, gid_t gid, int making) {
  const uid_t me = geteuid();
  const int owner_trusted = st->st_uid == me || st->st_uid == 0;
  const int group_ours = access == PIPC_ACCESS_GROUP && st->st_gid == gid;
  if (!S_ISDIR(st->st_mode)) return 0;
  if (access == PIPC_ACCESS_OWNER)
    return st->st_uid == me && (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
  if (!owner_trusted && (making || (!group_ours && access != PIPC_ACCESS_ALL))) return 0;
  if (access == PIPC_ACCESS_GROUP)
    return (st->st_mode & S_IWOTH) == 0 && ((st->st_mode & S_IWGRP) == 0 || group_ours);
  return (st->st_mode & (S_IWGRP | S_IWOTH)) == 0 || (st->st_mode & S_ISVTX) != 0;
}

int pipc__posix_shared_dir(const char *given, int access, gid_t gid, int making, char *dir,
                           size_t cap) {
  struct stat st;
  int tries;
  if (given != NULL) {
    if (given[0] != '/') return pipc__os_fail(PIPC_EINVAL, EINVAL);
    if ((size_t)snprintf(dir, cap, "%s", given) >= cap) return PIPC_EOVERFLOW;
    /* a trailing '/' would make "dir//NAME": harmless, but not pretty */
    while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/') dir[strlen(dir) - 1] = '\0';
  } else if (access == PIPC_ACCESS_OWNER) {
    return pipc__posix_user_dir(dir, cap);
  } else {
    if (access == PIPC_ACCESS_GROUP)
      snprintf(dir, cap, "/tmp/pipc-g%lu", (unsigned long)gid);
    else
      snprintf(dir, cap, "/tmp/pipc-all");
    if (mkdir(dir, 0700) == 0) {
      /* made here: give it to the group / open it, sticky, then check */
      if ((access == PIPC_ACCESS_GROUP && chown(dir, (uid_t)-1, gid) != 0) ||
          chmod(dir, access == PIPC_ACCESS_GROUP ? 03770 : 01777) != 0) {
        int err = errno;
        rmdir(dir);
        return err == EPERM ? pipc__os_fail(PIPC_EACCES, err) : pipc__posix_fail(err);
      }
    } else if (errno != EEXIST) {
      return pipc__posix_fail(errno);
    }
  }
  /* Another process may have made it a moment ago and not yet given it
     its group and mode (it is 0700, its maker's): give it 100 ms. */
  for (tries = 0;; tries++) {
    if (lstat(dir, &st) != 0) return pipc__posix_fail(errno);
    if (dir_shared_ok(&st, access, gid, making)) return PIPC_OK;
    if (given != NULL || tries == 100 || !S_ISDIR(st.st_mode) ||
        (st.st_mode & 07777) != 0700 || st.st_uid == geteuid())
      return pipc__os_fail(PIPC_EACCES, EACCES);
    pipc_os_sleep_ms(1);
  }
}

int pipc__posix_scope_make(const pipc_os_attr *attr, pipc__posix_scope *sc) {
  int rc;
  sc->access = attr ? attr->access : PIPC_ACCESS_OWNER;
  sc->gid = (gid_t)-1;
  if (attr && attr->sddl) return pipc__os_fail(PIPC_ENOTSUP, ENOTSUP);
  if (sc->access == PIPC_ACCESS_GROUP &&
      (rc = pipc__posix_group_id(attr->group, &sc->gid)) != PIPC_OK)
    return rc;
  return PIPC_OK;
}

mode_t pipc__posix_scope_mode(const pipc__posix_scope *sc) {
  switch (sc ? sc->access : PIPC_ACCESS_OWNER) {
  case PIPC_ACCESS_GROUP: return 0660;
  case PIPC_ACCESS_ALL: return 0666;
  default: return 0600;
  }
}

int pipc__posix_scope_apply(int fd, const pipc__posix_scope *sc) {
  /* the group first: a file briefly 0660 with the creator's own group
     would let that group in */
  if (sc && sc->access == PIPC_ACCESS_GROUP && fchown(fd, (uid_t)-1, sc->gid) != 0)
    return errno == EPERM ? pipc__os_fail(PIPC_EACCES, errno) : pipc__posix_fail(errno);
  /* umask can only narrow the mode a file was made with: this makes it
     exact */
  if (fchmod(fd, pipc__posix_scope_mode(sc)) != 0) return pipc__posix_fail(errno);
  return PIPC_OK;
}

void pipc__posix_scope_of(const struct stat *st, pipc__posix_scope *sc) {
  sc->gid = (gid_t)-1;
  if ((st->st_mode & 0006) == 0006) {
    sc->access = PIPC_ACCESS_ALL;
  } else if ((st->st_mode & 0060) == 0060) {
    sc->access = PIPC_ACCESS_GROUP;
    sc->gid = st->st_gid;
  } else {
    sc->access = PIPC_ACCESS_OWNER;
  }
}

int pipc__posix_read_link(const char *link, char *buf, size_t cap) {
  char tmp[PATH_MAX];
  ssize_t n = readlink(link, tmp, sizeof(tmp));
  if (n < 0) return pipc__posix_fail(errno);
  if ((size_t)n >= sizeof(tmp) || (size_t)n + 1 > cap) return PIPC_EOVERFLOW;
  memcpy(buf, tmp, (size_t)n);
  buf[n] = '\0';
  return PIPC_OK;
}

int pipc__posix_socketpair(int sv[2]) {
  int i;
#ifdef SOCK_CLOEXEC /* at once: a spawn by another thread would pass them on */
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
#endif
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return errno;
  for (i = 0; i < 2; i++) {
    fcntl(sv[i], F_SETFD, FD_CLOEXEC);
#ifdef SO_NOSIGPIPE /* macOS, the BSDs: no MSG_NOSIGNAL */
    {
      int one = 1;
      setsockopt(sv[i], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
    }
#endif
  }
  return 0;
}

uid_t pipc__posix_peer_uid(int fd) {
  uid_t uid;
  gid_t gid;
  long pid;
  return pipc__posix_peer(fd, &uid, &gid, &pid) == 0 ? uid : (uid_t)-1;
}

int pipc__posix_readable_now(int fd) {
  struct pollfd pfd;
  int r;
  pfd.fd = fd;
  pfd.events = POLLIN;
  pfd.revents = 0;
  do {
    r = poll(&pfd, 1, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return pipc__posix_fail(errno);
  return r > 0;
}

int64_t pipc_os_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pipc__posix_abstime(clockid_t clock, int64_t deadline, struct timespec *ts) {
  int64_t left = deadline - pipc_os_now_ms();
  if (left < 0) left = 0;
  clock_gettime(clock, ts);
  ts->tv_sec += (time_t)(left / 1000);
  ts->tv_nsec += (long)(left % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}

void pipc_os_sleep_ms(int ms) {
  struct timespec ts, rem;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &rem) != 0 && errno == EINTR) ts = rem;
}

void pipc_os_yield(void) { sched_yield(); }

uint64_t pipc_os_entropy(void) {
  static volatile uint32_t counter;
  struct timespec ts;
  uint64_t z;
  clock_gettime(CLOCK_REALTIME, &ts);
  z = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^
      ((uint64_t)ts.tv_sec << 20) ^
      ((uint64_t)pipc__add32(&counter, 1) * 0x9E3779B97F4A7C15ull);
  /* splitmix64 finaliser */
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* ---- threads: one key for pipc's per-thread value, and the fork
   generation ---- */

static pthread_once_t thread_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_key;
static int thread_key_err;
static volatile unsigned fork_gen;

static void thread_key_end(void *value) { pipc__thread_end(value); }
static void fork_child(void) {
  fork_gen++;
  pipc__forked();
}

static void thread_setup(void) {
  thread_key_err = pthread_key_create(&thread_key, thread_key_end);
  pthread_atfork(NULL, NULL, fork_child);
}

void *pipc_os_thread_value(void) {
  pthread_once(&thread_once, thread_setup);
  return thread_key_err ? NULL : pthread_getspecific(thread_key);
}

int pipc_os_thread_value_set(void *value) {
  int err;
  pthread_once(&thread_once, thread_setup);
  if (thread_key_err) return pipc__posix_fail(thread_key_err);
  if ((err = pthread_setspecific(thread_key, value)) != 0) return pipc__posix_fail(err);
  return PIPC_OK;
}

/* Forks are counted from the first pipc_os_thread_value(_set): state
   stamped with a generation exists only after that. */
unsigned pipc_os_fork_generation(void) { return fork_gen; }
