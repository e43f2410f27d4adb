/* test_lock.c - the robust named Lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "os.h"

void test_lock_acquire_release(void) {
  char name[80];
  pipc_lock *a = NULL, *b = NULL, *c = (pipc_lock *)1;
  t_name(name, sizeof name, "lk");
  T_RC(pipc_lock_create(name, &a), PIPC_OK);
  T_RC(pipc_lock_create(name, &b), PIPC_EEXIST);
  T_RC(pipc_lock_open(name, &b), PIPC_OK);
  CU_ASSERT_FATAL(a && b);
  CU_ASSERT_STRING_EQUAL(pipc_lock_name(b), name);
  T_RC(pipc_lock_acquire(a, PIPC_FOREVER), PIPC_OK);
  T_RC(pipc_lock_release(a), PIPC_OK);
  T_RC(pipc_lock_acquire(b, 0), PIPC_OK);
  T_RC(pipc_lock_release(b), PIPC_OK);
  T_RC(pipc_lock_unlink(name), PIPC_OK);
  T_RC(pipc_lock_open(name, &c), PIPC_ENOENT);
  CU_ASSERT_PTR_NULL(c);
  pipc_lock_close(a);
  pipc_lock_close(b);
}

void test_lock_misuse_by_holder_is_einval(void) {
  pipc_lock *l = NULL;
  T_RC(pipc_lock_create(NULL, &l), PIPC_OK);
  CU_ASSERT_FATAL(l != NULL);
  T_RC(pipc_lock_release(l), PIPC_EINVAL); /* not held */
  T_RC(pipc_lock_acquire(l, 1000), PIPC_OK);
  T_RC(pipc_lock_acquire(l, 1000), PIPC_EINVAL); /* would deadlock */
  T_RC(pipc_lock_release(l), PIPC_OK);
  T_RC(pipc_lock_release(l), PIPC_EINVAL);
  T_RC(pipc_lock_acquire(l, 0), PIPC_OK); /* still works */
  T_RC(pipc_lock_release(l), PIPC_OK);
  pipc_lock_unlink(pipc_lock_name(l));
  pipc_lock_close(l);
}

/* argv: lock_hold LOCK READY_SEM -> acquires, posts READY, sleeps until
   killed (or 60 s). */
int role_lock_hold(int argc, char **argv) {
  pipc_lock *l = NULL;
  pipc_sem *ready = NULL;
  if (argc < 3 || pipc_lock_open(argv[1], &l) || pipc_sem_open(argv[2], &ready))
    return 10;
  if (pipc_lock_acquire(l, 30000) != PIPC_OK) return 11;
  pipc_sem_post(ready);
  pipc_sleep_ms(60000);
  return 12;
}

static pipc_process *start_holder(const char *lname, pipc_sem *ready,
                                  const char *rname) {
  pipc_process *p = t_spawn("lock_hold", lname, rname, NULL);
  CU_ASSERT_PTR_NOT_NULL(p);
  T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
  return p;
}

