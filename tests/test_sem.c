/* test_sem.c - counting semaphores, in one process and across processes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pipc_testing.h" /* fault points: this binary has them */

void test_sem_initial_count(void) {
  char name[80];
  pipc_sem *s = NULL;
  unsigned v = 99;
  int i;
  t_name(name, sizeof name, "init");
  T_RC(pipc_sem_create(name, 3, 0, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  CU_ASSERT_STRING_EQUAL(pipc_sem_name(s), name);
  T_RC(pipc_sem_value(s, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 3);
  for (i = 0; i < 3; i++) T_RC(pipc_sem_wait(s, 0), PIPC_OK);
  T_RC(pipc_sem_wait(s, 0), PIPC_EAGAIN);
  T_RC(pipc_sem_value(s, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 0);
  T_RC(pipc_sem_unlink(name), PIPC_OK);
  pipc_sem_close(s);
}

void test_sem_zero_timeout_is_eagain(void) {
  pipc_sem *s = NULL;
  T_RC(pipc_sem_create(NULL, 0, 1, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  T_RC(pipc_sem_wait(s, 0), PIPC_EAGAIN);
  T_RC(pipc_sem_post(s), PIPC_OK);
  T_RC(pipc_sem_wait(s, 0), PIPC_OK);
  T_RC(pipc_sem_wait(s, 0), PIPC_EAGAIN);
  pipc_sem_unlink(pipc_sem_name(s));
  pipc_sem_close(s);
}

void test_sem_timeout_waits_at_least_timeout(void) {
  pipc_sem *s = NULL;
  int64_t t0, waited;
  T_RC(pipc_sem_create(NULL, 0, 0, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  t0 = t_now_ms();
  T_RC(pipc_sem_wait(s, 200), PIPC_ETIMEDOUT);
  waited = t_now_ms() - t0;
  CU_ASSERT(waited >= 200); /* a lower bound: never returns early */
  pipc_sem_unlink(pipc_sem_name(s));
  pipc_sem_close(s);
}

void test_sem_post_past_max_is_eoverflow(void) {
  pipc_sem *s = NULL;
  unsigned v = 0;
  T_RC(pipc_sem_create(NULL, 1, 2, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  T_RC(pipc_sem_post(s), PIPC_OK);
  T_RC(pipc_sem_post(s), PIPC_EOVERFLOW);
  T_RC(pipc_sem_value(s, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 2); /* unchanged by the refused post */
  T_RC(pipc_sem_wait(s, 0), PIPC_OK);
  T_RC(pipc_sem_post(s), PIPC_OK);
  T_RC(pipc_sem_value(s, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 2);
  pipc_sem_unlink(pipc_sem_name(s));
  pipc_sem_close(s);
}

void test_sem_bad_bounds_are_einval(void) {
  char name[80];
  pipc_sem *s = (pipc_sem *)1;
  t_name(name, sizeof name, "bounds");
  T_RC(pipc_sem_create(name, 3, 2, &s), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(s);
  T_RC(pipc_sem_create(name, 0, PIPC_SEM_VALUE_MAX + 1u, &s), PIPC_EINVAL);
  T_RC(pipc_sem_create(name, PIPC_SEM_VALUE_MAX + 1u, 0, &s), PIPC_EINVAL);
  T_RC(pipc_sem_open(name, &s), PIPC_ENOENT); /* nothing left behind */
  T_RC(pipc_sem_create(name, 2, 2, &s), PIPC_OK); /* initial == max is fine */
  pipc_sem_unlink(name);
  pipc_sem_close(s);
}

/* pipc_sem_max: the bound as created, seen by every handle; an unbounded
   semaphore's is PIPC_SEM_VALUE_MAX. */
void test_sem_max_reports_the_bound(void) {
  char name[80];
  pipc_sem *s = NULL, *o = NULL, *u = NULL;
  unsigned m = 0;
  t_name(name, sizeof name, "smax");
  T_RC(pipc_sem_create(name, 1, 5, &s), PIPC_OK);
  T_RC(pipc_sem_open(name, &o), PIPC_OK);
  T_RC(pipc_sem_create(NULL, 0, 0, &u), PIPC_OK);
  CU_ASSERT_FATAL(s && o && u);
  T_RC(pipc_sem_max(s, &m), PIPC_OK);
  CU_ASSERT_EQUAL(m, 5);
  m = 0;
  T_RC(pipc_sem_max(o, &m), PIPC_OK);
  CU_ASSERT_EQUAL(m, 5);
  T_RC(pipc_sem_max(u, &m), PIPC_OK);
  CU_ASSERT_EQUAL(m, PIPC_SEM_VALUE_MAX);
  T_RC(pipc_sem_max(NULL, &m), PIPC_EINVAL);
  T_RC(pipc_sem_max(s, NULL), PIPC_EINVAL);
  pipc_sem_unlink(name);
  pipc_sem_unlink(pipc_sem_name(u));
  pipc_sem_close(s);
  pipc_sem_close(o);
  pipc_sem_close(u);
}

void test_sem_unbounded_counts_up(void) {
  pipc_sem *s = NULL;
  unsigned v = 0;
  int i;
  T_RC(pipc_sem_create(NULL, PIPC_SEM_VALUE_MAX - 2, 0, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  T_RC(pipc_sem_post(s), PIPC_OK);
  T_RC(pipc_sem_post(s), PIPC_OK);
  T_RC(pipc_sem_post(s), PIPC_EOVERFLOW); /* the representable limit */
  T_RC(pipc_sem_value(s, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, PIPC_SEM_VALUE_MAX);
  for (i = 0; i < 1000; i++) T_RC(pipc_sem_wait(s, 0), PIPC_OK);
  T_RC(pipc_sem_value(s, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, PIPC_SEM_VALUE_MAX - 1000);
  pipc_sem_unlink(pipc_sem_name(s));
  pipc_sem_close(s);
}

void test_sem_open_shares_count(void) {
  char name[80];
  pipc_sem *a = NULL, *b = NULL, *c = (pipc_sem *)1;
  unsigned v = 0;
  t_name(name, sizeof name, "share");
  T_RC(pipc_sem_create(name, 0, 5, &a), PIPC_OK);
  T_RC(pipc_sem_open(name, &b), PIPC_OK);
  CU_ASSERT_FATAL(a && b);
  T_RC(pipc_sem_post(a), PIPC_OK);
  T_RC(pipc_sem_value(b, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 1);
  T_RC(pipc_sem_wait(b, 0), PIPC_OK);
  T_RC(pipc_sem_wait(a, 0), PIPC_EAGAIN);
  /* the bound travels with the object */
  T_RC(pipc_sem_post(b), PIPC_OK);
  T_RC(pipc_sem_post(b), PIPC_OK);
  T_RC(pipc_sem_post(b), PIPC_OK);
  T_RC(pipc_sem_post(b), PIPC_OK);
  T_RC(pipc_sem_post(b), PIPC_OK);
  T_RC(pipc_sem_post(b), PIPC_EOVERFLOW);
  T_RC(pipc_sem_unlink(name), PIPC_OK);
  T_RC(pipc_sem_open(name, &c), PIPC_ENOENT);
  CU_ASSERT_PTR_NULL(c);
  pipc_sem_close(a);
  pipc_sem_close(b);
}

/* argv: sem_wait NAME READY_SEM TIMEOUT -> 0 if the wait succeeded */
int role_sem_wait(int argc, char **argv) {
  pipc_sem *s = NULL, *ready = NULL;
  int rc;
  if (argc < 4) return 10;
  if (pipc_sem_open(argv[1], &s) != PIPC_OK) return 11;
  if (pipc_sem_open(argv[2], &ready) != PIPC_OK) return 12;
  pipc_sem_post(ready);
  rc = pipc_sem_wait(s, atoi(argv[3]));
  pipc_sem_close(s);
  pipc_sem_close(ready);
  return rc == PIPC_OK ? 0 : 20 - rc;
}

/* argv: sem_post_later NAME DELAY_MS */
int role_sem_post_later(int argc, char **argv) {
  pipc_sem *s = NULL;
  int rc;
  if (argc < 3 || pipc_sem_open(argv[1], &s) != PIPC_OK) return 10;
  pipc_sleep_ms(atoi(argv[2]));
  rc = pipc_sem_post(s);
  pipc_sem_close(s);
  return rc == PIPC_OK ? 0 : 11;
}

void test_sem_waiter_woken_by_other_process(void) {
  char name[80], ready_name[80];
  pipc_sem *s = NULL, *ready = NULL;
  pipc_process *p;
  t_name(name, sizeof name, "wake");
  t_name(ready_name, sizeof ready_name, "ready");
  T_RC(pipc_sem_create(name, 0, 0, &s), PIPC_OK);
  T_RC(pipc_sem_create(ready_name, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(s && ready);
  p = t_spawn("sem_wait", name, ready_name, "30000", NULL);
  CU_ASSERT_FATAL(p != NULL);
  T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
  pipc_sleep_ms(50); /* let it go to sleep; the test holds either way */
  T_RC(pipc_sem_post(s), PIPC_OK);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  pipc_sem_unlink(name);
  pipc_sem_unlink(ready_name);
  pipc_sem_close(s);
  pipc_sem_close(ready);
}

void test_sem_other_process_woken_by_post(void) {
  char name[80];
  pipc_sem *s = NULL;
  pipc_process *p;
  t_name(name, sizeof name, "wake2");
  T_RC(pipc_sem_create(name, 0, 1, &s), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  p = t_spawn("sem_post_later", name, "100", NULL);
  T_RC(pipc_sem_wait(s, 30000), PIPC_OK); /* this process sleeps, the child posts */
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  pipc_sem_unlink(name);
  pipc_sem_close(s);
}

/* Two threads bounce a token through two semaphores 20000 times: every post
   must be taken exactly once, none lost to a sleeping thread. */
struct pingpong {
  pipc_sem *ping, *pong;
  int rounds, errors;
};

static void pong_thread(void *arg) {
  struct pingpong *pp = (struct pingpong *)arg;
  int i;
  for (i = 0; i < pp->rounds; i++) {
    if (pipc_sem_wait(pp->ping, 30000) != PIPC_OK) pp->errors++;
    if (pipc_sem_post(pp->pong) != PIPC_OK) pp->errors++;
  }
}

void test_sem_threads_hand_off_exactly(void) {
  struct pingpong pp;
  unsigned v = 9;
  int i, errors = 0;
  memset(&pp, 0, sizeof pp);
  pp.rounds = 20000;
  T_RC(pipc_sem_create(NULL, 0, 1, &pp.ping), PIPC_OK);
  T_RC(pipc_sem_create(NULL, 0, 1, &pp.pong), PIPC_OK);
  CU_ASSERT_FATAL(pp.ping && pp.pong);
  {
    t_thread *th = t_thread_start(pong_thread, &pp);
    CU_ASSERT_FATAL(th != NULL);
    for (i = 0; i < pp.rounds; i++) {
      if (pipc_sem_post(pp.ping) != PIPC_OK) errors++;
      if (pipc_sem_wait(pp.pong, 30000) != PIPC_OK) errors++;
    }
    t_thread_join(th);
  }
  CU_ASSERT_EQUAL(errors, 0);
  CU_ASSERT_EQUAL(pp.errors, 0);
  T_RC(pipc_sem_value(pp.ping, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 0);
  T_RC(pipc_sem_value(pp.pong, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 0);
  pipc_sem_unlink(pipc_sem_name(pp.ping));
  pipc_sem_unlink(pipc_sem_name(pp.pong));
  pipc_sem_close(pp.ping);
  pipc_sem_close(pp.pong);
}

/* Seed 002: Semaphore(3), ten tasks; the shared block counts who is inside.
   argv: sem_task SEM LOCK SHM */
struct inside {
  int now, most, done;
};

int role_sem_task(int argc, char **argv) {
  pipc_sem *sem = NULL;
  pipc_lock *lock = NULL;
  pipc_shm *shm = NULL;
  struct inside *in;
  int rc = 0;
  if (argc < 4) return 10;
  if (pipc_sem_open(argv[1], &sem) || pipc_lock_open(argv[2], &lock) ||
      pipc_shm_open(argv[3], &shm))
    return 11;
  in = (struct inside *)pipc_shm_addr(shm);
  if (pipc_sem_wait(sem, 60000) != PIPC_OK) return 12;
  if (pipc_lock_acquire(lock, 60000) != PIPC_OK) return 13;
  if (++in->now > in->most) in->most = in->now;
  pipc_lock_release(lock);
  pipc_sleep_ms(30); /* "the task" */
  if (pipc_lock_acquire(lock, 60000) != PIPC_OK) return 14;
  in->now--;
  in->done++;
  pipc_lock_release(lock);
  if (pipc_sem_post(sem) != PIPC_OK) rc = 15;
  pipc_sem_close(sem);
  pipc_lock_close(lock);
  pipc_shm_close(shm);
  return rc;
}

void test_sem_seed002_three_of_ten_inside(void) {
  char sname[80], lname[80], mname[80];
  pipc_sem *sem = NULL;
  pipc_lock *lock = NULL;
  pipc_shm *shm = NULL;
  pipc_process *kids[10];
  struct inside *in;
  unsigned v = 0;
  int i;
  t_name(sname, sizeof sname, "s3");
  t_name(lname, sizeof lname, "l3");
  t_name(mname, sizeof mname, "m3");
  T_RC(pipc_sem_create(sname, 3, 3, &sem), PIPC_OK);
  T_RC(pipc_lock_create(lname, &lock), PIPC_OK);
  T_RC(pipc_shm_create(mname, sizeof(struct inside), &shm), PIPC_OK);
  CU_ASSERT_FATAL(sem && lock && shm);
  for (i = 0; i < 10; i++) kids[i] = t_spawn("sem_task", sname, lname, mname, NULL);
  for (i = 0; i < 10; i++) CU_ASSERT_EQUAL(t_join(kids[i], 60000), 0);
  in = (struct inside *)pipc_shm_addr(shm);
  CU_ASSERT_EQUAL(in->done, 10);
  CU_ASSERT_EQUAL(in->now, 0);
  CU_ASSERT(in->most >= 1 && in->most <= 3);
  T_RC(pipc_sem_value(sem, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 3);
  pipc_sem_unlink(sname);
  pipc_lock_unlink(lname);
  pipc_shm_unlink(mname);
  pipc_sem_close(sem);
  pipc_lock_close(lock);
  pipc_shm_close(shm);
}

/* ---- PIPC_SEM_UNDO: a holder that ends or dies gives its units back ---- */

void test_sem_undo_bad_flags(void) {
  char name[80];
  pipc_sem *s = (pipc_sem *)1;
  unsigned v = 9;
  t_name(name, sizeof name, "undoflags");
  T_RC(pipc_sem_create_ex(name, 1, 1, 2, &s), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(s);
  T_RC(pipc_sem_create_ex(name, 2, 1, PIPC_SEM_UNDO, &s), PIPC_EINVAL); /* initial > max */
  T_RC(pipc_sem_create_ex(name, 1, 3, 0, &s), PIPC_OK); /* 0: a plain semaphore */
  T_RC(pipc_sem_value(s, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 1);
  T_RC(pipc_sem_unlink(name), PIPC_OK);
  pipc_sem_close(s);
}

/* argv: sem_undo_take NAME READY [FAULT] -> takes a unit of the UNDO
   semaphore NAME (FAULT: armed first, so it dies inside that wait, or,
   for the post points, takes one and dies inside a post); posts READY and
   waits to be killed, or (FAULT "exit") returns without posting. */
int role_sem_undo_take(int argc, char **argv) {
  pipc_sem *s = NULL, *ready = NULL;
  int point = 0, in_post = 0, rc;
  if (argc < 3 || pipc_sem_open(argv[1], &s) || pipc_sem_open(argv[2], &ready)) return 10;
  if (argc > 3 && strcmp(argv[3], "exit") != 0) {
    point = atoi(argv[3]);
    in_post = argc > 4 && strcmp(argv[4], "post") == 0;
  }
  if (point && !in_post) pipc__fault_arm(point, 1);
  rc = pipc_sem_wait(s, 10000);
  if (rc != PIPC_OK && rc != PIPC_EOWNERDEAD) return 11;
  if (point && in_post) {
    pipc__fault_arm(point, 1);
    pipc_sem_post(s);
    return 12; /* not reached: the fault point kills */
  }
  if (argc > 3 && strcmp(argv[3], "exit") == 0)
    _Exit(0); /* the process ends holding it, closing nothing (no exit hooks) */
  pipc_sem_post(ready);
  pipc_sleep_ms(60000);
  return 13;
}

/* A process killed holding the one unit: the next wait takes it with
   PIPC_EOWNERDEAD; before that the unit is held (EAGAIN). */
void test_sem_undo_holder_killed_gives_back(void) {
  char name[80], rname[80];
  pipc_sem *s = NULL, *ready = NULL;
  pipc_process *child;
  unsigned v = 9;
  t_name(name, sizeof name, "undokill");
  t_name(rname, sizeof rname, "undokillready");
  T_RC(pipc_sem_create_ex(name, 1, 1, PIPC_SEM_UNDO, &s), PIPC_OK);
  T_RC(pipc_sem_create(rname, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(s && ready);
  child = t_spawn("sem_undo_take", name, rname, NULL);
  T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
  T_RC(pipc_sem_wait(s, 0), PIPC_EAGAIN); /* held by a live process */
  T_RC(pipc_sem_wait(s, 300), PIPC_ETIMEDOUT);
  pipc_process_kill(child);
  CU_ASSERT_EQUAL(t_join(child, 30000), -9);
  T_RC(pipc_sem_wait(s, 10000), PIPC_EOWNERDEAD); /* taken, and told */
  T_RC(pipc_sem_value(s, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 0);
  T_RC(pipc_sem_post(s), PIPC_OK); /* this thread's unit back */
  T_RC(pipc_sem_post(s), PIPC_EOVERFLOW);
  T_RC(pipc_sem_wait(s, 0), PIPC_OK); /* an ordinary take now */
  T_RC(pipc_sem_post(s), PIPC_OK);
  pipc_sem_unlink(name);
  pipc_sem_unlink(rname);
  pipc_sem_close(s);
  pipc_sem_close(ready);
}

static pipc_sem *undo_s;
static void take_and_end(void *arg) {
  int *rc = (int *)arg;
  *rc = pipc_sem_wait(undo_s, 0);
}

/* A thread that ends holding units gives them back; a post by the holder
   returns its own, one by a thread that holds none adds a unit (up to max);
   closing a handle gives back the closing thread's units. */
void test_sem_undo_thread_end_post_and_close(void) {
  char name[80];
  pipc_sem *o = NULL;
  unsigned v = 9;
  int rc = -100;
  t_name(name, sizeof name, "undothr");
  T_RC(pipc_sem_create_ex(name, 2, 3, PIPC_SEM_UNDO, &undo_s), PIPC_OK);
  CU_ASSERT_FATAL(undo_s != NULL);
  T_RC(pipc_sem_wait(undo_s, 0), PIPC_OK); /* this thread registers first... */
  T_RC(pipc_sem_post(undo_s), PIPC_OK);    /* ...and holds nothing */
  t_thread_join(t_thread_start(take_and_end, &rc));
  T_RC(rc, PIPC_OK);
  T_RC(pipc_sem_value(undo_s, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 1);
  T_RC(pipc_sem_wait(undo_s, 0), PIPC_OK);
  T_RC(pipc_sem_wait(undo_s, 0), PIPC_EOWNERDEAD); /* the ended thread's came back */
  T_RC(pipc_sem_wait(undo_s, 0), PIPC_EAGAIN);     /* this thread holds both */
  T_RC(pipc_sem_post(undo_s), PIPC_OK);
  T_RC(pipc_sem_post(undo_s), PIPC_OK);
  T_RC(pipc_sem_post(undo_s), PIPC_OK);            /* holds none: adds the third */
  T_RC(pipc_sem_post(undo_s), PIPC_EOVERFLOW);
  T_RC(pipc_sem_value(undo_s, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 3);
  /* a second handle of this thread: its close gives back what it took */
  T_RC(pipc_sem_open(name, &o), PIPC_OK);
  CU_ASSERT_FATAL(o != NULL);
  T_RC(pipc_sem_wait(o, 0), PIPC_OK);
  T_RC(pipc_sem_wait(o, 0), PIPC_OK);
  T_RC(pipc_sem_value(undo_s, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 1);
  T_RC(pipc_sem_close(o), PIPC_OK);
  T_RC(pipc_sem_value(undo_s, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 3);
  pipc_sem_unlink(name);
  pipc_sem_close(undo_s);
}

#ifdef T_SEM_KILL_ROUNDS /* the sanitizers (tests/CMakeLists.txt) */
#define UNDO_KILL_ROUNDS T_SEM_KILL_ROUNDS
#elif defined(_WIN32) /* process starts cost tens of ms under Wine */
#define UNDO_KILL_ROUNDS 40
#else
#define UNDO_KILL_ROUNDS 1000
#endif

/* Holders die, round after round, at every point: killed holding the
   unit, ended holding it, dead inside a wait or a post at each fault point
   (the change logged but not made; made but the log still set).  After
   each death the parent's wait takes the one unit - PIPC_EOWNERDEAD exactly
   when the dead process still held it - and its post gives it back: the
   count is 1 again, never lost, never doubled. */
void test_sem_undo_holders_die_everywhere(void) {
  char name[80], rname[80], pt[8];
  pipc_sem *s = NULL, *ready = NULL;
  int round, bad = 0, owner_dead = 0, expect_dead = 0;
  const char *v = getenv("PIPC_SEM_KILL_ROUNDS");
  int rounds = v && atoi(v) > 0 ? atoi(v) : UNDO_KILL_ROUNDS;
  t_name(name, sizeof name, "undodie");
  t_name(rname, sizeof rname, "undodieready");
  T_RC(pipc_sem_create_ex(name, 1, 1, PIPC_SEM_UNDO, &s), PIPC_OK);
  T_RC(pipc_sem_create(rname, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(s && ready);
  for (round = 0; round < rounds && bad == 0; round++) {
    pipc_process *child;
    unsigned val = 9;
    int how = round % 6, rc, held_at_death;
    switch (how) {
    case 0: /* killed from outside, holding it */
      child = t_spawn("sem_undo_take", name, rname, NULL);
      if (pipc_sem_wait(ready, 30000) != PIPC_OK) bad = 1;
      pipc_process_kill(child);
      held_at_death = 1;
      break;
    case 1: /* its process ends holding it */
      child = t_spawn("sem_undo_take", name, rname, "exit", NULL);
      held_at_death = 1;
      break;
    default: /* dies at a fault point inside a wait or a post */
      snprintf(pt, sizeof pt, "%d",
               how % 2 == 0 ? PIPC__FAULT_SEM_LOGGED : PIPC__FAULT_SEM_CHANGED);
      child = t_spawn("sem_undo_take", name, rname, pt, how >= 4 ? "post" : "wait", NULL);
      held_at_death = how >= 4; /* a post put back nothing: the log undoes it */
      break;
    }
    rc = t_join(child, 30000);
    if (rc != -9 && !(how == 1 && rc == 0)) {
      fprintf(stderr, "undo round %d (%d): child ended %d\n", round, how, rc);
      bad = 1;
    }
    rc = pipc_sem_wait(s, 10000);
    owner_dead += rc == PIPC_EOWNERDEAD;
    expect_dead += held_at_death;
    if ((rc != PIPC_OK && rc != PIPC_EOWNERDEAD) || (rc == PIPC_EOWNERDEAD) != held_at_death) {
      fprintf(stderr, "undo round %d (%d): wait %d\n", round, how, rc);
      bad = 1;
    }
    if (pipc_sem_post(s) != PIPC_OK || pipc_sem_value(s, &val) != PIPC_OK || val != 1) {
      fprintf(stderr, "undo round %d (%d): count %u after the post\n", round, how, val);
      bad = 1;
    }
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(owner_dead, expect_dead);
  printf("\n    %d rounds, %d holders died holding the unit\n", round, owner_dead);
  pipc_sem_unlink(name);
  pipc_sem_unlink(rname);
  pipc_sem_close(s);
  pipc_sem_close(ready);
}

/* A thread whose first wait takes the registry entry of a holder that died
   inside a post (its change made, the log still set): the log is undone
   before the entry's units are read, so the dead holder's unit comes back
   to the count - not to the new, live thread. */
void test_sem_undo_fresh_entry_after_a_death_in_post(void) {
  char name[80], rname[80], pt[8];
  pipc_sem *s = NULL, *ready = NULL;
  unsigned v = 9;
  t_name(name, sizeof name, "undofresh");
  t_name(rname, sizeof rname, "undofreshready");
  T_RC(pipc_sem_create_ex(name, 1, 1, PIPC_SEM_UNDO, &s), PIPC_OK);
  T_RC(pipc_sem_create(rname, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(s && ready);
  /* this thread has not used s: the child takes the first entry */
  snprintf(pt, sizeof pt, "%d", PIPC__FAULT_SEM_CHANGED);
  CU_ASSERT_EQUAL(t_join(t_spawn("sem_undo_take", name, rname, pt, "post", NULL), 30000), -9);
  T_RC(pipc_sem_wait(s, 10000), PIPC_EOWNERDEAD); /* ...and this one takes it over */
  T_RC(pipc_sem_value(s, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 0);
  T_RC(pipc_sem_post(s), PIPC_OK);
  T_RC(pipc_sem_wait(s, 0), PIPC_OK);
  T_RC(pipc_sem_post(s), PIPC_OK);
  pipc_sem_unlink(name);
  pipc_sem_unlink(rname);
  pipc_sem_close(s);
  pipc_sem_close(ready);
}

static void undo_take_one(void *arg) { *(int *)arg = pipc_sem_wait(undo_s, 0); }
static void undo_give_one(void *arg) { *(int *)arg = pipc_sem_post(undo_s); }

/* A post by a thread that holds no unit adds one only while the units free
   and held stay within max (the mode is for units given back by their
   taker, not for hand-off). */
void test_sem_undo_post_by_non_holder_is_bounded(void) {
  char name[80];
  unsigned v = 9;
  int rc = -100;
  t_name(name, sizeof name, "undobound");
  T_RC(pipc_sem_create_ex(name, 1, 1, PIPC_SEM_UNDO, &undo_s), PIPC_OK);
  CU_ASSERT_FATAL(undo_s != NULL);
  T_RC(pipc_sem_wait(undo_s, 0), PIPC_OK); /* this thread holds the one unit */
  t_thread_join(t_thread_start(undo_give_one, &rc));
  T_RC(rc, PIPC_EOVERFLOW); /* another thread cannot add a second */
  T_RC(pipc_sem_value(undo_s, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 0);
  T_RC(pipc_sem_post(undo_s), PIPC_OK); /* the holder gives it back */
  t_thread_join(t_thread_start(undo_take_one, &rc));
  T_RC(rc, PIPC_OK); /* taken by a thread that then ends with it... */
  T_RC(pipc_sem_wait(undo_s, 0), PIPC_EOWNERDEAD); /* ...so it comes back */
  T_RC(pipc_sem_post(undo_s), PIPC_OK);
  pipc_sem_unlink(name);
  pipc_sem_close(undo_s);
}

/* wait(0) while other threads use the semaphore: the mutex being busy is
   no PIPC_ETIMEDOUT - a timeout-0 wait takes a unit (units are free) or,
   if the mutex stayed busy past the moment it waits for it (a scheduler
   that keeps its holder off the CPU, as valgrind's can), says
   PIPC_EAGAIN.  How often each happens is a matter of timing, not
   asserted.  The churn never gives up (its waits are forever: the count
   stays above 0, so they wait only for the mutex), and the trying side
   stops after 50,000 tries or 3 s once it has made 2,000: under valgrind,
   which runs one thread at a time, three threads on one mutex crawl (one
   run took 88 s) and a churn wait once outlived a 60 s timeout. */
static volatile int undo_churn_stop;
static volatile uint32_t undo_churning;
static void undo_churn(void *arg) {
  int *bad = (int *)arg, n = 0;
  pipc__add32(&undo_churning, 1);
  while (!pipc__load32((volatile uint32_t *)&undo_churn_stop)) {
    if (pipc_sem_wait(undo_s, PIPC_FOREVER) != PIPC_OK || pipc_sem_post(undo_s) != PIPC_OK) n++;
  }
  pipc__add32((volatile uint32_t *)bad, n);
}

void test_sem_undo_trywait_is_never_etimedout(void) {
  char name[80];
  t_thread *th, *th2;
  int i, bad = 0, churn_bad = 0;
  int64_t start;
  t_name(name, sizeof name, "undotry");
  T_RC(pipc_sem_create_ex(name, 50, 100, PIPC_SEM_UNDO, &undo_s), PIPC_OK);
  CU_ASSERT_FATAL(undo_s != NULL);
  undo_churn_stop = 0;
  undo_churning = 0;
  th = t_thread_start(undo_churn, &churn_bad);
  th2 = t_thread_start(undo_churn, &churn_bad);
  while (pipc__load32(&undo_churning) < 2) pipc_sleep_ms(1); /* both at it */
  start = t_now_ms();
  for (i = 0; i < 50000 && (i < 2000 || t_now_ms() - start < 3000); i++) {
    int rc = pipc_sem_wait(undo_s, 0);
    if (rc != PIPC_OK && rc != PIPC_EAGAIN) bad++;
    else if (rc == PIPC_OK && pipc_sem_post(undo_s) != PIPC_OK) bad++;
  }
  pipc__store32((volatile uint32_t *)&undo_churn_stop, 1);
  t_thread_join(th);
  t_thread_join(th2);
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(churn_bad, 0);
  pipc_sem_unlink(name);
  pipc_sem_close(undo_s);
}
