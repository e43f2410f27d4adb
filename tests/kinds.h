/* kinds.h - one named object of every kind (shm, queue, semaphore, lock,
   listener), made under one creation attribute: the sharing and security
   suites share it. */
#ifndef PIPC_TEST_KINDS_H
#define PIPC_TEST_KINDS_H

#include "pipc.h"

typedef struct t_kinds {
  char shm[80], queue[80], sem[80], lock[80], pipe[80];
  pipc_shm *s;
  pipc_queue *q;
  pipc_sem *m;
  pipc_lock *l;
  pipc_listener *li;
} t_kinds;

/* Zero k and give it fresh names t_name("TAG-shm"), ... */
void t_kinds_names(t_kinds *k, const char *tag);
/* Make all five with attr a (NULL: the plain calls); PIPC_OK, or the
   first error (asserted only if want_ok). */
int t_kinds_make(t_kinds *k, const pipc_attr *a, int want_ok);
/* Unlink the names, close what is open, zero k. */
void t_kinds_drop(t_kinds *k);

#endif
