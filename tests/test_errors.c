/* test_errors.c - every error code has a name; the OS error behind a
   failure is kept per thread. */
#include <stdio.h>
#include <string.h>

#include "harness.h"

void test_errors_strerror_names_every_code(void) {
  int c;
  CU_ASSERT_STRING_EQUAL(pipc_strerror(PIPC_OK), "success");
  for (c = PIPC_EINVAL; c > PIPC__ERR_LAST; c--) {
    const char *s = pipc_strerror(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_NOT_EQUAL(s, "unknown error");
  }
  CU_ASSERT_STRING_EQUAL(pipc_strerror(PIPC__ERR_LAST), "unknown error");
  CU_ASSERT_STRING_EQUAL(pipc_strerror(12345), "unknown error");
  CU_ASSERT_STRING_EQUAL(pipc_strerror(PIPC_ETIMEDOUT), "timed out");
}

/* A thread of its own: its OS error starts at 0, and a failure there is
   recorded there only. */
static void os_error_thread(void *arg) {
  int *seen = (int *)arg;
  pipc_shm *s = NULL;
  char name[80];
  seen[0] = pipc_last_os_error();
  t_name(name, sizeof name, "oserr-t");
  seen[1] = pipc_shm_open(name, &s);
  seen[2] = pipc_last_os_error();
}

void test_errors_os_error_kept_per_thread(void) {
  pipc_shm *s = NULL;
  char name[80];
  int mine, seen[3] = {-1, -1, -1};
  t_thread *t;
  t_name(name, sizeof name, "oserr");
  /* Opening a missing name fails in the OS: the OS error is recorded. */
  T_RC(pipc_shm_open(name, &s), PIPC_ENOENT);
  mine = pipc_last_os_error();
  CU_ASSERT_NOT_EQUAL(mine, 0);
  /* A name with no OS call behind its failure leaves the record alone. */
  T_RC(pipc_shm_open("bad/name", &s), PIPC_EINVAL);
  CU_ASSERT_EQUAL(pipc_last_os_error(), mine);
  t = t_thread_start(os_error_thread, seen);
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  t_thread_join(t);
  CU_ASSERT_EQUAL(seen[0], 0);           /* a new thread has none */
  CU_ASSERT_EQUAL(seen[1], PIPC_ENOENT);
  CU_ASSERT_NOT_EQUAL(seen[2], 0);       /* its own failure, its own record */
  CU_ASSERT_EQUAL(pipc_last_os_error(), mine); /* this thread's is untouched */
}
