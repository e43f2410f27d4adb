/* lock.c - pipc_lock_*: a robust mutex in a typed segment.  The backend owns
 * the mutex (pthread robust mutex / file lock / Win32 named mutex); this file
 * owns the segment, the arguments and the timeouts, and what pipc_wait needs
 * to see a Lock become free.
 *
 * Layout: the typed-segment header; the backend's mutex at 64; then the
 * state words (lock_state) and the subscribers (src/subs.c).
 *   held        1 from an acquire to the release: a look at it tells a free
 *               lock without touching the mutex;
 *   dead_noted  a look (pipc__lock_ready) took the mutex from a dead
 *               holder: the next acquire reports PIPC_EOWNERDEAD, as the
 *               backend would have;
 *   waiters     armed subscribers (PIPC__SUB_UNIT each), read by release.
 * Invariants: held and dead_noted are 0 or 1 (anything else: a look says
 * the lock is broken, PIPC_ECORRUPT).  held is a hint: a holder that dies
 * leaves it 1 - a look that finds it set tries the mutex once, and takes
 * it from a dead holder (noting the death, then letting it go); a look
 * killed in between leaves the mutex with a dead holder again, which the
 * next locker is told of by the backend. */
#include "pipc_core.h"

#include <stdlib.h>
#include <string.h>

#define LOCK_MUTEX_OFFSET 64u

typedef struct lock_state {
  volatile uint32_t held, dead_noted, waiters;
  uint32_t reserved[13];
} lock_state;

struct pipc_lock {
  pipc_os_map map;
  pipc_os_mutex *m;
  lock_state *st;
  pipc__subs *subs;
  volatile uint32_t *sub_waiters[2];
  char name[PIPC_NAME_MAX + 1];
};

static size_t lock_state_off(void) {
  return LOCK_MUTEX_OFFSET + PIPC__ALIGN_UP(pipc_os_mutex_shared_size(), 64);
}
static size_t lock_subs_off(void) { return lock_state_off() + sizeof(lock_state); }
static size_t lock_size(void) { return lock_subs_off() + sizeof(pipc__subs); }

static void lock_bind(pipc_lock *l) {
  l->st = (lock_state *)((char *)l->map.base + lock_state_off());
  l->subs = (pipc__subs *)((char *)l->map.base + lock_subs_off());
  l->sub_waiters[PIPC__SIDE_IN] = &l->st->waiters;
  l->sub_waiters[PIPC__SIDE_OUT] = NULL;
}

/* Make the lock's segment under `name`: the mutex is set up before the
   header is published, so an opener never sees a half-made one. */
static int lock_make(pipc_lock *l, const char *name, const pipc_os_attr *attr) {
  int rc = pipc__seg_create(name, lock_size(), PIPC__KIND_LOCK, 64,
                            pipc_os_mutex_abi(), attr, &l->map);
  if (rc != PIPC_OK) return rc;
  lock_bind(l);
  rc = pipc_os_mutex_init(name, &l->map, 0, (char *)l->map.base + LOCK_MUTEX_OFFSET, 1,
                          &l->m);
  if (rc != PIPC_OK) {
    pipc__seg_abandon(name, &l->map);
    return rc;
  }
  pipc__seg_publish(&l->map);
  return PIPC_OK;
}

int pipc_lock_create_attr(const char *name, const pipc_attr *attr, pipc_lock **out) {
  pipc__namer n;
  pipc_lock *l;
  pipc_os_attr buf;
  const pipc_os_attr *oa;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if ((rc = pipc__attr_check(attr, PIPC__ATTR_SEGMENT, &buf, &oa)) != PIPC_OK) return rc;
  l = (pipc_lock *)calloc(1, sizeof(*l));
  if (l == NULL) return PIPC_ENOMEM;
  pipc__namer_start(&n, name, l->name, PIPC__NAME_SEGMENT);
  while ((rc = pipc__namer_next(&n)) == PIPC_OK) {
    rc = lock_make(l, l->name, oa);
    if (!pipc__namer_retry(&n, rc)) break;
  }
  if (rc != PIPC_OK) {
    free(l);
    return rc;
  }
  *out = l;
  return PIPC_OK;
}

