/* error.c - error strings and the per-thread OS error. */
#include "pipc_internal.h"

static PIPC_THREAD_LOCAL int last_os_error;

const char *pipc_strerror(int code) {
  switch (code) {
  case PIPC_OK:
    return "success";
#define PIPC__ERR_CASE(name, value, text) \
  case PIPC_##name:                       \
    return text;
    PIPC_ERRNO_MAP(PIPC__ERR_CASE)
#undef PIPC__ERR_CASE
  default:
    return "unknown error";
  }
}

int pipc_last_os_error(void) { return last_os_error; }

int pipc__os_fail(int code, int os_error) {
  last_os_error = os_error;
  return code;
}

#ifdef PIPC_FAULT_INJECTION
volatile int pipc__fault_point;
static volatile long fault_countdown;

void pipc__fault_arm(int point, long countdown) {
  fault_countdown = countdown;
  pipc__fault_point = point;
}

void pipc__fault_hit(void) {
  if (--fault_countdown <= 0) pipc_os_die();
}
#endif
