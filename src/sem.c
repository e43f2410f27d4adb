/* sem.c - pipc_sem_*: a counting semaphore as one word in shared memory.
 *
 * The count lives in the segment and changes only by compare-and-swap, so an
 * uncontended wait or post makes no system call and a process killed at any
 * instruction leaves a valid count behind.  Sleepers register in `waiters`
 * before their last look at the count; a poster wakes the parking place only
 * when someone is registered.  The bound `max` is checked in the same CAS as
 * the increment: a post past it changes nothing.
 *
 * PIPC_SEM_UNDO (a robust semaphore).  Layout after the parking place: a
 * robust mutex (slot 0 of the object), a liveness registry of SEM_REG_N
 * entries (slots 1.., src/registry.c: a thread that has waited holds one
 * for its life) and held[SEM_REG_N], the units each entry's thread holds.
 * The count and held[] change only under the mutex, each change written
 * to the log first: {entry, the count and held[entry] before}, then
 * log_valid; a thread that dies inside leaves log_valid set, and the next
 * holder of the mutex (told PIPC_EOWNERDEAD) puts both words back.
 * Invariants (checked where read, damage is PIPC_ECORRUPT):
 *  - count + the sum of held[] never exceeds max; every held[e] > 0 belongs
 *    to the thread holding registry entry e, or to a dead one;
 *  - log_valid set only under the mutex, with log_entry < SEM_REG_N or
 *    SEM_NO_ENTRY.
 * A wait that finds the count at 0 checks each entry with held units: a
 * dead holder's (its entry free) go back to the count, and that wait says
 * PIPC_EOWNERDEAD.  A thread that takes an entry a dead thread held
 * returns that thread's units first.  Fault points: PIPC__FAULT_SEM_LOGGED
 * (log written, words not yet changed), PIPC__FAULT_SEM_CHANGED (changed,
 * log still set).
 */
#include "pipc_core.h"

#include <stdlib.h>
#include <string.h>

#define SEM_PARK_OFFSET 128u
#define SEM_REG_N 64u          /* threads that may hold units at once (UNDO) */
#define SEM_NO_ENTRY 0xffffffffu /* log_entry of a change of the count alone */

typedef struct sem_shared {
  pipc__seg_hdr hdr;
  volatile uint32_t count;
  uint32_t max; /* 1..PIPC_SEM_VALUE_MAX */
  volatile uint32_t waiters;
  uint32_t flags; /* PIPC_SEM_UNDO, written once at create */
  /* PIPC_SEM_UNDO: the change being made under the mutex */
  volatile uint32_t log_valid, log_entry, log_count, log_held;
} sem_shared;

struct pipc_sem {
  pipc_os_map map;
  sem_shared *sh;
  pipc_os_park *park;
  uint32_t max;   /* read once at open, checked */
  uint32_t flags; /* read once at open, checked */
  /* PIPC_SEM_UNDO only */
  pipc_os_mutex *mu;
  pipc__registry *reg;
  volatile uint32_t *held; /* [SEM_REG_N] */
  pipc__subs *subs;
  volatile uint32_t *sub_waiters[2]; /* [PIPC__SIDE_IN]: &waiters */
  char name[PIPC_NAME_MAX + 1];
};

static size_t sem_subs_off(void) {
  return PIPC__ALIGN_UP(SEM_PARK_OFFSET + pipc_os_park_shared_size(), 64);
}
static size_t sem_mutex_off(void) {
  return PIPC__ALIGN_UP(sem_subs_off() + sizeof(pipc__subs), 64);
}
static size_t sem_reg_off(void) {
  return PIPC__ALIGN_UP(sem_mutex_off() + pipc_os_mutex_shared_size(), 64);
}
static size_t sem_held_off(void) {
  return PIPC__ALIGN_UP(sem_reg_off() + pipc__registry_size(SEM_REG_N), 64);
}
static size_t sem_size(uint32_t flags) {
  if (flags & PIPC_SEM_UNDO) return PIPC__ALIGN_UP(sem_held_off() + SEM_REG_N * 4u, 64);
  return sem_subs_off() + sizeof(pipc__subs);
}
/* The build's parking and mutex schemes (an UNDO semaphore has both; a
   build with other schemes refuses either kind, as it refuses a queue). */
