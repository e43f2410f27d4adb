/* shm.c - pipc_shm_*: named shared memory with no header of its own, and
   mapped files (pipc_shm_map_file), which share its handle. */
#include "pipc_core.h"

#include <stdlib.h>
#include <string.h>

struct pipc_shm {
  pipc_os_map map;
  char name[PIPC_NAME_MAX + 1]; /* "" for a mapped file: it has no name */
};

int pipc_shm_create_attr(const char *name, size_t size, const pipc_attr *attr,
                         pipc_shm **out) {
  pipc__namer n;
  pipc_shm *s;
  pipc_os_attr buf;
  const pipc_os_attr *oa;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if ((rc = pipc__attr_check(attr, PIPC__ATTR_SEGMENT, &buf, &oa)) != PIPC_OK) return rc;
  if (size == 0) return PIPC_EINVAL;
  s = (pipc_shm *)calloc(1, sizeof(*s));
  if (s == NULL) return PIPC_ENOMEM;
  pipc__namer_start(&n, name, s->name, PIPC__NAME_SEGMENT);
  while ((rc = pipc__namer_next(&n)) == PIPC_OK) {
    rc = pipc_os_shm_create(s->name, size, oa, &s->map);
    if (!pipc__namer_retry(&n, rc)) break;
  }
  if (rc != PIPC_OK) {
    free(s);
    return rc;
  }
  *out = s;
  return PIPC_OK;
}

int pipc_shm_create(const char *name, size_t size, pipc_shm **out) {
  return pipc_shm_create_attr(name, size, NULL, out);
}

int pipc_shm_open(const char *name, pipc_shm **out) {
  return pipc_shm_open_attr(name, NULL, out);
}

int pipc_shm_open_attr(const char *name, const pipc_attr *attr, pipc_shm **out) {
  pipc_shm *s;
  pipc_os_attr buf;
  const pipc_os_attr *oa;
  int64_t give_up;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if (pipc_name_check(name) != PIPC_OK) return PIPC_EINVAL;
  if ((rc = pipc__attr_check(attr, PIPC__ATTR_SEGMENT, &buf, &oa)) != PIPC_OK) return rc;
  s = (pipc_shm *)calloc(1, sizeof(*s));
  if (s == NULL) return PIPC_ENOMEM;
  strcpy(s->name, name);
  give_up = pipc_os_now_ms() + PIPC__READY_WAIT_MS;
  /* EAGAIN: a creator made the name and has not sized it yet. */
  while ((rc = pipc_os_shm_open(name, oa, &s->map)) == PIPC_EAGAIN) {
    if (pipc_os_now_ms() >= give_up) {
      rc = PIPC_ECORRUPT;
      break;
    }
    pipc_os_sleep_ms(1);
  }
  if (rc != PIPC_OK) {
    free(s);
    return rc;
  }
  *out = s;
  return PIPC_OK;
}

#define PIPC__MAP_FLAGS (PIPC_MAP_CREATE | PIPC_MAP_EXCL | PIPC_MAP_READONLY)

int pipc_shm_map_file(const char *path, size_t size, int flags, pipc_shm **out) {
  pipc_shm *s;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if (path == NULL || path[0] == '\0') return PIPC_EINVAL;
  if ((flags & ~PIPC__MAP_FLAGS) != 0) return PIPC_EINVAL;
  if ((flags & PIPC_MAP_EXCL) && !(flags & PIPC_MAP_CREATE)) return PIPC_EINVAL;
  /* A file made now is empty: READONLY could not grow it, size 0 could not
     map it.  Refused before any file is made. */
  if ((flags & PIPC_MAP_CREATE) && ((flags & PIPC_MAP_READONLY) || size == 0))
    return PIPC_EINVAL;
  s = (pipc_shm *)calloc(1, sizeof(*s));
  if (s == NULL) return PIPC_ENOMEM;
  rc = pipc_os_file_map(path, size, flags, &s->map);
  if (rc != PIPC_OK) {
    free(s);
    return rc;
  }
  *out = s;
  return PIPC_OK;
}

void *pipc_shm_addr(const pipc_shm *s) { return s ? s->map.base : NULL; }
size_t pipc_shm_size(const pipc_shm *s) { return s ? s->map.size : 0; }
/* NULL for a mapped file: a path handed to pipc_shm_unlink or pipc_shm_open
   could name an unrelated segment ("test.dat" is a valid name). */
const char *pipc_shm_name(const pipc_shm *s) {
  return s && s->name[0] ? s->name : NULL;
}

int pipc_shm_close(pipc_shm *s) {
  if (s == NULL) return PIPC_EINVAL;
  pipc_os_shm_unmap(&s->map);
  free(s);
  return PIPC_OK;
}

int pipc_shm_unlink(const char *name) { return pipc__unlink(name, PIPC_KIND_SHM); }
