/* posix_park_sem.c - sleeping on a word in shared memory where there is no
   futex (and in the posix-generic configuration): a process-shared POSIX
   semaphore in the segment. */
#define _GNU_SOURCE
#include "posix.h"

#include <errno.h>
#include <stdlib.h>
#include <semaphore.h>
#include <time.h>

/* An unnamed process-shared POSIX semaphore in the segment is a pool of
 * wake-up tokens: a waker posts one per sleeper it wakes, a sleeper takes
 * one.  Unlike a process-shared condition variable (whose waiter killed
 * mid-wait can block every later signaller in glibc), a semaphore survives
 * any process dying at any instruction: a dead sleeper leaves at most one
 * token, which costs one spurious wake-up later. */

struct pipc_os_park {
  sem_t *sem;
};

size_t pipc_os_park_shared_size(void) { return sizeof(sem_t); }
uint32_t pipc_os_park_abi(void) {
  return 0x53450000u | (uint32_t)(sizeof(sem_t) & 0xffffu); /* "SE" */
}
int pipc_os_park_polls(void) { return 0; }

int pipc_os_park_init(const char *name, const pipc_os_map *seg, unsigned slot,
                      void *shared, int create, pipc_os_park **out) {
  pipc_os_park *p;
  (void)name; (void)seg; (void)slot;
  p = (pipc_os_park *)calloc(1, sizeof(*p));
  if (p == NULL) return PIPC_ENOMEM;
  p->sem = (sem_t *)shared;
  if (create && sem_init(p->sem, 1, 0) != 0) {
    int err = errno;
    free(p);
    return pipc__posix_fail(err);
  }
  *out = p;
  return PIPC_OK;
}

int pipc_os_park_wait(pipc_os_park *p, volatile uint32_t *word,
                      uint32_t expected, int64_t deadline) {
  int r;
  if (pipc__load32(word) != expected) return PIPC_OK;
  PIPC__KERNEL_CALL();
  if (deadline < 0) {
    r = sem_wait(p->sem);
  } else {
    struct timespec ts;
    if (deadline <= pipc_os_now_ms()) return PIPC_ETIMEDOUT;
    pipc__posix_abstime(CLOCK_REALTIME, deadline, &ts);
    r = sem_timedwait(p->sem, &ts);
  }
  if (r != 0) {
    if (errno == ETIMEDOUT)
      return pipc_os_now_ms() >= deadline ? PIPC_ETIMEDOUT : PIPC_OK;
    if (errno != EINTR) return pipc__posix_fail(errno);
  }
  return PIPC_OK;
}

int pipc_os_park_wake(pipc_os_park *p, volatile uint32_t *word, int n) {
  (void)word;
  while (n-- > 0) { /* one call per sleeper: the caller bounds n */
    PIPC__KERNEL_CALL();
    if (sem_post(p->sem) != 0 && errno != EOVERFLOW) return pipc__posix_fail(errno);
  }
  return PIPC_OK;
}

void pipc_os_park_close(pipc_os_park *p) { free(p); }