static uint32_t sem_abi(void) { return pipc_os_park_abi() ^ (pipc_os_mutex_abi() * 31u); }

/* The kernel objects of the segment at s->map (create: set them up). */
static int sem_attach_os(pipc_sem *s, const char *name, int create) {
  char *base = (char *)s->map.base;
  int rc = pipc_os_park_init(name, &s->map, 0, base + SEM_PARK_OFFSET, create, &s->park);
  s->subs = (pipc__subs *)(base + sem_subs_off());
  s->sub_waiters[PIPC__SIDE_IN] = &((sem_shared *)base)->waiters;
  s->sub_waiters[PIPC__SIDE_OUT] = NULL;
  if (rc != PIPC_OK || !(s->flags & PIPC_SEM_UNDO)) return rc;
  rc = pipc_os_mutex_init(name, &s->map, 0, base + sem_mutex_off(), create, &s->mu);
  if (rc == PIPC_OK)
    rc = pipc__registry_attach(name, &s->map, 1, base + sem_reg_off(), SEM_REG_N, create,
                               &s->reg);
  s->held = (volatile uint32_t *)(base + sem_held_off());
  return rc;
}

static void sem_detach_os(pipc_sem *s) {
  if (s->park) pipc_os_park_close(s->park);
  if (s->mu) pipc_os_mutex_close(s->mu);
  s->park = NULL;
  s->mu = NULL;
}

/* Make the semaphore's segment under `name`: everything, the parking place
   included, is ready before the header is published, so an opener never
   sees a half-made semaphore. */
static int sem_make(pipc_sem *s, const char *name, uint32_t initial,
                    const pipc_os_attr *attr) {
  sem_shared *sh;
  int rc = pipc__seg_create(name, sem_size(s->flags), PIPC__KIND_SEM, sizeof(sem_shared),
                            sem_abi(), attr, &s->map);
  if (rc != PIPC_OK) return rc;
  sh = (sem_shared *)s->map.base;
  sh->count = initial;
  sh->max = s->max;
  sh->flags = s->flags;
  rc = sem_attach_os(s, name, 1);
  if (rc != PIPC_OK) {
    sem_detach_os(s);
    if (s->reg) pipc__registry_detach(s->reg, NULL);
    s->reg = NULL;
    pipc__seg_abandon(name, &s->map);
    return rc;
  }
  s->sh = sh;
  pipc__seg_publish(&s->map);
  return PIPC_OK;
}

int pipc_sem_create_attr(const char *name, unsigned initial, unsigned max, int flags,
                         const pipc_attr *attr, pipc_sem **out) {
  pipc__namer n;
  pipc_sem *s;
  pipc_os_attr buf;
  const pipc_os_attr *oa;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if ((rc = pipc__attr_check(attr, PIPC__ATTR_SEGMENT, &buf, &oa)) != PIPC_OK) return rc;
  if (max > PIPC_SEM_VALUE_MAX || initial > PIPC_SEM_VALUE_MAX ||
      (max != 0 && initial > max) || (flags & ~PIPC_SEM_UNDO) != 0)
    return PIPC_EINVAL;
  s = (pipc_sem *)calloc(1, sizeof(*s));
  if (s == NULL) return PIPC_ENOMEM;
  s->max = max ? max : PIPC_SEM_VALUE_MAX;
  s->flags = (uint32_t)flags;
  pipc__namer_start(&n, name, s->name, PIPC__NAME_SEGMENT);
  while ((rc = pipc__namer_next(&n)) == PIPC_OK) {
    rc = sem_make(s, s->name, initial, oa);
    if (!pipc__namer_retry(&n, rc)) break;
  }
  if (rc != PIPC_OK) {
    free(s);
    return rc;
  }
  *out = s;
  return PIPC_OK;
}

int pipc_sem_create_ex(const char *name, unsigned initial, unsigned max, int flags,
                       pipc_sem **out) {
  return pipc_sem_create_attr(name, initial, max, flags, NULL, out);
}

int pipc_sem_create(const char *name, unsigned initial, unsigned max, pipc_sem **out) {
  return pipc_sem_create_ex(name, initial, max, 0, out);
}

