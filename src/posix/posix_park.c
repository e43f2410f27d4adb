/* posix_park.c - sleeping on a word in shared memory.
 * Linux: the futex is the word itself.  Elsewhere: a robust process-shared
 * mutex and condition variable in the segment; the word is checked under the
 * mutex, and every sleep is cut into slices so that a waker lost to a killed
 * process costs a bounded delay, never a hang. */
#define _GNU_SOURCE
#include "posix.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#if PIPC_USE_LINUX
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

struct pipc_os_park {
  int unused;
};

size_t pipc_os_park_shared_size(void) { return 0; }
uint32_t pipc_os_park_abi(void) { return 0x46555458u; /* "FUTX" */ }

int pipc_os_park_init(const char *name, unsigned slot, void *shared, int create,
                      pipc_os_park **out) {
  (void)name; (void)slot; (void)shared; (void)create;
  *out = (pipc_os_park *)calloc(1, sizeof(**out));
  return *out ? PIPC_OK : PIPC_ENOMEM;
}

int pipc_os_park_wait(pipc_os_park *p, volatile uint32_t *word,
                      uint32_t expected, int64_t deadline) {
  struct timespec ts, *tsp = NULL;
  (void)p;
  if (deadline >= 0) {
    int64_t left = deadline - pipc_os_now_ms();
    if (left <= 0) return PIPC_ETIMEDOUT;
    ts.tv_sec = (time_t)(left / 1000);
    ts.tv_nsec = (long)(left % 1000) * 1000000L;
    tsp = &ts;
  }
  /* Shared futex (no FUTEX_PRIVATE_FLAG): the word is in shared memory. */
  if (syscall(SYS_futex, word, FUTEX_WAIT, expected, tsp, NULL, 0) != 0) {
    if (errno == ETIMEDOUT) return PIPC_ETIMEDOUT;
    if (errno != EAGAIN && errno != EINTR) return pipc__posix_fail(errno);
  }
  return PIPC_OK;
}

int pipc_os_park_wake(pipc_os_park *p, volatile uint32_t *word, int n) {
  (void)p;
  if (syscall(SYS_futex, word, FUTEX_WAKE, n, NULL, NULL, 0) < 0)
    return pipc__posix_fail(errno);
  return PIPC_OK;
}

void pipc_os_park_close(pipc_os_park *p) { free(p); }

#else /* portable POSIX */

/* Longest single sleep: bounds the delay if a wake-up is ever lost. */
#define PARK_SLICE_MS 200

typedef struct park_shared {
  pthread_mutex_t m;
  pthread_cond_t c;
} park_shared;

struct pipc_os_park {
  park_shared *sh;
  clockid_t clock;
};

size_t pipc_os_park_shared_size(void) { return sizeof(park_shared); }
uint32_t pipc_os_park_abi(void) {
  return 0x43560000u | (uint32_t)(sizeof(park_shared) & 0xffffu); /* "CV" */
}

static clockid_t park_clock(void) {
#if defined(_POSIX_CLOCK_SELECTION) && _POSIX_CLOCK_SELECTION > 0 && !defined(__APPLE__)
  return CLOCK_MONOTONIC;
#else
  return CLOCK_REALTIME;
#endif
}

int pipc_os_park_init(const char *name, unsigned slot, void *shared, int create,
                      pipc_os_park **out) {
  pipc_os_park *p;
  (void)name; (void)slot;
  p = (pipc_os_park *)calloc(1, sizeof(*p));
  if (p == NULL) return PIPC_ENOMEM;
  p->sh = (park_shared *)shared;
  p->clock = park_clock();
  if (create) {
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    int err;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
#if PIPC_HAVE_ROBUST
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
#endif
    err = pthread_mutex_init(&p->sh->m, &ma);
    pthread_mutexattr_destroy(&ma);
    if (err == 0) {
      pthread_condattr_init(&ca);
      pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
#if defined(_POSIX_CLOCK_SELECTION) && _POSIX_CLOCK_SELECTION > 0 && !defined(__APPLE__)
      pthread_condattr_setclock(&ca, p->clock);
#endif
      err = pthread_cond_init(&p->sh->c, &ca);
      pthread_condattr_destroy(&ca);
    }
    if (err != 0) {
      free(p);
      return pipc__posix_fail(err);
    }
  }
  *out = p;
  return PIPC_OK;
}

static void park_lock(park_shared *sh) {
  int err = pthread_mutex_lock(&sh->m);
#if PIPC_HAVE_ROBUST
  /* The dead holder was only looking at the word: nothing to repair. */
  if (err == EOWNERDEAD) pthread_mutex_consistent(&sh->m);
#else
  (void)err;
#endif
}

int pipc_os_park_wait(pipc_os_park *p, volatile uint32_t *word,
                      uint32_t expected, int64_t deadline) {
  int64_t now = pipc_os_now_ms(), until = now + PARK_SLICE_MS;
  struct timespec ts;
  int err;
  if (deadline >= 0) {
    if (deadline <= now) return PIPC_ETIMEDOUT;
    if (deadline < until) until = deadline;
  }
  pipc__posix_abstime(p->clock, until, &ts);
  park_lock(p->sh);
  if (pipc__load32(word) == expected) {
    err = pthread_cond_timedwait(&p->sh->c, &p->sh->m, &ts);
#if PIPC_HAVE_ROBUST
    if (err == EOWNERDEAD) pthread_mutex_consistent(&p->sh->m);
#endif
  }
  pthread_mutex_unlock(&p->sh->m);
  if (deadline >= 0 && pipc_os_now_ms() >= deadline) return PIPC_ETIMEDOUT;
  return PIPC_OK;
}

int pipc_os_park_wake(pipc_os_park *p, volatile uint32_t *word, int n) {
  (void)word;
  park_lock(p->sh);
  if (n == 1)
    pthread_cond_signal(&p->sh->c);
  else
    pthread_cond_broadcast(&p->sh->c);
  pthread_mutex_unlock(&p->sh->m);
  return PIPC_OK;
}

void pipc_os_park_close(pipc_os_park *p) { free(p); }

#endif
