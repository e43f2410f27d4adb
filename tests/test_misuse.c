/* test_misuse.c - misuse of every entry point: NULL handles, NULL out
   pointers, bad timeouts are PIPC_EINVAL and change nothing. */
#include <stdio.h>
#include <string.h>

#include "harness.h"

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
