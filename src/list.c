/* list.c - what names are: pipc_kind_of, pipc_list, pipc_path.
 *
 * A backend enumerates what its OS shows (pipc_os_list: segment files,
 * sockets, kernel objects) and says what it saw under each name; here the
 * sightings of one name are merged, sorted, and each segment's kind is read
 * from its typed-segment header - the one place that header is read for
 * anything but opening it as its kind. */
#include "pipc_core.h"

#include <stdlib.h>
#include <string.h>

typedef struct seen_name {
  char name[PIPC_NAME_MAX + 1];
  unsigned seen; /* PIPC__SEEN_* */
} seen_name;

struct pipc__names {
  seen_name *v;
  size_t n, cap;
};

int pipc__names_add(pipc__names *set, const char *name, unsigned seen) {
  if (pipc_name_check(name) != PIPC_OK) return PIPC_OK; /* not pipc's */
  if (set->n == set->cap) {
    size_t cap = set->cap ? set->cap * 2 : 32;
    seen_name *v = (seen_name *)realloc(set->v, cap * sizeof *v);
    if (v == NULL) return PIPC_ENOMEM;
    set->v = v;
    set->cap = cap;
  }
  strcpy(set->v[set->n].name, name);
  set->v[set->n].seen = seen;
  set->n++;
  return PIPC_OK;
}

void pipc__names_clear(pipc__names *set) { set->n = 0; }

static int by_name(const void *a, const void *b) {
  return strcmp(((const seen_name *)a)->name, ((const seen_name *)b)->name);
}

/* Sort, and merge what was seen of one name into one entry. */
static void sort_and_merge(pipc__names *set) {
  size_t i, n = 0;
  if (set->n == 0) return;
  qsort(set->v, set->n, sizeof set->v[0], by_name);
  for (i = 1; i < set->n; i++) {
    if (strcmp(set->v[i].name, set->v[n].name) == 0) set->v[n].seen |= set->v[i].seen;
    else set->v[++n] = set->v[i];
  }
  set->n = n + 1;
}

const char *pipc_kind_name(pipc_kind kind) {
  switch (kind) {
  case PIPC_KIND_NONE: return "none";
  case PIPC_KIND_SHM: return "shm";
  case PIPC_KIND_QUEUE: return "queue";
  case PIPC_KIND_SEMAPHORE: return "semaphore";
  case PIPC_KIND_LOCK: return "lock";
  case PIPC_KIND_LISTENER: return "listener";
  }
  return "unknown";
}

/* The kind of the segment `name`: PIPC_ENOENT if there is none. */
static int segment_kind(const char *name, pipc_kind *out) {
  int64_t give_up = pipc_os_now_ms() + PIPC__READY_WAIT_MS;
  pipc_os_map m;
  int rc;
  /* EAGAIN: a creator made the name and has not sized it yet. */
  while ((rc = pipc_os_shm_open(name, NULL, &m)) == PIPC_EAGAIN) {
    if (pipc_os_now_ms() >= give_up) return PIPC_ECORRUPT;
    pipc_os_sleep_ms(1);
  }
  if (rc != PIPC_OK) return rc;
  switch (pipc__seg_kind(&m)) {
  case PIPC__KIND_QUEUE: *out = PIPC_KIND_QUEUE; break;
  case PIPC__KIND_SEM: *out = PIPC_KIND_SEMAPHORE; break;
  case PIPC__KIND_LOCK: *out = PIPC_KIND_LOCK; break;
  default: *out = PIPC_KIND_SHM; break; /* no typed-segment header */
  }
  pipc_os_shm_unmap(&m);
  return PIPC_OK;
}

int pipc_kind_of(const char *name, pipc_kind *out) {
  pipc_state state;
  int rc;
  if (out) *out = PIPC_KIND_NONE;
  if (out == NULL || pipc_name_check(name) != PIPC_OK) return PIPC_EINVAL;
  rc = segment_kind(name, out);
  if (rc != PIPC_ENOENT) return rc;
  if ((rc = pipc_os_listener_state(name, &state)) != PIPC_OK) return rc;
  /* What a dead listener left is no object: connect finds nobody there. */
  if (state == PIPC_STATE_STALE) return PIPC_ENOENT;
  *out = PIPC_KIND_LISTENER;
  return PIPC_OK;
}

int pipc_list(pipc_list_fn fn, void *arg) {
  pipc__names set;
  pipc_entry_t e;
  size_t i;
  int rc;
  if (fn == NULL) return PIPC_EINVAL;
  memset(&set, 0, sizeof set);
  if ((rc = pipc_os_list(&set)) != PIPC_OK) {
    free(set.v);
    return rc;
  }
  sort_and_merge(&set);
  /* segments first, then listeners: each group sorted by name */
  for (i = 0; rc == 0 && i < set.n; i++) {
    if (!(set.v[i].seen & PIPC__SEEN_SEGMENT)) continue;
    if (segment_kind(set.v[i].name, &e.kind) != PIPC_OK) continue; /* gone */
    e.name = set.v[i].name;
    e.state = PIPC_STATE_LIVE;
    rc = fn(arg, &e);
  }
  for (i = 0; rc == 0 && i < set.n; i++) {
    unsigned seen = set.v[i].seen;
    if (seen & PIPC__SEEN_LISTENER) e.state = PIPC_STATE_LIVE;
    else if (seen & PIPC__SEEN_PIPE) e.state = PIPC_STATE_FOREIGN;
    else if (seen & PIPC__SEEN_STALE) e.state = PIPC_STATE_STALE;
    else continue;
    e.name = set.v[i].name;
    e.kind = PIPC_KIND_LISTENER;
    rc = fn(arg, &e);
  }
  free(set.v);
  return rc;
}

int pipc_path(const char *name, int which, char *buf, size_t cap) {
  int rc;
  if (buf == NULL || cap == 0 || pipc_name_check(name) != PIPC_OK) return PIPC_EINVAL;
  buf[0] = '\0';
  if (which != PIPC_PATH_SHM && which != PIPC_PATH_SHM_FILE && which != PIPC_PATH_PIPE)
    return PIPC_EINVAL;
  rc = pipc_os_path(name, which, buf, cap);
  if (rc != PIPC_OK) buf[0] = '\0';
  return rc;
}