int pipc_lock_create(const char *name, pipc_lock **out) {
  return pipc_lock_create_attr(name, NULL, out);
}

int pipc_lock_open(const char *name, pipc_lock **out) {
  return pipc_lock_open_attr(name, NULL, out);
}

int pipc_lock_open_attr(const char *name, const pipc_attr *attr, pipc_lock **out) {
  pipc_lock *l;
  pipc_os_attr buf;
  const pipc_os_attr *oa;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if (pipc_name_check(name) != PIPC_OK) return PIPC_EINVAL;
  if ((rc = pipc__attr_check(attr, PIPC__ATTR_SEGMENT, &buf, &oa)) != PIPC_OK) return rc;
  l = (pipc_lock *)calloc(1, sizeof(*l));
  if (l == NULL) return PIPC_ENOMEM;
  strcpy(l->name, name);
  rc = pipc__seg_open(name, PIPC__KIND_LOCK, 64, pipc_os_mutex_abi(), lock_size(), oa,
                      &l->map);
  if (rc == PIPC_OK) {
    lock_bind(l);
    rc = pipc_os_mutex_init(name, &l->map, 0, (char *)l->map.base + LOCK_MUTEX_OFFSET, 0,
                            &l->m);
    if (rc != PIPC_OK) pipc_os_shm_unmap(&l->map);
  }
  if (rc != PIPC_OK) {
    free(l);
    return rc;
  }
  *out = l;
  return PIPC_OK;
}

int pipc_lock_acquire(pipc_lock *l, int timeout_ms) {
  int64_t deadline;
  int rc;
  if (l == NULL) return PIPC_EINVAL;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  rc = pipc_os_mutex_lock(l->m, deadline);
  if (rc == PIPC_ETIMEDOUT) return PIPC__EXPIRED(timeout_ms);
  if (rc != PIPC_OK && rc != PIPC_EOWNERDEAD) return rc;
  /* A look took it from a dead holder before us: that death is ours to
     hear of (once). */
  if (pipc__load32(&l->st->dead_noted)) {
    uint32_t one = 1;
    if (pipc__cas32(&l->st->dead_noted, &one, 0)) rc = PIPC_EOWNERDEAD;
  }
  pipc__hint_store(&l->st->held, 1); /* a hint: looks check it with a try */
  return rc;
}

/* The lock became free: signal its subscribers, if any are armed (one load
   when there are none). */
static void lock_wake(pipc_lock *l) {
  if (pipc__load32(&l->st->waiters) >= PIPC__SUB_UNIT)
    pipc__subs_wake(l->subs, PIPC__SIDE_IN, l->sub_waiters);
}

int pipc_lock_release(pipc_lock *l) {
  int rc;
  if (l == NULL) return PIPC_EINVAL;
  /* held = 0, the unlock, then the look at the subscribers: a subscriber
     arms (a locked add to waiters), then looks at held.  The unlock orders
     the store before the load on every backend - a locked instruction
     (glibc on x86), a release store then an acquire load (ARMv8), a
     system call (Win32, flock) - so either the look sees the lock free or
     lock_wake sees the unit.  Relaxed, so the uncontended path gains no
     locked instruction. */
  pipc__hint_store(&l->st->held, 0);
  rc = pipc_os_mutex_unlock(l->m);
  if (rc != PIPC_OK) {
    pipc__hint_store(&l->st->held, 1); /* not this thread's to release: still held
                                          (or free: a look's try sets it right) */
    return rc;
  }
  lock_wake(l);
  return PIPC_OK;
}

/* ---- readiness, for pipc_wait and pipc_watch (src/wait.c) ---- */