int pipc_sem_open(const char *name, pipc_sem **out) {
  return pipc_sem_open_attr(name, NULL, out);
}

int pipc_sem_open_attr(const char *name, const pipc_attr *attr, pipc_sem **out) {
  pipc_sem *s;
  pipc_os_attr buf;
  const pipc_os_attr *oa;
  uint32_t max, flags;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if (pipc_name_check(name) != PIPC_OK) return PIPC_EINVAL;
  if ((rc = pipc__attr_check(attr, PIPC__ATTR_SEGMENT, &buf, &oa)) != PIPC_OK) return rc;
  s = (pipc_sem *)calloc(1, sizeof(*s));
  if (s == NULL) return PIPC_ENOMEM;
  strcpy(s->name, name);
  rc = pipc__seg_open(name, PIPC__KIND_SEM, sizeof(sem_shared), sem_abi(), sem_size(0), oa,
                      &s->map);
  if (rc == PIPC_OK) {
    /* read once, then checked */
    max = ((sem_shared *)s->map.base)->max;
    flags = ((sem_shared *)s->map.base)->flags;
    if (max == 0 || max > PIPC_SEM_VALUE_MAX || (flags & ~(uint32_t)PIPC_SEM_UNDO) ||
        s->map.size < sem_size(flags)) {
      pipc_os_shm_unmap(&s->map);
      rc = PIPC_ECORRUPT;
    } else {
      s->max = max;
      s->flags = flags;
      s->sh = (sem_shared *)s->map.base;
      rc = sem_attach_os(s, name, 0);
      if (rc != PIPC_OK) {
        sem_detach_os(s);
        if (s->reg) pipc__registry_detach(s->reg, &s->map);
        else pipc_os_shm_unmap(&s->map);
      }
    }
  }
  if (rc != PIPC_OK) {
    free(s);
    return rc;
  }
  *out = s;
  return PIPC_OK;
}

/* Units came: wake up to n sleepers, and signal the subscribers.  The
   look at `waiters` (sleepers and armed subscribers, src/subs.c) is all a
   post pays when nobody waits. */
static int sem_wake(pipc_sem *s, int n) {
  uint32_t w = pipc__load32(&s->sh->waiters);
  if (w == 0) return PIPC_OK;
  if (w >= PIPC__SUB_UNIT) pipc__subs_wake(s->subs, PIPC__SIDE_IN, s->sub_waiters);
  if (PIPC__SLEEPERS(w) == 0) return PIPC_OK;
  return pipc_os_park_wake(s->park, &s->sh->count, n);
}

/* One attempt to take a unit without sleeping. */
static int sem_try(sem_shared *sh) {
  uint32_t c = pipc__load32(&sh->count);
  while (c > 0) {
    if (pipc__cas32(&sh->count, &c, c - 1)) return 1;
  }
  return 0;
}

/* ---- PIPC_SEM_UNDO: count and held[] under the mutex, with a log ---- */

/* Put back the change a dead holder of the mutex left half made. */
static int undo_log(pipc_sem *s) {
  sem_shared *sh = s->sh;
  uint32_t e, c, h;
  if (!pipc__load32(&sh->log_valid)) return PIPC_OK;
  e = pipc__load32(&sh->log_entry);
  c = pipc__load32(&sh->log_count);
  h = pipc__load32(&sh->log_held);
  if ((e >= SEM_REG_N && e != SEM_NO_ENTRY) || c > s->max || h > s->max) return PIPC_ECORRUPT;
  pipc__store32(&sh->count, c);
  if (e != SEM_NO_ENTRY) pipc__store32(&s->held[e], h);
  pipc__store32(&sh->log_valid, 0);
  return PIPC_OK;
}

static int undo_lock(pipc_sem *s, int64_t deadline) {
  int rc = pipc_os_mutex_lock(s->mu, deadline);
  if (rc == PIPC_EOWNERDEAD) {
    rc = undo_log(s);
    if (rc != PIPC_OK) pipc_os_mutex_unlock(s->mu);
  }
  return rc;
}

