/* posix_park_ulock.c - sleeping on a word in shared memory, macOS: the
   kernel's wait-on-address, os_sync_wait_on_address with
   OS_SYNC_WAIT_ON_ADDRESS_SHARED (macOS 14.4 and later; the public face
   of the ulock calls libc++ and libdispatch use), the word itself being
   the wait queue's key, as a Linux futex is.

   Older macOS has no public call that sleeps on a shared word, and
   unnamed process-shared semaphores (sem_init) fail there with ENOSYS.
   There a sleeper polls its word with growing sleeps - 50 us, doubling to
   1 ms - and a wake is nothing to do.  Cost, stated: a wake-up comes up to
   1 ms late (on average ~0.5 ms once a sleeper has slept 2 ms), and each
   sleeper wakes about 1,000 times a second while it waits.  It keeps
   every crash guarantee (nothing shared is held while sleeping), and needs
   no named kernel object that a killed process could leave behind.

   Which one runs is decided once per process (__builtin_available). */
#include "posix.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

/* The SDK of macOS 14.4 (Xcode 15.3) declares os_sync_*; built with an
   older one, only the fallback is compiled. */
#if defined(__has_include)
#if __has_include(<os/os_sync_wait_on_address.h>)
#include <os/os_sync_wait_on_address.h>
#define PIPC_HAVE_OS_SYNC 1
#endif
#endif
#ifndef PIPC_HAVE_OS_SYNC
#define PIPC_HAVE_OS_SYNC 0
#endif
/* The os_sync_* calls below run only once have_os_sync() said the running
   macOS has them: clang cannot see that check. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wunguarded-availability-new"
#endif

struct pipc_os_park {
  int unused;
};

size_t pipc_os_park_shared_size(void) { return 0; }
uint32_t pipc_os_park_abi(void) { return 0x554c434bu; /* "ULCK" */ }

/* 1: os_sync_* are there (macOS 14.4+); 0: poll.  Decided at first use;
   a race between two first uses decides the same. */
static int have_os_sync(void) {
#if PIPC_HAVE_OS_SYNC
  static int known = -1;
  int v = __atomic_load_n(&known, __ATOMIC_RELAXED);
  if (v < 0) {
    if (__builtin_available(macOS 14.4, *)) v = 1;
    else v = 0;
    __atomic_store_n(&known, v, __ATOMIC_RELAXED);
  }
  return v;
#else
  return 0;
#endif
}

int pipc_os_park_polls(void) { return !have_os_sync(); }

int pipc_os_park_init(const char *name, const pipc_os_map *seg, unsigned slot,
                      void *shared, int create, pipc_os_park **out) {
  (void)name; (void)seg; (void)slot; (void)shared; (void)create;
  *out = (pipc_os_park *)calloc(1, sizeof(**out));
  return *out ? PIPC_OK : PIPC_ENOMEM;
}

/* Older macOS: sleep a slice (growing from 50 us to 1 ms) and look again. */
static int poll_wait(volatile uint32_t *word, uint32_t expected, int64_t deadline) {
  long slice_us = 50;
  for (;;) {
    struct timespec ts;
    if (pipc__load32(word) != expected) return PIPC_OK;
    /* a slice is at most 1 ms: the deadline is kept to about that */
    if (deadline >= 0 && deadline <= pipc_os_now_ms()) return PIPC_ETIMEDOUT;
    ts.tv_sec = 0;
    ts.tv_nsec = slice_us * 1000L;
    PIPC__KERNEL_CALL();
    nanosleep(&ts, NULL); /* EINTR: look again at once */
    if (slice_us < 1000) slice_us = slice_us * 2 > 1000 ? 1000 : slice_us * 2;
  }
}

int pipc_os_park_wait(pipc_os_park *p, volatile uint32_t *word,
                      uint32_t expected, int64_t deadline) {
#if PIPC_HAVE_OS_SYNC
  int r;
#endif
  (void)p;
  if (!have_os_sync()) return poll_wait(word, expected, deadline);
#if PIPC_HAVE_OS_SYNC
  if (pipc__load32(word) != expected) return PIPC_OK;
  PIPC__KERNEL_CALL();
  if (deadline < 0) {
    r = os_sync_wait_on_address((void *)word, expected, sizeof *word,
                                OS_SYNC_WAIT_ON_ADDRESS_SHARED);
  } else {
    int64_t left = deadline - pipc_os_now_ms();
    if (left <= 0) return PIPC_ETIMEDOUT;
    r = os_sync_wait_on_address_with_timeout((void *)word, expected, sizeof *word,
                                             OS_SYNC_WAIT_ON_ADDRESS_SHARED,
                                             OS_CLOCK_MACH_ABSOLUTE_TIME,
                                             (uint64_t)left * 1000000u);
  }
  if (r < 0) {
    if (errno == ETIMEDOUT)
      return deadline >= 0 && pipc_os_now_ms() >= deadline ? PIPC_ETIMEDOUT : PIPC_OK;
    /* EINTR, or the word changed under the call: the caller looks again */
    if (errno != EINTR && errno != EAGAIN) return pipc__posix_fail(errno);
  }
#endif
  return PIPC_OK;
}

int pipc_os_park_wake(pipc_os_park *p, volatile uint32_t *word, int n) {
#if PIPC_HAVE_OS_SYNC
  int r;
#endif
  (void)p;
  (void)word;
  (void)n;
  if (!have_os_sync()) return PIPC_OK; /* sleepers look by themselves */
#if PIPC_HAVE_OS_SYNC
  PIPC__KERNEL_CALL();
  if (n == 1)
    r = os_sync_wake_by_address_any((void *)word, sizeof *word, OS_SYNC_WAKE_BY_ADDRESS_SHARED);
  else
    r = os_sync_wake_by_address_all((void *)word, sizeof *word, OS_SYNC_WAKE_BY_ADDRESS_SHARED);
  if (r < 0 && errno != ENOENT) return pipc__posix_fail(errno); /* ENOENT: nobody slept */
#endif
  return PIPC_OK;
}

void pipc_os_park_close(pipc_os_park *p) { free(p); }
