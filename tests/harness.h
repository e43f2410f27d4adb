/* harness.h - the conformance suite's helpers.  The test binary re-runs
   itself as helper processes: `pipc-tests --child ROLE ARGS...`. */
#ifndef PIPC_TEST_HARNESS_H
#define PIPC_TEST_HARNESS_H

#include <CUnit/CUnit.h>
#include <stdint.h>
#include "pipc.h"

/* A name unique to this test process: "t<pid>-<tag>-<n>". */
void t_name(char *buf, size_t cap, const char *tag);

/* Spawn this binary as `--child role args...` (NULL-terminated). */
pipc_process *t_spawn(const char *role, ...);

/* Wait up to timeout_ms for p and free it; returns its exit code, or
   T_HUNG after killing a child that did not finish in time. */
#define T_HUNG (-1000)
int t_join(pipc_process *p, int timeout_ms);

/* Milliseconds on a monotonic clock. */
int64_t t_now_ms(void);
/* The path of this test binary (what t_spawn starts). */
const char *t_self_exe(void);

/* Assert a pipc call's result, printing both codes' names on failure. */
#define T_RC(expr, want)                                                    \
  do {                                                                      \
    int t_rc_ = (expr);                                                     \
    if (t_rc_ != (want))                                                    \
      t_report_rc(#expr, t_rc_, (want), __FILE__, __LINE__);                \
    CU_ASSERT_EQUAL(t_rc_, (want));                                         \
  } while (0)
void t_report_rc(const char *expr, int got, int want, const char *file, int line);

/* Skip the rest of this case: it does not apply here (not root, one user
   under Wine, no /dev/shm ...).  The runner names it with the reason and
   counts it.  It returns from the case, so call it from the case itself,
   after undoing what the case made; a case that already failed an
   assertion stays failed (main.c says what ctest is told). */
#define T_SKIP(reason)                                                      \
  do {                                                                      \
    t_skip(reason);                                                         \
    return;                                                                 \
  } while (0)
void t_skip(const char *reason);

/* Threads, portably: start fn(arg); join returns when it is done. */
typedef struct t_thread t_thread;
t_thread *t_thread_start(void (*fn)(void *), void *arg);
void t_thread_join(t_thread *t);

/* A small fast PRNG for test data (xorshift). */
uint32_t t_rand(uint32_t *state);

/* Arguments that must arrive byte-exact (test_process.c; role args checks
   them). */
extern const char *const t_tricky_args[];

/* Child roles: int role(int argc, char **argv) returns the exit code. */
typedef int (*t_role_fn)(int argc, char **argv);

#endif