/* The mutex is held for a moment at a time: a wait of any timeout (0
   included) waits for it up to SEM_LOCK_WAIT_MS at least, its own deadline
   if later.  PIPC_ETIMEDOUT only if a holder keeps it that long (stopped). */
#define SEM_LOCK_WAIT_MS 100
static int undo_lock_for(pipc_sem *s, int64_t deadline) {
  if (deadline >= 0) {
    int64_t soon = pipc_os_now_ms() + SEM_LOCK_WAIT_MS;
    if (deadline < soon) deadline = soon;
  }
  return undo_lock(s, deadline);
}

/* Set the count to c and held[e] to h (e SEM_NO_ENTRY: the count alone),
   logged first.  Under the mutex. */
static void undo_change(pipc_sem *s, uint32_t e, uint32_t c, uint32_t h) {
  sem_shared *sh = s->sh;
  pipc__store32(&sh->log_entry, e);
  pipc__store32(&sh->log_count, pipc__load32(&sh->count));
  pipc__store32(&sh->log_held, e == SEM_NO_ENTRY ? 0 : pipc__load32(&s->held[e]));
  pipc__store32(&sh->log_valid, 1);
  PIPC__FAULT(PIPC__FAULT_SEM_LOGGED);
  pipc__store32(&sh->count, c);
  if (e != SEM_NO_ENTRY) pipc__store32(&s->held[e], h);
  PIPC__FAULT(PIPC__FAULT_SEM_CHANGED);
  pipc__store32(&sh->log_valid, 0);
}

/* The units held[e] go back to the count (its thread is gone).  Under the
   mutex: 1 if there were any, 0 if not, or PIPC_ECORRUPT. */
static int undo_give_back(pipc_sem *s, uint32_t e) {
  uint32_t h = pipc__load32(&s->held[e]), c = pipc__load32(&s->sh->count);
  if (h == 0) return 0;
  if (h > s->max || c > s->max - h) return PIPC_ECORRUPT; /* more than max in all */
  undo_change(s, e, c + h, 0);
  return 1;
}

/* Units came back to the count: sleepers look again. */
static void undo_wake(pipc_sem *s) { sem_wake(s, (int)SEM_REG_N); }

/* The units every thread holds, in all (under the mutex); more than max is
   damage: PIPC_ECORRUPT. */
static int undo_held_sum(pipc_sem *s, uint32_t *sum) {
  uint32_t e, t = 0;
  for (e = 0; e < SEM_REG_N; e++) {
    uint32_t h = pipc__load32(&s->held[e]);
    if (h > s->max || t > s->max - h) return PIPC_ECORRUPT;
    t += h;
  }
  *sum = t;
  return PIPC_OK;
}

/* This thread's entry; one a dead thread held gives back its units first. */
static int undo_me(pipc_sem *s, uint32_t *me, int64_t deadline, int *died) {
  unsigned e;
  int fresh, rc = pipc__registry_me(s->reg, &e, &fresh, NULL);
  if (rc != PIPC_OK) return rc;
  *me = e;
  if (fresh) { /* read under the mutex: a log its last holder left may change it */
    if ((rc = undo_lock_for(s, deadline)) != PIPC_OK) return rc;
    rc = undo_give_back(s, e);
    pipc_os_mutex_unlock(s->mu);
    if (rc < 0) return rc;
    if (rc > 0) undo_wake(s);
    *died |= rc;
  }
  return PIPC_OK;
}

/* Under the mutex, the count at 0: every entry with units whose thread is
   gone gives them back.  1 if any did, 0 if not, or an error. */
static int undo_reclaim(pipc_sem *s, uint32_t me) {
  uint32_t e;
  int any = 0, rc;
  for (e = 0; e < SEM_REG_N; e++) {
    if (e == me || pipc__load32(&s->held[e]) == 0) continue;
    rc = pipc__registry_check(s->reg, e);
    if (rc == 1 || rc == 2) continue; /* alive (2: this thread, another handle) */
    if (rc < 0) return rc;
    rc = undo_give_back(s, e); /* entry e is ours for the moment */
    pipc__registry_let_go(s->reg, e);
    if (rc < 0) return rc;
    any |= rc;
  }
  return any;
}

