/* test_registry.c - the liveness registry (src/registry.c) the lock-free
   Queue keys on: a thread is alive while it holds its entry, and the
   kernel says when it stops - killed, ended, or its handle closed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "os.h"
#include "pipc_testing.h"

#define REG_N 4

/* Every entry's state as another thread or process sees it. */
static int alive_count(pipc__test_reg *r, int *which) {
  unsigned i;
  int n = 0;
  for (i = 0; i < REG_N; i++) {
    int rc = pipc__test_reg_check(r, i);
    CU_ASSERT(rc == 0 || rc == 1 || rc == 2);
    if (rc >= 1) {
      n++;
      if (which) *which = (int)i;
    }
  }
  return n;
}

/* argv: reg_hold REGISTRY READY_SEM - take an entry, say so, sleep. */
int role_reg_hold(int argc, char **argv) {
  pipc__test_reg *r = NULL;
  pipc_sem *ready = NULL;
  unsigned index;
  int fresh;
  if (argc < 3 || pipc__test_reg_open(argv[1], REG_N, &r) || pipc_sem_open(argv[2], &ready))
    return 10;
  if (pipc__test_reg_me(r, &index, &fresh) != PIPC_OK || !fresh) return 11;
  pipc_sem_post(ready);
  pipc_sleep_ms(60000);
  return 12;
}

