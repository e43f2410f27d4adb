/* process.c - pipc_process_*: argument checks and the remembered exit code;
   the backend starts, waits for and kills. */
#include "pipc_core.h"

#include <stdlib.h>

struct pipc_process {
  pipc_os_process *os;
  int reaped;
  int code;
};

int pipc_process_spawn(const char *const argv[], pipc_process **out) {
  pipc_process *p;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0') return PIPC_EINVAL;
  p = (pipc_process *)calloc(1, sizeof(*p));
  if (p == NULL) return PIPC_ENOMEM;
  rc = pipc_os_process_spawn(argv, &p->os);
  if (rc != PIPC_OK) {
    free(p);
    return rc;
  }
  *out = p;
  return PIPC_OK;
}

int pipc_process_wait(pipc_process *p, int timeout_ms, int *exit_code) {
  int64_t deadline;
  int rc;
  if (p == NULL) return PIPC_EINVAL;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  if (!p->reaped) {
    rc = pipc_os_process_wait(p->os, deadline, &p->code);
    if (rc == PIPC_ETIMEDOUT) return PIPC__EXPIRED(timeout_ms);
    if (rc != PIPC_OK) return rc;
    p->reaped = 1;
  }
  if (exit_code) *exit_code = p->code;
  return PIPC_OK;
}

int pipc_process_kill(pipc_process *p) {
  if (p == NULL) return PIPC_EINVAL;
  if (p->reaped) return PIPC_OK;
  return pipc_os_process_kill(p->os);
}

long pipc_process_pid(const pipc_process *p) {
  return p ? pipc_os_process_pid(p->os) : -1;
}

void pipc_process_free(pipc_process *p) {
  if (p == NULL) return;
  pipc_os_process_free(p->os);
  free(p);
}

int pipc_self_exe(char *buf, size_t cap) {
  if (buf == NULL || cap == 0) return PIPC_EINVAL;
  return pipc_os_self_exe(buf, cap);
}

long pipc_self_pid(void) { return pipc_os_self_pid(); }

int pipc_stdout_binary(void) { return pipc_os_stdout_binary(); }

pipc_os_process *pipc__process_os(pipc_process *p) { return p->os; }

int pipc__process_ended(pipc_process *p) {
  return p->reaped ? 1 : pipc_os_process_ended(p->os);
}

int pipc__process_reaped(const pipc_process *p) { return p->reaped; }