/* One try to take a unit for this thread: 1 taken, 0 none, or an error;
   *died set if a dead holder's units came back on the way. */
static int undo_try(pipc_sem *s, uint32_t me, int64_t deadline, int *died) {
  uint32_t c, h;
  int rc = undo_lock_for(s, deadline);
  if (rc == PIPC_ETIMEDOUT) return 0; /* nothing taken by the deadline */
  if (rc != PIPC_OK) return rc;
  c = pipc__load32(&s->sh->count);
  if (c == 0) {
    if ((rc = undo_reclaim(s, me)) < 0) {
      pipc_os_mutex_unlock(s->mu);
      return rc;
    }
    *died |= rc;
    c = pipc__load32(&s->sh->count);
    if (rc > 0 && c > 1) undo_wake(s); /* more came back than this wait takes */
  }
  h = pipc__load32(&s->held[me]);
  if (c > s->max || h > s->max) {
    pipc_os_mutex_unlock(s->mu);
    return PIPC_ECORRUPT;
  }
  if (c > 0) undo_change(s, me, c - 1, h + 1);
  pipc_os_mutex_unlock(s->mu);
  return c > 0;
}

static int undo_wait(pipc_sem *s, int timeout_ms, int64_t deadline) {
  sem_shared *sh = s->sh;
  uint32_t me;
  int died = 0, rc;
  if ((rc = undo_me(s, &me, deadline, &died)) != PIPC_OK)
    return rc == PIPC_ETIMEDOUT ? PIPC__EXPIRED(timeout_ms) : rc;
  if ((rc = undo_try(s, me, deadline, &died)) != 0)
    return rc < 0 ? rc : died ? PIPC_EOWNERDEAD : PIPC_OK;
  if (timeout_ms == 0) return PIPC_EAGAIN;
  pipc__add32(&sh->waiters, 1);
  for (;;) {
    uint32_t seen = pipc__load32(&sh->count);
    if ((rc = undo_try(s, me, deadline, &died)) != 0) {
      if (rc > 0) rc = died ? PIPC_EOWNERDEAD : PIPC_OK;
      break;
    }
    if (deadline >= 0 && pipc_os_now_ms() >= deadline) {
      rc = PIPC_ETIMEDOUT;
      break;
    }
    /* asleep in slices: each ends in another look for dead holders */
    rc = pipc__park(s->park, &sh->count, seen, deadline);
    if (rc != PIPC_OK && rc != PIPC_ETIMEDOUT) break;
  }
  pipc__add32(&sh->waiters, -1);
  return rc == PIPC_ETIMEDOUT ? PIPC__EXPIRED(timeout_ms) : rc;
}

static int undo_post(pipc_sem *s) {
  sem_shared *sh = s->sh;
  unsigned me = SEM_NO_ENTRY;
  uint64_t *local;
  uint32_t c, h = 0;
  int rc = undo_lock(s, -1);
  if (rc != PIPC_OK) return rc;
  if (pipc__registry_mine(s->reg, &me, &local) == 0) me = SEM_NO_ENTRY;
  else h = pipc__load32(&s->held[me]);
  c = pipc__load32(&sh->count);
  if (c > s->max || h > s->max) {
    rc = PIPC_ECORRUPT;
  } else if (h > 0) {
    undo_change(s, me, c + 1, h - 1); /* one of its own back */
  } else {
    /* a new unit: the units in all (free and held) stay within max */
    uint32_t held = 0;
    if ((rc = undo_held_sum(s, &held)) == PIPC_OK) {
      if (c > s->max - held || c + held >= s->max) rc = PIPC_EOVERFLOW;
      else undo_change(s, SEM_NO_ENTRY, c + 1, 0);
    }
  }
  pipc_os_mutex_unlock(s->mu);
  if (rc != PIPC_OK) return rc;
  return sem_wake(s, 1);
}

/* ---- both kinds ---- */