void test_registry_killed_holder_is_dead(void) {
  char rname[80], sname[80];
  pipc__test_reg *r = NULL;
  pipc_sem *ready = NULL;
  pipc_process *p;
  unsigned mine;
  int fresh, held = -1, code = 0;
  t_name(rname, sizeof rname, "reg");
  t_name(sname, sizeof sname, "regs");
  T_RC(pipc__test_reg_create(rname, REG_N, &r), PIPC_OK);
  T_RC(pipc_sem_create(sname, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(r && ready);
  CU_ASSERT_EQUAL(alive_count(r, NULL), 0); /* nobody yet */
  p = t_spawn("reg_hold", rname, sname, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
  CU_ASSERT_EQUAL(alive_count(r, &held), 1); /* the child, and only it */
  /* This thread takes another entry; the child's stays the child's. */
  T_RC(pipc__test_reg_me(r, &mine, &fresh), PIPC_OK);
  CU_ASSERT_EQUAL(fresh, 1);
  CU_ASSERT_NOT_EQUAL((int)mine, held);
  CU_ASSERT_EQUAL(pipc__test_reg_check(r, mine), 2); /* itself */
  T_RC(pipc_process_kill(p), PIPC_OK);
  T_RC(pipc_process_wait(p, 30000, &code), PIPC_OK);
  CU_ASSERT_EQUAL(code, -9);
  pipc_process_free(p);
  /* Killed: the kernel let its entry go, so it reads as not alive. */
  CU_ASSERT_EQUAL(pipc__test_reg_check(r, (unsigned)held), 0);
  CU_ASSERT_EQUAL(alive_count(r, NULL), 1); /* this thread only */
  T_RC(pipc__test_reg_check(r, REG_N), PIPC_ECORRUPT); /* out of range */
  T_RC(pipc__test_reg_unlink(rname), PIPC_OK); /* unlink first: see pipc.h */
  pipc__test_reg_close(r);
  pipc_sem_unlink(sname);
  pipc_sem_close(ready);
}

/* A thread that takes an entry, says so, and waits to be let go. */
typedef struct reg_thread {
  pipc__test_reg *r;
  pipc_sem *took, *go;
  unsigned index;
  int rc, fresh;
} reg_thread;

static void reg_thread_main(void *arg) {
  reg_thread *t = (reg_thread *)arg;
  t->rc = pipc__test_reg_me(t->r, &t->index, &t->fresh);
  pipc_sem_post(t->took);
  pipc_sem_wait(t->go, 30000);
}

static void reg_sems(pipc_sem **took, pipc_sem **go) {
  T_RC(pipc_sem_create(NULL, 0, 0, took), PIPC_OK);
  T_RC(pipc_sem_create(NULL, 0, 0, go), PIPC_OK);
  CU_ASSERT_FATAL(*took && *go);
}

static void reg_sems_free(pipc_sem *took, pipc_sem *go) {
  pipc_sem_unlink(pipc_sem_name(took));
  pipc_sem_unlink(pipc_sem_name(go));
  pipc_sem_close(took);
  pipc_sem_close(go);
}

void test_registry_thread_end_lets_go(void) {
  char rname[80];
  pipc__test_reg *r = NULL;
  reg_thread t = {0};
  t_thread *th;
  unsigned again;
  int fresh;
  t_name(rname, sizeof rname, "regt");
  T_RC(pipc__test_reg_create(rname, REG_N, &r), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL);
  reg_sems(&t.took, &t.go);
  t.r = r;
  th = t_thread_start(reg_thread_main, &t);
  CU_ASSERT_PTR_NOT_NULL_FATAL(th);
  T_RC(pipc_sem_wait(t.took, 30000), PIPC_OK);
  T_RC(t.rc, PIPC_OK);
  CU_ASSERT_EQUAL(t.fresh, 1);
  CU_ASSERT_EQUAL(pipc__test_reg_check(r, t.index), 1); /* the thread lives */
  pipc_sem_post(t.go);
  t_thread_join(th);
  CU_ASSERT_EQUAL(pipc__test_reg_check(r, t.index), 0); /* it ended: let go */
  /* A thread keeps its entry: asking again gives the same one, not fresh. */
  T_RC(pipc__test_reg_me(r, &again, &fresh), PIPC_OK);
  CU_ASSERT_EQUAL(fresh, 1);
  {
    unsigned same;
    T_RC(pipc__test_reg_me(r, &same, &fresh), PIPC_OK);
    CU_ASSERT_EQUAL(same, again);
    CU_ASSERT_EQUAL(fresh, 0);
  }
  reg_sems_free(t.took, t.go);
  T_RC(pipc__test_reg_unlink(rname), PIPC_OK); /* unlink first: see pipc.h */
  pipc__test_reg_close(r);
}

void test_registry_full_is_eagain(void) {
  char rname[80];
  pipc__test_reg *r = NULL;
  reg_thread t[REG_N];
  t_thread *th[REG_N];
  unsigned mine, seen = 0;
  int i, fresh;
  t_name(rname, sizeof rname, "regf");
  T_RC(pipc__test_reg_create(rname, REG_N, &r), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL);
  for (i = 0; i < REG_N; i++) {
    memset(&t[i], 0, sizeof t[i]);
    reg_sems(&t[i].took, &t[i].go);
    t[i].r = r;
    th[i] = t_thread_start(reg_thread_main, &t[i]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(th[i]);
    T_RC(pipc_sem_wait(t[i].took, 30000), PIPC_OK);
    T_RC(t[i].rc, PIPC_OK);
    seen |= 1u << t[i].index;
  }
  CU_ASSERT_EQUAL(seen, (1u << REG_N) - 1); /* each its own entry */
  /* Every entry held by a live thread: a clear error, not a wait. */
  T_RC(pipc__test_reg_me(r, &mine, &fresh), PIPC_EAGAIN);
  pipc_sem_post(t[1].go);
  t_thread_join(th[1]);
  T_RC(pipc__test_reg_me(r, &mine, &fresh), PIPC_OK); /* the one let go */
  CU_ASSERT_EQUAL(mine, t[1].index);
  CU_ASSERT_EQUAL(fresh, 1);
  for (i = 0; i < REG_N; i++) {
    if (i != 1) {
      pipc_sem_post(t[i].go);
      t_thread_join(th[i]);
    }
    reg_sems_free(t[i].took, t[i].go);
  }
  T_RC(pipc__test_reg_unlink(rname), PIPC_OK); /* unlink first: see pipc.h */
  pipc__test_reg_close(r);
}

/* The handle is closed while another thread still holds an entry through
   it: that thread's end still finds a valid mutex to let go (and the
   memory is freed then: the sanitizer and valgrind runs see no leak). */
void test_registry_close_while_a_thread_holds(void) {
  char rname[80];
  pipc__test_reg *r = NULL, *again = NULL;
  reg_thread t = {0};
  t_thread *th;
  unsigned mine;
  int fresh;
  t_name(rname, sizeof rname, "regc");
  T_RC(pipc__test_reg_create(rname, REG_N, &r), PIPC_OK);
  T_RC(pipc__test_reg_open(rname, REG_N, &again), PIPC_OK);
  CU_ASSERT_FATAL(r && again);
  reg_sems(&t.took, &t.go);
  t.r = r;
  th = t_thread_start(reg_thread_main, &t);
  CU_ASSERT_PTR_NOT_NULL_FATAL(th);
  T_RC(pipc_sem_wait(t.took, 30000), PIPC_OK);
  T_RC(t.rc, PIPC_OK);
  T_RC(pipc__test_reg_me(r, &mine, &fresh), PIPC_OK);
  T_RC(pipc__test_reg_close(r), PIPC_OK); /* this thread's entry goes now */
  CU_ASSERT_EQUAL(pipc__test_reg_check(again, mine), 0);
  CU_ASSERT_EQUAL(pipc__test_reg_check(again, t.index), 1); /* the thread's stays */
  pipc_sem_post(t.go);
  t_thread_join(th);
  CU_ASSERT_EQUAL(pipc__test_reg_check(again, t.index), 0);
  reg_sems_free(t.took, t.go);
  T_RC(pipc__test_reg_unlink(rname), PIPC_OK);
  pipc__test_reg_close(again);
}

/* In a fork child: the parent's entry stays the parent's (alive, not
   "mine"); the child takes one of its own. */
typedef struct fork_arg {
  pipc__test_reg *r;
  unsigned parent_index;
} fork_arg;

static int fork_child(void *arg) {
  fork_arg *a = (fork_arg *)arg;
  unsigned index;
  int fresh;
  if (pipc__test_reg_check(a->r, a->parent_index) != 1) return 10;
  if (pipc__test_reg_me(a->r, &index, &fresh) != PIPC_OK) return 11;
  if (!fresh || index == a->parent_index) return 12;
  return 0;
}

void test_registry_fork_child_takes_its_own(void) {
  char rname[80];
  pipc__test_reg *r = NULL;
  fork_arg a;
  int fresh, alive = 0;
  unsigned i;
  const char *why = t_os_why_no_fork();
  if (why) T_SKIP(why);
  t_name(rname, sizeof rname, "regk");
  T_RC(pipc__test_reg_create(rname, REG_N, &r), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL);
  a.r = r;
  T_RC(pipc__test_reg_me(r, &a.parent_index, &fresh), PIPC_OK);
  CU_ASSERT_EQUAL(t_os_fork_run(fork_child, &a), 0);
  /* The child ended holding its entry: only this thread's is alive. */
  for (i = 0; i < REG_N; i++) alive += pipc__test_reg_check(r, i) >= 1;
  CU_ASSERT_EQUAL(alive, 1);
  CU_ASSERT_EQUAL(pipc__test_reg_check(r, a.parent_index), 2);
  T_RC(pipc__test_reg_unlink(rname), PIPC_OK);
  pipc__test_reg_close(r);
}
