/* kinds.h - one named object of every kind (shm, queue, semaphore, lock,
   listener), made under one creation attribute or with given sizes: the
   sharing, security, objects and cli suites share it. */
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
/* Make all five with the plain calls and these sizes: a queue of qcap
   messages of qmax bytes, a segment of shm bytes, an unbounded semaphore
   at sem (each asserted). */
void t_kinds_make_sized(t_kinds *k, size_t qcap, size_t qmax, size_t shm, unsigned sem);
/* Unlink the names, close what is open; the names stay (to check they
   are gone), the handles are NULL. */
void t_kinds_drop(t_kinds *k);

#endif
