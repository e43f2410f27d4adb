/* example_util.h - the one helper every example shares: start this same
   program again as a child with a role, the way multiprocessing.Process
   runs a function in another process. */
#ifndef PIPC_EXAMPLE_UTIL_H
#define PIPC_EXAMPLE_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include "pipc.h"

/* Fail loudly: examples stop at the first error, with its name. */
#define CHECK(call)                                                        \
  do {                                                                     \
    int rc_ = (call);                                                      \
    if (rc_ < 0) {                                                         \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,        \
              pipc_strerror(rc_));                                         \
      exit(1);                                                             \
    }                                                                      \
  } while (0)

/* Spawn this program as `self ROLE ARG1 ARG2` (args may be NULL). */
static inline pipc_process *spawn_self(const char *role, const char *a1, const char *a2) {
  static char exe[4096];
  const char *argv[5];
  pipc_process *p = NULL;
  CHECK(pipc_self_exe(exe, sizeof exe));
  argv[0] = exe;
  argv[1] = role;
  argv[2] = a1;
  argv[3] = a1 ? a2 : NULL;
  argv[4] = NULL;
  CHECK(pipc_process_spawn(argv, &p));
  return p;
}

/* Wait for a child; exit if it failed. */
static inline void join(pipc_process *p) {
  int code = -1;
  CHECK(pipc_process_wait(p, PIPC_FOREVER, &code));
  pipc_process_free(p);
  if (code != 0) {
    fprintf(stderr, "child failed with exit code %d\n", code);
    exit(1);
  }
}

#endif