void pipc__lock_watched(pipc_lock *l, pipc__watched *w) {
  w->subs = l->subs;
  w->waiters[PIPC__SIDE_IN] = l->sub_waiters[PIPC__SIDE_IN];
  w->waiters[PIPC__SIDE_OUT] = NULL;
}

/* Free, or held by a thread that died (an acquire would not wait).  Not
   ready for the thread that holds it. */
int pipc__lock_ready(pipc_lock *l, unsigned *revents) {
  uint32_t held = pipc__load32(&l->st->held), dead = pipc__load32(&l->st->dead_noted);
  int rc;
  *revents = 0;
  if (held > 1 || dead > 1) return PIPC_ECORRUPT;
  if (held == 0) {
    *revents = PIPC_WAIT_IN;
    return PIPC_OK;
  }
  /* Held - by a live thread?  One try tells; a dead holder's mutex is then
     ours for a moment: its death is noted for the next acquire, and the
     lock let go (free, and its subscribers told). */
  rc = pipc_os_mutex_lock(l->m, 0);
  if (rc == PIPC_ETIMEDOUT || rc == PIPC_EINVAL) return PIPC_OK; /* held (by us: EINVAL) */
  if (rc != PIPC_OK && rc != PIPC_EOWNERDEAD) return rc;
  if (rc == PIPC_EOWNERDEAD) pipc__store32(&l->st->dead_noted, 1);
  pipc__store32(&l->st->held, 0);
  pipc_os_mutex_unlock(l->m);
  lock_wake(l);
  *revents = PIPC_WAIT_IN;
  return PIPC_OK;
}

/* The look of pipc__lock_ready, told as a state: held by a live thread
   (not ready), free, or free with a dead holder's death noted for the
   next acquire (the look notes it, or an earlier one did). */
int pipc_lock_state(pipc_lock *l, int *state) {
  unsigned revents;
  uint32_t dead;
  int rc;
  if (l == NULL || state == NULL) return PIPC_EINVAL;
  if ((rc = pipc__lock_ready(l, &revents)) != PIPC_OK) return rc;
  if (!(revents & PIPC_WAIT_IN)) {
    *state = PIPC_LOCK_HELD;
    return PIPC_OK;
  }
  dead = pipc__load32(&l->st->dead_noted);
  if (dead > 1) return PIPC_ECORRUPT;
  *state = dead ? PIPC_LOCK_OWNER_DEAD : PIPC_LOCK_FREE;
  return PIPC_OK;
}

const char *pipc_lock_name(const pipc_lock *l) { return l ? l->name : NULL; }

int pipc_lock_close(pipc_lock *l) {
  if (l == NULL) return PIPC_EINVAL;
  pipc_os_mutex_close(l->m);
  pipc_os_shm_unmap(&l->map);
  free(l);
  return PIPC_OK;
}

int pipc_lock_unlink(const char *name) { return pipc__unlink(name, PIPC_KIND_LOCK); }

int pipc__lock_exclusive(const char *name, pipc_lock **out) {
  int rc = PIPC_ENOENT, tries;
  *out = NULL;
  for (tries = 0; tries < 8 && rc != PIPC_OK; tries++) { /* made or removed meanwhile: again */
    rc = pipc_lock_open(name, out);
    if (rc == PIPC_ENOENT) rc = pipc_lock_create(name, out);
    if (rc != PIPC_OK && rc != PIPC_ENOENT && rc != PIPC_EEXIST) return rc;
  }
  if (rc != PIPC_OK) return rc;
  /* a moment, not 0: pipc ls / info take a Lock for an instant to look at it */
  rc = pipc_lock_acquire(*out, 250);
  if (rc == PIPC_ETIMEDOUT) rc = PIPC_EAGAIN;
  if (rc == PIPC_EOWNERDEAD) rc = PIPC_OK; /* its last holder died: this is its successor */
  if (rc != PIPC_OK) {
    pipc_lock_close(*out);
    *out = NULL;
  }
  return rc;
}