void test_lock_timeouts_when_held(void) {
  char lname[80], rname[80];
  pipc_lock *l = NULL;
  pipc_sem *ready = NULL;
  pipc_process *p;
  int64_t t0;
  int code = 0;
  t_name(lname, sizeof lname, "lt");
  t_name(rname, sizeof rname, "rt");
  T_RC(pipc_lock_create(lname, &l), PIPC_OK);
  T_RC(pipc_sem_create(rname, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(l && ready);
  p = start_holder(lname, ready, rname);
  T_RC(pipc_lock_acquire(l, 0), PIPC_EAGAIN);
  t0 = t_now_ms();
  T_RC(pipc_lock_acquire(l, 200), PIPC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 200);
  T_RC(pipc_process_kill(p), PIPC_OK);
  T_RC(pipc_process_wait(p, 30000, &code), PIPC_OK);
  pipc_process_free(p);
  T_RC(pipc_lock_acquire(l, 30000), PIPC_EOWNERDEAD);
  T_RC(pipc_lock_release(l), PIPC_OK);
  pipc_lock_unlink(lname);
  pipc_sem_unlink(rname);
  pipc_lock_close(l);
  pipc_sem_close(ready);
}

/* Seed 002's Value race, fixed: argv lock_count LOCK SHM N */
int role_lock_count(int argc, char **argv) {
  pipc_lock *l = NULL;
  pipc_shm *s = NULL;
  volatile long *counter;
  int i, n;
  if (argc < 4 || pipc_lock_open(argv[1], &l) || pipc_shm_open(argv[2], &s))
    return 10;
  counter = (volatile long *)pipc_shm_addr(s);
  n = atoi(argv[3]);
  for (i = 0; i < n; i++) {
    long v;
    if (pipc_lock_acquire(l, 60000) != PIPC_OK) return 11;
    v = *counter; /* a read-modify-write that races without the lock */
    *counter = v + 1;
    if (pipc_lock_release(l) != PIPC_OK) return 12;
  }
  pipc_lock_close(l);
  pipc_shm_close(s);
  return 0;
}

void test_lock_seed002_counter_race_fixed(void) {
  char lname[80], mname[80];
  pipc_lock *l = NULL;
  pipc_shm *s = NULL;
  pipc_process *kids[4];
  int i;
  t_name(lname, sizeof lname, "lc");
  t_name(mname, sizeof mname, "mc");
  T_RC(pipc_lock_create(lname, &l), PIPC_OK);
  T_RC(pipc_shm_create(mname, sizeof(long), &s), PIPC_OK);
  CU_ASSERT_FATAL(l && s);
  for (i = 0; i < 4; i++) kids[i] = t_spawn("lock_count", lname, mname, "20000", NULL);
  for (i = 0; i < 4; i++) CU_ASSERT_EQUAL(t_join(kids[i], 120000), 0);
  CU_ASSERT_EQUAL(*(volatile long *)pipc_shm_addr(s), 80000);
  pipc_lock_unlink(lname);
  pipc_shm_unlink(mname);
  pipc_lock_close(l);
  pipc_shm_close(s);
}

void test_lock_holder_killed_is_eownerdead(void) {
  char lname[80], rname[80];
  pipc_lock *l = NULL;
  pipc_sem *ready = NULL;
  pipc_process *p;
  int code = 0;
  t_name(lname, sizeof lname, "ld");
  t_name(rname, sizeof rname, "rd");
  T_RC(pipc_lock_create(lname, &l), PIPC_OK);
  T_RC(pipc_sem_create(rname, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(l && ready);
  p = start_holder(lname, ready, rname);
  T_RC(pipc_process_kill(p), PIPC_OK);
  T_RC(pipc_process_wait(p, 30000, &code), PIPC_OK);
  CU_ASSERT_EQUAL(code, -9);
  pipc_process_free(p);
  T_RC(pipc_lock_acquire(l, 30000), PIPC_EOWNERDEAD); /* held, by us */
  T_RC(pipc_lock_release(l), PIPC_OK);
  /* ... and normal from now on, in this process and in others */
  T_RC(pipc_lock_acquire(l, 0), PIPC_OK);
  T_RC(pipc_lock_release(l), PIPC_OK);
  p = start_holder(lname, ready, rname);
  T_RC(pipc_lock_acquire(l, 0), PIPC_EAGAIN);
  pipc_process_kill(p);
  CU_ASSERT_EQUAL(t_join(p, 30000), -9);
  T_RC(pipc_lock_acquire(l, 30000), PIPC_EOWNERDEAD);
  T_RC(pipc_lock_release(l), PIPC_OK);
  pipc_lock_unlink(lname);
  pipc_sem_unlink(rname);
  pipc_lock_close(l);
  pipc_sem_close(ready);
}

/* argv: lock_wait LOCK READY_SEM -> posts READY, then acquires:
   exit 0 (acquired), 1 (acquired, owner dead), other: failed */
int role_lock_wait(int argc, char **argv) {
  pipc_lock *l = NULL;
  pipc_sem *ready = NULL;
  int rc;
  if (argc < 3 || pipc_lock_open(argv[1], &l) || pipc_sem_open(argv[2], &ready))
    return 10;
  pipc_sem_post(ready);
  rc = pipc_lock_acquire(l, 60000);
  if (rc != PIPC_OK && rc != PIPC_EOWNERDEAD) return 20 - rc;
  pipc_sleep_ms(5);
  if (pipc_lock_release(l) != PIPC_OK) return 12;
  pipc_lock_close(l);
  pipc_sem_close(ready);
  return rc == PIPC_EOWNERDEAD ? 1 : 0;
}

void test_lock_parked_waiters_survive_kill(void) {
  char lname[80], rname[80];
  pipc_lock *l = NULL;
  pipc_sem *ready = NULL;
  pipc_process *holder, *w[3];
  int i, dead_seen = 0, ok = 0;
  t_name(lname, sizeof lname, "lw");
  t_name(rname, sizeof rname, "rw");
  T_RC(pipc_lock_create(lname, &l), PIPC_OK);
  T_RC(pipc_sem_create(rname, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(l && ready);
  holder = start_holder(lname, ready, rname);
  for (i = 0; i < 3; i++) w[i] = t_spawn("lock_wait", lname, rname, NULL);
  for (i = 0; i < 3; i++) T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
  pipc_sleep_ms(100); /* let them park; the test holds either way */
  pipc_process_kill(holder);
  CU_ASSERT_EQUAL(t_join(holder, 30000), -9);
  for (i = 0; i < 3; i++) {
    int code = t_join(w[i], 60000);
    if (code == 1) dead_seen++;
    else if (code == 0) ok++;
    else fprintf(stderr, "\n  waiter %d exited %d", i, code);
  }
  CU_ASSERT_EQUAL(dead_seen, 1); /* exactly one inherits the dead lock */
  CU_ASSERT_EQUAL(ok, 2);
  T_RC(pipc_lock_acquire(l, 0), PIPC_OK);
  T_RC(pipc_lock_release(l), PIPC_OK);
  pipc_lock_unlink(lname);
  pipc_sem_unlink(rname);
  pipc_lock_close(l);
  pipc_sem_close(ready);
}

/* Unlink leaves nothing of the name behind: with the file-lock mutex
   (macOS, OpenBSD, the posix-flock build) its lock files go with it;
   elsewhere there are none.  A create after unlink starts afresh, even
   with an old handle still open - and the old handle still works. */
void test_lock_unlink_leaves_no_trace(void) {
  char name[80];
  pipc_lock *a = NULL, *b = NULL;
  t_name(name, sizeof name, "lku");
  T_RC(pipc_lock_create(name, &a), PIPC_OK);
  CU_ASSERT_FATAL(a != NULL);
  CU_ASSERT_EQUAL(t_os_mutex_file_exists(name, 0), PIPC_TEST_FLOCK_MUTEX);
  T_RC(pipc_lock_acquire(a, 0), PIPC_OK);
  T_RC(pipc_lock_unlink(name), PIPC_OK);
  CU_ASSERT_EQUAL(t_os_mutex_file_exists(name, 0), 0);
  pipc_lock_release(a);
  if (t_os_names_outlive_handles()) {
    /* POSIX: the name is free again at once (Windows: while a is open, the
       name lives; see the Conventions) */
    T_RC(pipc_lock_create(name, &b), PIPC_OK);
    CU_ASSERT_FATAL(b != NULL);
    T_RC(pipc_lock_acquire(a, 0), PIPC_OK); /* two objects: no exclusion */
    T_RC(pipc_lock_acquire(b, 0), PIPC_OK);
    T_RC(pipc_lock_release(b), PIPC_OK);
    T_RC(pipc_lock_release(a), PIPC_OK);
    pipc_lock_close(b);
    T_RC(pipc_lock_unlink(name), PIPC_OK);
    CU_ASSERT_EQUAL(t_os_mutex_file_exists(name, 0), 0);
  }
  pipc_lock_close(a);
}

/* pipc_lock_state looks without acquiring: free; held (by this thread, by
   another process, and so seen from a second handle); owner dead once the
   holder is killed - and it stays so for every look, the next acquire
   still gets PIPC_EOWNERDEAD, after which the lock is free again. */
void test_lock_state_without_acquiring(void) {
  char lname[80], rname[80];
  pipc_lock *l = NULL, *l2 = NULL;
  pipc_sem *ready = NULL;
  pipc_process *p;
  int st = -1;
  t_name(lname, sizeof lname, "lst");
  t_name(rname, sizeof rname, "rst");
  T_RC(pipc_lock_create(lname, &l), PIPC_OK);
  T_RC(pipc_lock_open(lname, &l2), PIPC_OK);
  T_RC(pipc_sem_create(rname, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(l && l2 && ready);
  T_RC(pipc_lock_state(NULL, &st), PIPC_EINVAL);
  T_RC(pipc_lock_state(l, NULL), PIPC_EINVAL);
  T_RC(pipc_lock_state(l, &st), PIPC_OK);
  CU_ASSERT_EQUAL(st, PIPC_LOCK_FREE);
  /* held by this thread: a look neither deadlocks nor takes it */
  T_RC(pipc_lock_acquire(l, 0), PIPC_OK);
  st = -1;
  T_RC(pipc_lock_state(l2, &st), PIPC_OK);
  CU_ASSERT_EQUAL(st, PIPC_LOCK_HELD);
  T_RC(pipc_lock_release(l), PIPC_OK);
  T_RC(pipc_lock_state(l2, &st), PIPC_OK);
  CU_ASSERT_EQUAL(st, PIPC_LOCK_FREE);
  /* held by a live process: held, look after look */
  p = start_holder(lname, ready, rname);
  st = -1;
  T_RC(pipc_lock_state(l, &st), PIPC_OK);
  CU_ASSERT_EQUAL(st, PIPC_LOCK_HELD);
  T_RC(pipc_lock_state(l2, &st), PIPC_OK);
  CU_ASSERT_EQUAL(st, PIPC_LOCK_HELD);
  T_RC(pipc_lock_acquire(l, 0), PIPC_EAGAIN); /* the looks took nothing */
  /* its holder killed: owner dead, for every look, until an acquire */
  pipc_process_kill(p);
  CU_ASSERT_EQUAL(t_join(p, 30000), -9);
  st = -1;
  T_RC(pipc_lock_state(l, &st), PIPC_OK);
  CU_ASSERT_EQUAL(st, PIPC_LOCK_OWNER_DEAD);
  st = -1;
  T_RC(pipc_lock_state(l2, &st), PIPC_OK);
  CU_ASSERT_EQUAL(st, PIPC_LOCK_OWNER_DEAD);
  T_RC(pipc_lock_acquire(l2, 30000), PIPC_EOWNERDEAD); /* the report is kept */
  T_RC(pipc_lock_state(l, &st), PIPC_OK);
  CU_ASSERT_EQUAL(st, PIPC_LOCK_HELD);
  T_RC(pipc_lock_release(l2), PIPC_OK);
  T_RC(pipc_lock_state(l, &st), PIPC_OK);
  CU_ASSERT_EQUAL(st, PIPC_LOCK_FREE);
  T_RC(pipc_lock_acquire(l, 0), PIPC_OK); /* normal from now on */
  T_RC(pipc_lock_release(l), PIPC_OK);
  pipc_lock_unlink(lname);
  pipc_sem_unlink(rname);
  pipc_lock_close(l);
  pipc_lock_close(l2);
  pipc_sem_close(ready);
}
