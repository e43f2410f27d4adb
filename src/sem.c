/* sem.c - pipc_sem_*: a counting semaphore as one word in shared memory.
 *
 * The count lives in the segment and changes only by compare-and-swap, so an
 * uncontended wait or post makes no system call and a process killed at any
 * instruction leaves a valid count behind.  Sleepers register in `waiters`
 * before their last look at the count; a poster wakes the parking place only
 * when someone is registered.  The bound `max` is checked in the same CAS as
 * the increment: a post past it changes nothing.
 */
#include "pipc_core.h"

#include <stdlib.h>
#include <string.h>

#define SEM_PARK_OFFSET 128u

typedef struct sem_shared {
  pipc__seg_hdr hdr;
  volatile uint32_t count;
  uint32_t max; /* 1..PIPC_SEM_VALUE_MAX */
  volatile uint32_t waiters;
  uint32_t reserved;
} sem_shared;

struct pipc_sem {
  pipc_os_map map;
  sem_shared *sh;
  pipc_os_park *park;
  uint32_t max; /* read once at open, checked */
  char name[PIPC_NAME_MAX + 1];
};

static size_t sem_size(void) {
  return SEM_PARK_OFFSET + PIPC__ALIGN_UP(pipc_os_park_shared_size(), 64);
}

/* Make the semaphore's segment under `name`: everything, the parking place
   included, is ready before the header is published, so an opener never
   sees a half-made semaphore. */
static int sem_make(pipc_sem *s, const char *name, uint32_t initial) {
  sem_shared *sh;
  int rc = pipc__seg_create(name, sem_size(), PIPC__KIND_SEM, sizeof(sem_shared),
                            pipc_os_park_abi(), &s->map);
  if (rc != PIPC_OK) return rc;
  sh = (sem_shared *)s->map.base;
  sh->count = initial;
  sh->max = s->max;
  rc = pipc_os_park_init(name, 0, (char *)s->map.base + SEM_PARK_OFFSET, 1, &s->park);
  if (rc != PIPC_OK) {
    pipc__seg_abandon(name, &s->map);
    return rc;
  }
  s->sh = sh;
  pipc__seg_publish(&s->map);
  return PIPC_OK;
}

int pipc_sem_create(const char *name, unsigned initial, unsigned max,
                    pipc_sem **out) {
  pipc__namer n;
  pipc_sem *s;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if (max > PIPC_SEM_VALUE_MAX || initial > PIPC_SEM_VALUE_MAX ||
      (max != 0 && initial > max))
    return PIPC_EINVAL;
  s = (pipc_sem *)calloc(1, sizeof(*s));
  if (s == NULL) return PIPC_ENOMEM;
  s->max = max ? max : PIPC_SEM_VALUE_MAX;
  pipc__namer_start(&n, name, s->name, PIPC__NAME_SEGMENT);
  while ((rc = pipc__namer_next(&n)) == PIPC_OK) {
    rc = sem_make(s, s->name, initial);
    if (!pipc__namer_retry(&n, rc)) break;
  }
  if (rc != PIPC_OK) {
    free(s);
    return rc;
  }
  *out = s;
  return PIPC_OK;
}

int pipc_sem_open(const char *name, pipc_sem **out) {
  pipc_sem *s;
  uint32_t max;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if (pipc_name_check(name) != PIPC_OK) return PIPC_EINVAL;
  s = (pipc_sem *)calloc(1, sizeof(*s));
  if (s == NULL) return PIPC_ENOMEM;
  strcpy(s->name, name);
  rc = pipc__seg_open(name, PIPC__KIND_SEM, sizeof(sem_shared),
                      pipc_os_park_abi(), sem_size(), &s->map);
  if (rc == PIPC_OK) {
    max = ((sem_shared *)s->map.base)->max;
    if (max == 0 || max > PIPC_SEM_VALUE_MAX) {
      pipc_os_shm_unmap(&s->map);
      rc = PIPC_ECORRUPT;
    } else {
      s->max = max;
      s->sh = (sem_shared *)s->map.base;
      rc = pipc_os_park_init(name, 0, (char *)s->map.base + SEM_PARK_OFFSET,
                             0, &s->park);
      if (rc != PIPC_OK) pipc_os_shm_unmap(&s->map);
    }
  }
  if (rc != PIPC_OK) {
    free(s);
    return rc;
  }
  *out = s;
  return PIPC_OK;
}

/* One attempt to take a unit without sleeping. */
static int sem_try(sem_shared *sh) {
  uint32_t c = pipc__load32(&sh->count);
  while (c > 0) {
    if (pipc__cas32(&sh->count, &c, c - 1)) return 1;
  }
  return 0;
}

int pipc_sem_wait(pipc_sem *s, int timeout_ms) {
  sem_shared *sh;
  int64_t deadline;
  int rc;
  if (s == NULL) return PIPC_EINVAL;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
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
  sh = s->sh;
  c = pipc__load32(&sh->count);
  do {
    if (c >= s->max) return PIPC_EOVERFLOW;
  } while (!pipc__cas32(&sh->count, &c, c + 1));
  if (pipc__load32(&sh->waiters) != 0)
    return pipc_os_park_wake(s->park, &sh->count, 1);
  return PIPC_OK;
}

int pipc_sem_value(pipc_sem *s, unsigned *out) {
  if (s == NULL || out == NULL) return PIPC_EINVAL;
  *out = pipc__load32(&s->sh->count);
  return PIPC_OK;
}

const char *pipc_sem_name(const pipc_sem *s) { return s ? s->name : NULL; }

int pipc_sem_close(pipc_sem *s) {
  if (s == NULL) return PIPC_EINVAL;
  pipc_os_park_close(s->park);
  pipc_os_shm_unmap(&s->map);
  free(s);
  return PIPC_OK;
}

int pipc_sem_unlink(const char *name) { return pipc__unlink(name, PIPC_KIND_SEMAPHORE); }