int pipc_sem_wait(pipc_sem *s, int timeout_ms) {
  sem_shared *sh;
  int64_t deadline;
  int rc;
  if (s == NULL) return PIPC_EINVAL;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  if (s->flags & PIPC_SEM_UNDO) return undo_wait(s, timeout_ms, deadline);
  sh = s->sh;
  if (sem_try(sh)) return PIPC_OK;
  if (timeout_ms == 0) return PIPC_EAGAIN;

  pipc__add32(&sh->waiters, 1);
  for (;;) {
    if (sem_try(sh)) {
      rc = PIPC_OK;
      break;
    }
    if (deadline >= 0 && pipc_os_now_ms() >= deadline) {
      rc = PIPC_ETIMEDOUT;
      break;
    }
    rc = pipc__park(s->park, &sh->count, 0, deadline);
    if (rc != PIPC_OK && rc != PIPC_ETIMEDOUT) break;
  }
  pipc__add32(&sh->waiters, -1);
  return rc;
}

int pipc_sem_post(pipc_sem *s) {
  sem_shared *sh;
  uint32_t c;
  if (s == NULL) return PIPC_EINVAL;
  if (s->flags & PIPC_SEM_UNDO) return undo_post(s);
  sh = s->sh;
  c = pipc__load32(&sh->count);
  do {
    if (c >= s->max) return PIPC_EOVERFLOW;
  } while (!pipc__cas32(&sh->count, &c, c + 1));
  return sem_wake(s, 1);
}

int pipc_sem_value(pipc_sem *s, unsigned *out) {
  if (s == NULL || out == NULL) return PIPC_EINVAL;
  *out = pipc__load32(&s->sh->count);
  return PIPC_OK;
}

int pipc_sem_max(pipc_sem *s, unsigned *out) {
  if (s == NULL || out == NULL) return PIPC_EINVAL;
  *out = s->max; /* read and checked at open */
  return PIPC_OK;
}

/* ---- readiness, for pipc_wait and pipc_watch (src/wait.c) ---- */

void pipc__sem_watched(pipc_sem *s, pipc__watched *w) {
  w->subs = s->subs;
  w->waiters[PIPC__SIDE_IN] = s->sub_waiters[PIPC__SIDE_IN];
  w->waiters[PIPC__SIDE_OUT] = NULL;
}

/* A unit to take; with PIPC_SEM_UNDO at a count of 0, also units a dead
   thread held (a wait would take one back: PIPC_EOWNERDEAD).  Nothing is
   taken or given back here. */
int pipc__sem_ready(pipc_sem *s, unsigned *revents) {
  uint32_t c = pipc__load32(&s->sh->count), e;
  *revents = 0;
  if (c > s->max) return PIPC_ECORRUPT;
  if (c > 0) {
    *revents = PIPC_WAIT_IN;
    return PIPC_OK;
  }
  if (!(s->flags & PIPC_SEM_UNDO)) return PIPC_OK;
  for (e = 0; e < SEM_REG_N; e++) {
    int rc;
    if (pipc__load32(&s->held[e]) == 0) continue;
    rc = pipc__registry_check(s->reg, e);
    if (rc == 1 || rc == 2) continue; /* alive */
    if (rc < 0) return rc;
    pipc__registry_let_go(s->reg, e); /* the wait repairs it */
    *revents = PIPC_WAIT_IN;
    break;
  }
  return PIPC_OK;
}

const char *pipc_sem_name(const pipc_sem *s) { return s ? s->name : NULL; }

int pipc_sem_close(pipc_sem *s) {
  unsigned me;
  uint64_t *local;
  if (s == NULL) return PIPC_EINVAL;
  if (s->flags & PIPC_SEM_UNDO) {
    /* the closing thread's units go back, as if it had ended */
    if (pipc__registry_mine(s->reg, &me, &local) && pipc__load32(&s->held[me]) != 0 &&
        undo_lock(s, -1) == PIPC_OK) {
      int back = undo_give_back(s, me);
      pipc_os_mutex_unlock(s->mu);
      if (back > 0) undo_wake(s);
    }
    sem_detach_os(s);
    /* the mapping stays while other threads hold registry entries through
       this handle */
    pipc__registry_detach(s->reg, &s->map);
  } else {
    sem_detach_os(s);
    pipc_os_shm_unmap(&s->map);
  }
  free(s);
  return PIPC_OK;
}

int pipc_sem_unlink(const char *name) { return pipc__unlink(name, PIPC_KIND_SEMAPHORE); }
