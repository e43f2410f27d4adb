/* posix_park_futex.c - sleeping on a word in shared memory, Linux: the
   futex is the word itself (a shared futex: no FUTEX_PRIVATE_FLAG). */
#define _GNU_SOURCE
#include "posix.h"

#include <errno.h>
#include <stdlib.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct pipc_os_park {
  int unused;
};

size_t pipc_os_park_shared_size(void) { return 0; }
uint32_t pipc_os_park_abi(void) { return 0x46555458u; /* "FUTX" */ }

int pipc_os_park_init(const char *name, const pipc_os_map *seg, unsigned slot,
                      void *shared, int create, pipc_os_park **out) {
  (void)name; (void)seg; (void)slot; (void)shared; (void)create;
  *out = (pipc_os_park *)calloc(1, sizeof(**out));
  return *out ? PIPC_OK : PIPC_ENOMEM;
}
int pipc_os_park_polls(void) { return 0; }

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
  PIPC__KERNEL_CALL();
  if (syscall(SYS_futex, word, FUTEX_WAIT, expected, tsp, NULL, 0) != 0) {
    if (errno == ETIMEDOUT) return PIPC_ETIMEDOUT;
    if (errno != EAGAIN && errno != EINTR) return pipc__posix_fail(errno);
  }
  return PIPC_OK;
}

int pipc_os_park_wake(pipc_os_park *p, volatile uint32_t *word, int n) {
  (void)p;
  PIPC__KERNEL_CALL();
  if (syscall(SYS_futex, word, FUTEX_WAKE, n, NULL, NULL, 0) < 0)
    return pipc__posix_fail(errno);
  return PIPC_OK;
}

void pipc_os_park_close(pipc_os_park *p) { free(p); }
