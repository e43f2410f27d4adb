/* kinds.c - see kinds.h. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "kinds.h"


void t_kinds_names(t_kinds *k, const char *tag) {
  char t[40];
  memset(k, 0, sizeof *k);
  snprintf(t, sizeof t, "%s-shm", tag);
  t_name(k->shm, sizeof k->shm, t);
  snprintf(t, sizeof t, "%s-q", tag);
  t_name(k->queue, sizeof k->queue, t);
  snprintf(t, sizeof t, "%s-sem", tag);
  t_name(k->sem, sizeof k->sem, t);
  snprintf(t, sizeof t, "%s-lock", tag);
  t_name(k->lock, sizeof k->lock, t);
  snprintf(t, sizeof t, "%s-pipe", tag);
  t_name(k->pipe, sizeof k->pipe, t);
}

int t_kinds_make(t_kinds *k, const pipc_attr *a, int want_ok) {
  int rc;
  if (a == NULL) {
    if ((rc = pipc_shm_create(k->shm, 4096, &k->s)) == PIPC_OK &&
        (rc = pipc_queue_create(k->queue, 4, 16, &k->q)) == PIPC_OK &&
        (rc = pipc_sem_create(k->sem, 0, 0, &k->m)) == PIPC_OK &&
        (rc = pipc_lock_create(k->lock, &k->l)) == PIPC_OK)
      rc = pipc_listener_create(k->pipe, &k->li);
  } else {
    if ((rc = pipc_shm_create_attr(k->shm, 4096, a, &k->s)) == PIPC_OK &&
        (rc = pipc_queue_create_attr(k->queue, 4, 16, a, &k->q)) == PIPC_OK &&
        (rc = pipc_sem_create_attr(k->sem, 0, 0, 0, a, &k->m)) == PIPC_OK &&
        (rc = pipc_lock_create_attr(k->lock, a, &k->l)) == PIPC_OK)
      rc = pipc_listener_create_ex(k->pipe, a, &k->li);
  }
  if (want_ok) T_RC(rc, PIPC_OK);
  return rc;
}

void t_kinds_make_sized(t_kinds *k, size_t qcap, size_t qmax, size_t shm, unsigned sem) {
  T_RC(pipc_shm_create(k->shm, shm, &k->s), PIPC_OK);
  T_RC(pipc_queue_create(k->queue, qcap, qmax, &k->q), PIPC_OK);
  T_RC(pipc_sem_create(k->sem, sem, 0, &k->m), PIPC_OK);
  T_RC(pipc_lock_create(k->lock, &k->l), PIPC_OK);
  T_RC(pipc_listener_create(k->pipe, &k->li), PIPC_OK);
}

void t_kinds_drop(t_kinds *k) {
  pipc_shm_unlink(k->shm);
  pipc_queue_unlink(k->queue);
  pipc_sem_unlink(k->sem);
  pipc_lock_unlink(k->lock);
  if (k->s) pipc_shm_close(k->s);
  if (k->q) pipc_queue_close(k->q);
  if (k->m) pipc_sem_close(k->m);
  if (k->l) pipc_lock_close(k->l);
  if (k->li) pipc_listener_close(k->li);
  k->s = NULL;
  k->q = NULL;
  k->m = NULL;
  k->l = NULL;
  k->li = NULL;
}
