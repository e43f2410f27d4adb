/* posix_core.c - errors, names, the user's directory, clocks, sleep and
   entropy for the POSIX backend. */
#define _GNU_SOURCE
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <limits.h>
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
  snprintf(buf, PIPC__POSIX_SHM_PATH_MAX, "/pipc.%s", name);
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
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) return pipc__posix_fail(errno);
  return dir_private(dir);
}

int pipc__posix_user_dir(char *dir, size_t cap) {
  const char *x = getenv("XDG_RUNTIME_DIR");
  struct stat st;
  if (x && x[0] == '/' && strlen(x) + 6 + PIPC_NAME_MAX + 8 < sizeof(((struct sockaddr_un *)0)->sun_path) &&
      lstat(x, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid())
    snprintf(dir, cap, "%s/pipc", x);
  else
    snprintf(dir, cap, "/tmp/pipc-%lu", (unsigned long)geteuid());
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) return pipc__posix_fail(errno);
  return dir_private(dir);
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
