/* posix_mutex_robust.c - the mutex of Lock and Queue as a robust,
   process-shared, error-checking pthread mutex (glibc, musl, FreeBSD >= 11,
   illumos; CMake picks posix_mutex_flock.c where there are none).  A
   holder that dies hands EOWNERDEAD to the next locker, which marks the
   mutex consistent at once: the caller gets the lock and PIPC_EOWNERDEAD,
   repairs its data, and releases as usual. */
#define _GNU_SOURCE
#include "posix.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct pipc_os_mutex {
  pthread_mutex_t *m;
};

size_t pipc_os_mutex_shared_size(void) { return sizeof(pthread_mutex_t); }
uint32_t pipc_os_mutex_abi(void) {
  return 0x504d0000u | (uint32_t)(sizeof(pthread_mutex_t) & 0xffffu); /* "PM" */
}

int pipc_os_mutex_init(const char *name, const pipc_os_map *seg, unsigned slot,
                       void *shared, int create, pipc_os_mutex **out) {
  pipc_os_mutex *m;
  (void)name; (void)seg;
  if (slot >= PIPC__MUTEX_SLOTS) return PIPC_EINVAL;
  m = (pipc_os_mutex *)calloc(1, sizeof(*m));
  if (m == NULL) return PIPC_ENOMEM;
  m->m = (pthread_mutex_t *)shared;
  if (create) {
    pthread_mutexattr_t a;
    int err;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    err = pthread_mutex_init(m->m, &a);
    pthread_mutexattr_destroy(&a);
    if (err != 0) {
      free(m);
      return pipc__posix_fail(err);
    }
  }
  *out = m;
  return PIPC_OK;
}

int pipc_os_mutex_lock(pipc_os_mutex *m, int64_t deadline) {
  int err;
  if (deadline < 0) {
    err = pthread_mutex_lock(m->m);
  } else if (deadline == 0 || deadline <= pipc_os_now_ms()) { /* 0: one try */
    err = pthread_mutex_trylock(m->m);
  } else {
    struct timespec ts;
/* pthread_mutex_clocklock (glibc >= 2.30) waits by the monotonic clock;
   CMake defines PIPC_HAVE_CLOCKLOCK where it exists, but not for the
   posix-generic configuration, nor under ThreadSanitizer, which (LLVM 14)
   does not intercept it and reports its unlock as a misuse. */
#ifdef PIPC_HAVE_CLOCKLOCK
    pipc__posix_abstime(CLOCK_MONOTONIC, deadline, &ts);
    err = pthread_mutex_clocklock(m->m, CLOCK_MONOTONIC, &ts);
#else
    pipc__posix_abstime(CLOCK_REALTIME, deadline, &ts);
    err = pthread_mutex_timedlock(m->m, &ts);
#endif
  }
  switch (err) {
  case 0:
    return PIPC_OK;
  case EOWNERDEAD:
    pthread_mutex_consistent(m->m);
    return PIPC_EOWNERDEAD;
  case EBUSY:
  case ETIMEDOUT:
    return PIPC_ETIMEDOUT;
  case EDEADLK:
    return PIPC_EINVAL; /* this thread holds it already */
  case ENOTRECOVERABLE:
    return pipc__os_fail(PIPC_ECORRUPT, err);
  default:
    return pipc__posix_fail(err);
  }
}

int pipc_os_mutex_unlock(pipc_os_mutex *m) {
  int err = pthread_mutex_unlock(m->m);
  if (err == EPERM) return PIPC_EINVAL; /* not held by this thread */
  return err ? pipc__posix_fail(err) : PIPC_OK;
}

int pipc_os_mutex_try_is_cheap(void) { return 1; /* an atomic in user space */ }

void pipc_os_mutex_close(pipc_os_mutex *m) { free(m); }

/* Nothing is kept beside the segment. */
void pipc__posix_mutex_remove(const char *name, const pipc__posix_scope *sc) {
  (void)name;
  (void)sc;
}

