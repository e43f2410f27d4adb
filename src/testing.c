/* testing.c - fault points and test hooks (pipc_testing.h).  Compiled into
   the test library (pipc_testlib, built with PIPC_FAULT_INJECTION) only:
   the release libraries carry none of it. */
#include "pipc_core.h"

#ifndef PIPC_FAULT_INJECTION
#error "src/testing.c belongs to the test library only (PIPC_FAULT_INJECTION)"
#endif

volatile int pipc__fault_point;
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
  return pipc__queue_lock_side(q, consumers);
}

int64_t pipc__test_now_ms(void) { return pipc_os_now_ms(); }

uint64_t pipc__test_entropy(void) { return pipc_os_entropy(); }
