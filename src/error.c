/* error.c - error strings and the per-thread OS error. */
#include "pipc_core.h"

static PIPC__THREAD_LOCAL int last_os_error;

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
