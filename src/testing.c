/* testing.c - fault points and test hooks (pipc_testing.h).  CMake
   compiles it into the test library (pipc_testlib) only, and the structure
   test checks that the release library exports no pipc__ name; it defines
   what pipc_testing.h declares under PIPC_FAULT_INJECTION, whoever
   compiles it. */
#ifndef PIPC_FAULT_INJECTION
#define PIPC_FAULT_INJECTION
#endif
#include "pipc_core.h"

#include <stdlib.h>

volatile int pipc__fault_point;
uint64_t pipc__queue_first;
const unsigned char *pipc__auth_nonce;
volatile uint32_t pipc__kernel_calls;
static volatile long fault_countdown;

void pipc__fault_arm(int point, long countdown) {
  fault_countdown = countdown;
  pipc__fault_point = point;
}

void pipc__fault_hit(void) {
  if (--fault_countdown <= 0) pipc_os_die();
}

int pipc__queue_hold(pipc_queue *q, int consumers) {
  if (q == NULL) return PIPC_EINVAL;
  return pipc__queue_claim_and_keep(q, consumers);
}

unsigned pipc__queue_subscribers(pipc_queue *q) {
  pipc__watched w;
  pipc__queue_watched(q, &w);
  return pipc__subs_sweep(w.subs);
}

int64_t pipc__test_now_ms(void) { return pipc_os_now_ms(); }

uint64_t pipc__test_entropy(void) { return pipc_os_entropy(); }

int pipc__test_park_polls(void) { return pipc_os_park_polls(); }

struct pipc__test_reg {
  pipc_os_map map;
  pipc__registry *r;
};

static int test_reg(const char *name, unsigned n, int create, pipc__test_reg **out) {
  pipc__test_reg *t;
  int rc;
  *out = NULL;
  if (pipc_name_check(name) != PIPC_OK) return PIPC_EINVAL;
  if ((t = (pipc__test_reg *)calloc(1, sizeof(*t))) == NULL) return PIPC_ENOMEM;
  rc = create ? pipc_os_shm_create(name, pipc__registry_size(n), NULL, &t->map)
              : pipc_os_shm_open(name, NULL, &t->map);
  if (rc == PIPC_OK) {
    if (t->map.size < pipc__registry_size(n)) rc = PIPC_ECORRUPT;
    else rc = pipc__registry_attach(name, &t->map, 2, t->map.base, n, create, &t->r);
    if (rc != PIPC_OK) {
      pipc_os_shm_unmap(&t->map);
      if (create) pipc_os_name_remove(name);
    }
  }
  if (rc != PIPC_OK) {
    free(t);
    return rc;
  }
  *out = t;
  return PIPC_OK;
}

int pipc__test_reg_create(const char *name, unsigned n, pipc__test_reg **out) {
  return test_reg(name, n, 1, out);
}

int pipc__test_reg_open(const char *name, unsigned n, pipc__test_reg **out) {
  return test_reg(name, n, 0, out);
}

int pipc__test_reg_me(pipc__test_reg *t, unsigned *index, int *fresh) {
  return pipc__registry_me(t->r, index, fresh, NULL);
}

int pipc__test_reg_check(pipc__test_reg *t, unsigned index) {
  int rc = pipc__registry_check(t->r, index);
  if (rc == 0) pipc__registry_let_go(t->r, index);
  return rc;
}

int pipc__test_reg_close(pipc__test_reg *t) {
  pipc__registry_detach(t->r, &t->map);
  free(t);
  return PIPC_OK;
}

int pipc__test_reg_unlink(const char *name) { return pipc__unlink(name, PIPC_KIND_SHM); }
