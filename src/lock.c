/* lock.c - pipc_lock_*: a robust mutex in a typed segment.  The backend owns
   the mutex (pthread robust mutex / Win32 named mutex); this file owns the
   segment, the arguments and the timeouts. */
#include "pipc_core.h"

#include <stdlib.h>
#include <string.h>

#define LOCK_MUTEX_OFFSET 64u

struct pipc_lock {
  pipc_os_map map;
  pipc_os_mutex *m;
  char name[PIPC_NAME_MAX + 1];
};

static size_t lock_size(void) {
  return LOCK_MUTEX_OFFSET + PIPC__ALIGN_UP(pipc_os_mutex_shared_size(), 64);
}

/* Make the lock's segment under `name`: the mutex is set up before the
   header is published, so an opener never sees a half-made one. */
static int lock_make(pipc_lock *l, const char *name) {
  int rc = pipc__seg_create(name, lock_size(), PIPC__KIND_LOCK, 64,
                            pipc_os_mutex_abi(), &l->map);
  if (rc != PIPC_OK) return rc;
  rc = pipc_os_mutex_init(name, 0, (char *)l->map.base + LOCK_MUTEX_OFFSET, 1, &l->m);
  if (rc != PIPC_OK) {
    pipc__seg_abandon(name, &l->map);
    return rc;
  }
  pipc__seg_publish(&l->map);
  return PIPC_OK;
}

int pipc_lock_create(const char *name, pipc_lock **out) {
  pipc__namer n;
  pipc_lock *l;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  l = (pipc_lock *)calloc(1, sizeof(*l));
  if (l == NULL) return PIPC_ENOMEM;
  pipc__namer_start(&n, name, l->name, PIPC__NAME_SEGMENT);
  while ((rc = pipc__namer_next(&n)) == PIPC_OK) {
    rc = lock_make(l, l->name);
    if (!pipc__namer_retry(&n, rc)) break;
  }
  if (rc != PIPC_OK) {
    free(l);
    return rc;
  }
  *out = l;
  return PIPC_OK;
}

int pipc_lock_open(const char *name, pipc_lock **out) {
  pipc_lock *l;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if (pipc_name_check(name) != PIPC_OK) return PIPC_EINVAL;
  l = (pipc_lock *)calloc(1, sizeof(*l));
  if (l == NULL) return PIPC_ENOMEM;
  strcpy(l->name, name);
  rc = pipc__seg_open(name, PIPC__KIND_LOCK, 64, pipc_os_mutex_abi(),
                      lock_size(), &l->map);
  if (rc == PIPC_OK) {
    rc = pipc_os_mutex_init(name, 0, (char *)l->map.base + LOCK_MUTEX_OFFSET, 0,
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
  return rc;
}

int pipc_lock_release(pipc_lock *l) {
  if (l == NULL) return PIPC_EINVAL;
  return pipc_os_mutex_unlock(l->m);
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
