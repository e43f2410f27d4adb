/* shm.c - pipc_shm_*: named shared memory with no header of its own. */
#include "pipc_internal.h"

#include <stdlib.h>
#include <string.h>

struct pipc_shm {
  pipc_os_map map;
  char name[PIPC_NAME_MAX + 1];
};

struct shm_create_arg {
  size_t size;
  pipc_os_map *map;
};

static int shm_make(const char *name, void *arg) {
  struct shm_create_arg *a = (struct shm_create_arg *)arg;
  return pipc_os_shm_create(name, a->size, a->map);
}

int pipc_shm_create(const char *name, size_t size, pipc_shm **out) {
  pipc_shm *s;
  struct shm_create_arg a;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if (size == 0) return PIPC_EINVAL;
  s = (pipc_shm *)calloc(1, sizeof(*s));
  if (s == NULL) return PIPC_ENOMEM;
  a.size = size;
  a.map = &s->map;
  rc = pipc__create_named(name, s->name, shm_make, &a);
  if (rc != PIPC_OK) {
    free(s);
    return rc;
  }
  *out = s;
  return PIPC_OK;
}

int pipc_shm_open(const char *name, pipc_shm **out) {
  pipc_shm *s;
  int64_t give_up;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if (pipc_name_check(name) != PIPC_OK) return PIPC_EINVAL;
  s = (pipc_shm *)calloc(1, sizeof(*s));
  if (s == NULL) return PIPC_ENOMEM;
  strcpy(s->name, name);
  give_up = pipc_os_now_ms() + 500;
  /* EAGAIN: a creator made the name and has not sized it yet. */
  while ((rc = pipc_os_shm_open(name, &s->map)) == PIPC_EAGAIN) {
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

void *pipc_shm_addr(const pipc_shm *s) { return s ? s->map.base : NULL; }
size_t pipc_shm_size(const pipc_shm *s) { return s ? s->map.size : 0; }
const char *pipc_shm_name(const pipc_shm *s) { return s ? s->name : NULL; }

int pipc_shm_close(pipc_shm *s) {
  if (s == NULL) return PIPC_EINVAL;
  pipc_os_shm_unmap(&s->map);
  free(s);
  return PIPC_OK;
}

int pipc_shm_unlink(const char *name) {
  if (pipc_name_check(name) != PIPC_OK) return PIPC_EINVAL;
  return pipc_os_shm_unlink(name);
}
