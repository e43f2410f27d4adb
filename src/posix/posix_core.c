/* posix_core.c - errors, clocks, sleep and entropy for the POSIX backend. */
#define _GNU_SOURCE
#include "posix.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
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
  snprintf(buf, PIPC_POSIX_SHM_PATH_MAX, "/pipc.%s", name);
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

int pipc_os_ncpu(void) {
#if defined(__linux__) && defined(CPU_COUNT)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return CPU_COUNT(&set);
#endif
  {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
  }
}

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
