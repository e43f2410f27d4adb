/* test_core.c - errors, names, and misuse of every entry point. */
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

/* Every entry point that takes a name. */
static void expect_name_rejected(const char *bad) {
  pipc_shm *shm = (pipc_shm *)1;
  pipc_sem *sem = (pipc_sem *)1;
  pipc_lock *lock = (pipc_lock *)1;
  T_RC(pipc_name_check(bad), PIPC_EINVAL);
  T_RC(pipc_shm_create(bad, 16, &shm), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(shm);
  T_RC(pipc_shm_open(bad, &shm), PIPC_EINVAL);
  T_RC(pipc_shm_unlink(bad), PIPC_EINVAL);
  T_RC(pipc_sem_create(bad, 0, 0, &sem), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(sem);
  T_RC(pipc_sem_open(bad, &sem), PIPC_EINVAL);
  T_RC(pipc_sem_unlink(bad), PIPC_EINVAL);
  T_RC(pipc_lock_create(bad, &lock), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(lock);
  T_RC(pipc_lock_open(bad, &lock), PIPC_EINVAL);
  T_RC(pipc_lock_unlink(bad), PIPC_EINVAL);
}

void test_names_invalid_names_rejected(void) {
  char long65[66];
  memset(long65, 'a', 65);
  long65[65] = '\0';
  expect_name_rejected("");
  expect_name_rejected(long65);
  expect_name_rejected("a/b");
  expect_name_rejected("/abc");
  expect_name_rejected("a\\b");
  expect_name_rejected(".hidden");
  expect_name_rejected("a b");
  expect_name_rejected("a\nb");
  expect_name_rejected("a:b");
  expect_name_rejected("caf\xc3\xa9");
  T_RC(pipc_shm_open(NULL, &(pipc_shm *){0}), PIPC_EINVAL);
  T_RC(pipc_shm_unlink(NULL), PIPC_EINVAL);
}

void test_names_longest_name_works(void) {
  char name[PIPC_NAME_MAX + 1], tag[8];
  pipc_shm *s = NULL, *o = NULL;
  t_name(tag, sizeof tag, "");
  memset(name, 'x', PIPC_NAME_MAX);
  name[PIPC_NAME_MAX] = '\0';
  memcpy(name, tag, strlen(tag)); /* unique prefix, 64 characters in all */
  T_RC(pipc_name_check(name), PIPC_OK);
  T_RC(pipc_shm_create(name, 100, &s), PIPC_OK);
  T_RC(pipc_shm_open(name, &o), PIPC_OK);
  CU_ASSERT_STRING_EQUAL(pipc_shm_name(o), name);
  T_RC(pipc_shm_unlink(name), PIPC_OK); /* while open: portable */
  pipc_shm_close(o);
  pipc_shm_close(s);
}

void test_names_null_name_makes_unique_names(void) {
  pipc_shm *a = NULL, *b = NULL, *o = NULL;
  pipc_sem *sem = NULL;
  pipc_lock *lock = NULL;
  T_RC(pipc_shm_create(NULL, 64, &a), PIPC_OK);
  T_RC(pipc_shm_create(NULL, 64, &b), PIPC_OK);
  CU_ASSERT_FATAL(a != NULL && b != NULL);
  CU_ASSERT_STRING_NOT_EQUAL(pipc_shm_name(a), pipc_shm_name(b));
  T_RC(pipc_name_check(pipc_shm_name(a)), PIPC_OK);
  /* The name is real: another handle opened by it sees the same bytes. */
  T_RC(pipc_shm_open(pipc_shm_name(a), &o), PIPC_OK);
  CU_ASSERT_FATAL(o != NULL);
  ((char *)pipc_shm_addr(a))[7] = 42;
  CU_ASSERT_EQUAL(((char *)pipc_shm_addr(o))[7], 42);
  T_RC(pipc_shm_unlink(pipc_shm_name(a)), PIPC_OK);
  T_RC(pipc_shm_unlink(pipc_shm_name(b)), PIPC_OK);
  pipc_shm_close(o);
  pipc_shm_close(a);
  pipc_shm_close(b);

  T_RC(pipc_sem_create(NULL, 1, 1, &sem), PIPC_OK);
  CU_ASSERT_FATAL(sem != NULL);
  T_RC(pipc_name_check(pipc_sem_name(sem)), PIPC_OK);
  T_RC(pipc_sem_unlink(pipc_sem_name(sem)), PIPC_OK);
  pipc_sem_close(sem);
  T_RC(pipc_lock_create(NULL, &lock), PIPC_OK);
  CU_ASSERT_FATAL(lock != NULL);
  T_RC(pipc_name_check(pipc_lock_name(lock)), PIPC_OK);
  T_RC(pipc_lock_unlink(pipc_lock_name(lock)), PIPC_OK);
  pipc_lock_close(lock);
}

void test_names_one_name_one_object(void) {
  char name[80];
  pipc_shm *s = NULL;
  pipc_sem *sem = NULL;
  pipc_lock *lock = NULL;
  t_name(name, sizeof name, "kinds");
  T_RC(pipc_sem_create(name, 0, 0, &sem), PIPC_OK);
  T_RC(pipc_shm_create(name, 64, &s), PIPC_EEXIST);
  T_RC(pipc_lock_create(name, &lock), PIPC_EEXIST);
  /* A semaphore is not a lock: open by the wrong kind is refused. */
  T_RC(pipc_lock_open(name, &lock), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(lock);
  T_RC(pipc_sem_unlink(name), PIPC_OK);
  pipc_sem_close(sem);
}

void test_misuse_null_handles_are_einval(void) {
  unsigned v;
  int code;
  T_RC(pipc_shm_close(NULL), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(pipc_shm_addr(NULL));
  CU_ASSERT_EQUAL(pipc_shm_size(NULL), 0);
  CU_ASSERT_PTR_NULL(pipc_shm_name(NULL));
  T_RC(pipc_sem_wait(NULL, 0), PIPC_EINVAL);
  T_RC(pipc_sem_post(NULL), PIPC_EINVAL);
  T_RC(pipc_sem_value(NULL, &v), PIPC_EINVAL);
  T_RC(pipc_sem_close(NULL), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(pipc_sem_name(NULL));
  T_RC(pipc_lock_acquire(NULL, 0), PIPC_EINVAL);
  T_RC(pipc_lock_release(NULL), PIPC_EINVAL);
  T_RC(pipc_lock_close(NULL), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(pipc_lock_name(NULL));
  T_RC(pipc_process_wait(NULL, 0, &code), PIPC_EINVAL);
  T_RC(pipc_process_kill(NULL), PIPC_EINVAL);
  CU_ASSERT_EQUAL(pipc_process_pid(NULL), -1);
  pipc_process_free(NULL); /* no crash */
}

void test_misuse_null_out_pointers_are_einval(void) {
  char name[80];
  const char *argv_empty[] = {NULL};
  const char *argv_blank[] = {"", NULL};
  pipc_process *p = (pipc_process *)1;
  pipc_sem *sem = NULL;
  pipc_shm *shm = NULL;
  char buf[4];
  t_name(name, sizeof name, "nullout");
  T_RC(pipc_shm_create(name, 16, NULL), PIPC_EINVAL);
  T_RC(pipc_shm_open(name, NULL), PIPC_EINVAL);
  T_RC(pipc_sem_create(name, 0, 0, NULL), PIPC_EINVAL);
  T_RC(pipc_sem_open(name, NULL), PIPC_EINVAL);
  T_RC(pipc_lock_create(name, NULL), PIPC_EINVAL);
  T_RC(pipc_lock_open(name, NULL), PIPC_EINVAL);
  T_RC(pipc_process_spawn(NULL, &p), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(p);
  T_RC(pipc_process_spawn(argv_empty, &p), PIPC_EINVAL);
  T_RC(pipc_process_spawn(argv_blank, &p), PIPC_EINVAL);
  T_RC(pipc_process_spawn(argv_blank, NULL), PIPC_EINVAL);
  T_RC(pipc_self_exe(NULL, 10), PIPC_EINVAL);
  T_RC(pipc_self_exe(buf, 0), PIPC_EINVAL);
  /* None of the failed creates left a name behind. */
  T_RC(pipc_shm_open(name, &shm), PIPC_ENOENT);
  T_RC(pipc_sem_create(name, 0, 0, &sem), PIPC_OK);
  T_RC(pipc_sem_value(sem, NULL), PIPC_EINVAL);
  T_RC(pipc_sem_unlink(name), PIPC_OK);
  pipc_sem_close(sem);
}

void test_misuse_bad_timeouts_are_einval(void) {
  pipc_sem *sem = NULL;
  pipc_lock *lock = NULL;
  T_RC(pipc_sem_create(NULL, 1, 0, &sem), PIPC_OK);
  T_RC(pipc_lock_create(NULL, &lock), PIPC_OK);
  CU_ASSERT_FATAL(sem && lock);
  T_RC(pipc_sem_wait(sem, -2), PIPC_EINVAL);
  T_RC(pipc_lock_acquire(lock, -5), PIPC_EINVAL);
  /* Nothing was consumed by the refused calls. */
  T_RC(pipc_sem_wait(sem, 0), PIPC_OK);
  T_RC(pipc_lock_acquire(lock, 0), PIPC_OK);
  T_RC(pipc_lock_release(lock), PIPC_OK);
  pipc_sem_unlink(pipc_sem_name(sem));
  pipc_lock_unlink(pipc_lock_name(lock));
  pipc_sem_close(sem);
  pipc_lock_close(lock);
}
