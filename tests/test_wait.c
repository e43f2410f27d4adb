/* test_wait.c - pipc_wait and pipc_watch: one wait over every kind of
   object, readiness as a hint, OS handles for foreign event loops, and the
   subscribers in shared memory surviving deaths on both sides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "os.h"
#include "pipc_testing.h"

static pipc_queue *new_queue(char *name, size_t cap, const char *tag, size_t n) {
  pipc_queue *q = NULL;
  t_name(name, cap, tag);
  T_RC(pipc_queue_create(name, n, 64, &q), PIPC_OK);
  return q;
}

static void drop_queue(pipc_queue *q, const char *name) {
  if (q) pipc_queue_close(q);
  pipc_queue_unlink(name);
}

#ifdef T_WAIT_KILL_ROUNDS /* the sanitizers (tests/CMakeLists.txt) */
#define WAIT_KILL_ROUNDS T_WAIT_KILL_ROUNDS
#elif defined(_WIN32) /* process starts cost tens of ms under Wine */
#define WAIT_KILL_ROUNDS 40
#else
#define WAIT_KILL_ROUNDS 1000
#endif

static int env_int(const char *var, int dflt) {
  const char *v = getenv(var);
  return v && atoi(v) > 0 ? atoi(v) : dflt;
}

/* ---- argument errors, before any wait ---- */

void test_wait_bad_arguments(void) {
  char name[80];
  pipc_queue *q = new_queue(name, sizeof name, "wbad", 2);
  pipc_waitable it[2];
  pipc_watch *w = (pipc_watch *)&w;
  intptr_t h[4];
  size_t count = 0;
  CU_ASSERT_FATAL(q != NULL);
  it[0] = pipc_wait_on_queue(q, PIPC_WAIT_IN);
  T_RC(pipc_wait(NULL, 1, 0), PIPC_EINVAL);
  T_RC(pipc_wait(it, PIPC_WAIT_MAX + 1, 0), PIPC_EINVAL);
  T_RC(pipc_wait(it, 1, -2), PIPC_EINVAL);
  T_RC(pipc_wait(NULL, 0, PIPC_FOREVER), PIPC_EINVAL); /* could never end */
  T_RC(pipc_wait(NULL, 0, 0), 0);
  T_RC(pipc_wait(NULL, 0, 1), 0);
  it[0] = pipc_wait_on_queue(q, 0); /* nothing to wait for, for ever */
  T_RC(pipc_wait(it, 1, PIPC_FOREVER), PIPC_EINVAL);
  T_RC(pipc_wait(it, 1, 1), 0);
  it[0].kind = (pipc_wait_kind)0;
  T_RC(pipc_wait(it, 1, 0), PIPC_EINVAL);
  it[0].kind = (pipc_wait_kind)(PIPC_WAIT_STREAM + 1);
  T_RC(pipc_wait(it, 1, 0), PIPC_EINVAL);
  it[0] = pipc_wait_on_queue(NULL, PIPC_WAIT_IN);
  T_RC(pipc_wait(it, 1, 0), PIPC_EINVAL);
  it[0] = pipc_wait_on_queue(q, PIPC_WAIT_IN | 8u);
  T_RC(pipc_wait(it, 1, 0), PIPC_EINVAL);
  it[0] = pipc_wait_on_queue(q, PIPC_WAIT_ERR);
  T_RC(pipc_wait(it, 1, 0), PIPC_EINVAL);
  it[0] = pipc_wait_on_sem((pipc_sem *)q);
  it[0].events = PIPC_WAIT_OUT; /* a Semaphore has no "out" */
  T_RC(pipc_wait(it, 1, 0), PIPC_EINVAL);
  /* a good item after a bad one does not make the call good */
  it[0] = pipc_wait_on_queue(q, PIPC_WAIT_OUT);
  it[1] = pipc_wait_on_pipe(NULL);
  T_RC(pipc_wait(it, 2, 0), PIPC_EINVAL);
  /* an item with no events is left out */
  it[1] = pipc_wait_on_queue(q, 0);
  T_RC(pipc_wait(it, 2, 0), 1);
  CU_ASSERT_EQUAL(it[0].revents, PIPC_WAIT_OUT);
  CU_ASSERT_EQUAL(it[1].revents, 0u);
  /* watches */
  T_RC(pipc_watch_create(it, 1, NULL), PIPC_EINVAL);
  T_RC(pipc_watch_create(NULL, 1, &w), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(w);
  T_RC(pipc_watch_rearm(NULL), PIPC_EINVAL);
  T_RC(pipc_watch_close(NULL), PIPC_EINVAL);
  T_RC(pipc_watch_handles(NULL, h, 4, &count), PIPC_EINVAL);
  T_RC(pipc_watch_create(it, 1, &w), PIPC_OK);
  T_RC(pipc_watch_handles(w, h, 4, NULL), PIPC_EINVAL);
  T_RC(pipc_watch_handles(w, NULL, 4, &count), PIPC_EINVAL);
  T_RC(pipc_watch_handles(w, h, 0, &count), PIPC_EOVERFLOW);
  CU_ASSERT_EQUAL(count, 1u); /* the notifier */
  T_RC(pipc_watch_handles(w, h, 1, &count), PIPC_OK);
  it[0].events = 16u; /* changed into nonsense between rearms */
  T_RC(pipc_watch_rearm(w), PIPC_EINVAL);
  T_RC(pipc_watch_close(w), PIPC_OK);
  drop_queue(q, name);
}

/* ---- each kind alone ---- */

void test_wait_queue_in_and_out(void) {
  char name[80], buf[64];
  pipc_queue *q = new_queue(name, sizeof name, "wq", 2);
  pipc_waitable it[2];
  size_t len;
  CU_ASSERT_FATAL(q != NULL);
  it[0] = pipc_wait_on_queue(q, PIPC_WAIT_IN);
  it[1] = pipc_wait_on_queue(q, PIPC_WAIT_OUT);
  /* empty: room, no message */
  T_RC(pipc_wait(it, 2, 0), 1);
  CU_ASSERT_EQUAL(it[0].revents, 0u);
  CU_ASSERT_EQUAL(it[1].revents, PIPC_WAIT_OUT);
  T_RC(pipc_wait(it, 1, 0), 0);  /* a look */
  T_RC(pipc_wait(it, 1, 30), 0); /* a timeout: 0, not PIPC_ETIMEDOUT */
  CU_ASSERT_EQUAL(it[0].revents, 0u);
  CU_ASSERT_EQUAL(it[0].error, PIPC_OK);
  /* one message: both */
  T_RC(pipc_queue_put(q, "a", 1, 0), PIPC_OK);
  T_RC(pipc_wait(it, 2, PIPC_FOREVER), 2);
  CU_ASSERT_EQUAL(it[0].revents, PIPC_WAIT_IN);
  /* full: no room */
  T_RC(pipc_queue_put(q, "b", 1, 0), PIPC_OK);
  T_RC(pipc_wait(&it[1], 1, 20), 0);
  it[0].events = PIPC_WAIT_IN | PIPC_WAIT_OUT; /* both in one item */
  T_RC(pipc_wait(it, 1, 0), 1);
  CU_ASSERT_EQUAL(it[0].revents, PIPC_WAIT_IN);
  /* shut down: a put would not wait (it says ECLOSED), messages remain */
  T_RC(pipc_queue_shutdown(q), PIPC_OK);
  T_RC(pipc_wait(it, 1, 0), 1);
  CU_ASSERT_EQUAL(it[0].revents, PIPC_WAIT_IN | PIPC_WAIT_OUT);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  /* drained: still "in" - the get says PIPC_ECLOSED at once */
  it[0].events = PIPC_WAIT_IN;
  T_RC(pipc_wait(it, 1, PIPC_FOREVER), 1);
  CU_ASSERT_EQUAL(it[0].revents, PIPC_WAIT_IN);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_ECLOSED);
  drop_queue(q, name);
}

void test_wait_sem_and_lock(void) {
  char sname[80], lname[80];
  pipc_sem *s = NULL;
  pipc_lock *l = NULL;
  pipc_waitable it[2];
  t_name(sname, sizeof sname, "ws");
  t_name(lname, sizeof lname, "wl");
  T_RC(pipc_sem_create(sname, 0, 0, &s), PIPC_OK);
  T_RC(pipc_lock_create(lname, &l), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL && l != NULL);
  it[0] = pipc_wait_on_sem(s);
  it[1] = pipc_wait_on_lock(l);
  T_RC(pipc_wait(it, 2, 0), 1);
  CU_ASSERT_EQUAL(it[0].revents, 0u);
  CU_ASSERT_EQUAL(it[1].revents, PIPC_WAIT_IN);
  /* held by this thread: an acquire would not succeed, so not ready */
  T_RC(pipc_lock_acquire(l, 0), PIPC_OK);
  T_RC(pipc_wait(it, 2, 20), 0);
  T_RC(pipc_sem_post(s), PIPC_OK);
  T_RC(pipc_wait(it, 2, PIPC_FOREVER), 1);
  CU_ASSERT_EQUAL(it[0].revents, PIPC_WAIT_IN);
  CU_ASSERT_EQUAL(it[1].revents, 0u);
  /* a look takes nothing */
  T_RC(pipc_sem_wait(s, 0), PIPC_OK);
  T_RC(pipc_sem_wait(s, 0), PIPC_EAGAIN);
  T_RC(pipc_lock_release(l), PIPC_OK);
  T_RC(pipc_wait(it, 2, PIPC_FOREVER), 1);
  CU_ASSERT_EQUAL(it[1].revents, PIPC_WAIT_IN);
  T_RC(pipc_lock_acquire(l, 0), PIPC_OK); /* free after the look, not taken by it */
  T_RC(pipc_lock_release(l), PIPC_OK);
  pipc_sem_close(s);
  pipc_lock_close(l);
  pipc_sem_unlink(sname);
  pipc_lock_unlink(lname);
}

/* A Lock whose holder is killed: a waiter sees it free (within a slice,
   nobody signals), and the next acquire still hears of the death - once. */
void test_wait_lock_holder_killed(void) {
  char lname[80], rname[80];
  pipc_lock *l = NULL;
  pipc_sem *ready = NULL;
  pipc_process *p;
  pipc_waitable it;
  t_name(lname, sizeof lname, "wlk");
  t_name(rname, sizeof rname, "wlkr");
  T_RC(pipc_lock_create(lname, &l), PIPC_OK);
  T_RC(pipc_sem_create(rname, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(l != NULL && ready != NULL);
  p = t_spawn("lock_hold", lname, rname, NULL);
  CU_ASSERT_FATAL(p != NULL);
  T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
  it = pipc_wait_on_lock(l);
  T_RC(pipc_wait(&it, 1, 0), 0); /* held by a live process */
  T_RC(pipc_process_kill(p), PIPC_OK);
  T_RC(pipc_process_wait(p, 30000, NULL), PIPC_OK);
  T_RC(pipc_wait(&it, 1, 30000), 1);
  CU_ASSERT_EQUAL(it.revents, PIPC_WAIT_IN);
  T_RC(pipc_wait(&it, 1, 0), 1); /* still free: the look let it go */
  T_RC(pipc_lock_acquire(l, 0), PIPC_EOWNERDEAD);
  T_RC(pipc_lock_release(l), PIPC_OK);
  T_RC(pipc_lock_acquire(l, 0), PIPC_OK); /* told once */
  T_RC(pipc_lock_release(l), PIPC_OK);
  pipc_process_free(p);
  pipc_lock_close(l);
  pipc_sem_close(ready);
  pipc_lock_unlink(lname);
  pipc_sem_unlink(rname);
}

void test_wait_pipe_listener_process(void) {
  char lname[80];
  pipc_pipe *a = NULL, *b = NULL, *c = NULL, *srv = NULL;
  pipc_listener *l = NULL;
  pipc_process *p;
  pipc_waitable it[3];
  char buf[16];
  size_t len;
  int code = -1;
  t_name(lname, sizeof lname, "wpl");
  T_RC(pipc_pipe_pair(&a, &b), PIPC_OK);
  T_RC(pipc_listener_create(lname, &l), PIPC_OK);
  p = t_spawn("sleep", "60000", NULL);
  CU_ASSERT_FATAL(a && b && l && p);
  it[0] = pipc_wait_on_pipe(a);
  it[1] = pipc_wait_on_listener(l);
  it[2] = pipc_wait_on_process(p);
  T_RC(pipc_wait(it, 3, 20), 0);
  /* a message */
  T_RC(pipc_pipe_send(b, "hi", 2, 1000), PIPC_OK);
  T_RC(pipc_wait(it, 3, 30000), 1);
  CU_ASSERT_EQUAL(it[0].revents, PIPC_WAIT_IN);
  T_RC(pipc_pipe_recv(a, buf, sizeof buf, &len, 0), PIPC_OK);
  T_RC(pipc_wait(it, 3, 0), 0); /* taken: quiet again */
  /* a client */
  T_RC(pipc_pipe_connect(lname, &c, 30000), PIPC_OK);
  T_RC(pipc_wait(it, 3, 30000), 1);
  CU_ASSERT_EQUAL(it[1].revents, PIPC_WAIT_IN);
  T_RC(pipc_listener_accept(l, &srv, 0), PIPC_OK);
  T_RC(pipc_wait(it, 3, 0), 0);
  /* the child's end */
  T_RC(pipc_process_kill(p), PIPC_OK);
  T_RC(pipc_wait(it, 3, 30000), 1);
  CU_ASSERT_EQUAL(it[2].revents, PIPC_WAIT_IN);
  T_RC(pipc_wait(it, 3, 0), 1); /* ended stays ready, before and after the reaping */
  T_RC(pipc_process_wait(p, 0, &code), PIPC_OK);
  CU_ASSERT_EQUAL(code, -9);
  T_RC(pipc_wait(it, 3, 0), 1);
  CU_ASSERT_EQUAL(it[2].revents, PIPC_WAIT_IN);
  /* the peer's end: readable (recv says ECLOSED at once) */
  it[2].events = 0;
  pipc_pipe_close(b);
  b = NULL;
  T_RC(pipc_wait(it, 3, 30000), 1);
  CU_ASSERT_EQUAL(it[0].revents, PIPC_WAIT_IN);
  T_RC(pipc_pipe_recv(a, buf, sizeof buf, &len, 0), PIPC_ECLOSED);
  pipc_process_free(p);
  pipc_pipe_close(a);
  pipc_pipe_close(c);
  pipc_pipe_close(srv);
  pipc_listener_close(l);
}

/* ---- from another process, while waiting ---- */

void test_wait_woken_by_other_process(void) {
  char qname[80], sname[80], buf[64];
  pipc_queue *q = new_queue(qname, sizeof qname, "wwq", 4);
  pipc_sem *s = NULL;
  pipc_process *p;
  pipc_waitable it[2];
  size_t len;
  t_name(sname, sizeof sname, "wws");
  T_RC(pipc_sem_create(sname, 0, 0, &s), PIPC_OK);
  CU_ASSERT_FATAL(q != NULL && s != NULL);
  it[0] = pipc_wait_on_queue(q, PIPC_WAIT_IN);
  it[1] = pipc_wait_on_sem(s);
  p = t_spawn("queue_putter", qname, "1", NULL);
  T_RC(pipc_wait(it, 2, 30000), 1);
  CU_ASSERT_EQUAL(it[0].revents, PIPC_WAIT_IN);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  p = t_spawn("sem_post_later", sname, "100", NULL);
  T_RC(pipc_wait(it, 2, 30000), 1);
  CU_ASSERT_EQUAL(it[1].revents, PIPC_WAIT_IN);
  T_RC(pipc_sem_wait(s, 0), PIPC_OK);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  drop_queue(q, qname);
  pipc_sem_close(s);
  pipc_sem_unlink(sname);
}

/* ---- many waiters on one object ---- */

struct many {
  pipc_queue *q;
  pipc_sem *s;
  volatile uint32_t ready, took, errors;
};

static void shutdown_waiter(void *arg) {
  struct many *m = (struct many *)arg;
  pipc_waitable it = pipc_wait_on_queue(m->q, PIPC_WAIT_IN);
  int rc = pipc_wait(&it, 1, 60000);
  if (rc == 1 && it.revents == PIPC_WAIT_IN) pipc__add32(&m->ready, 1);
  else pipc__add32(&m->errors, 1);
}

/* Each thread waits until it gets one unit: a post wakes waiters to a
   hint, and those that lose the race see "not available" and wait again. */
static void sem_taker(void *arg) {
  struct many *m = (struct many *)arg;
  int64_t until = t_now_ms() + 60000;
  while (t_now_ms() < until) {
    pipc_waitable it = pipc_wait_on_sem(m->s);
    int rc = pipc_wait(&it, 1, 1000), got;
    if (rc < 0) break;
    if (rc == 0) continue;
    got = pipc_sem_wait(m->s, 0);
    if (got == PIPC_OK) {
      pipc__add32(&m->took, 1);
      return;
    }
    if (got != PIPC_EAGAIN) break;
  }
  pipc__add32(&m->errors, 1);
}

void test_wait_many_waiters(void) {
  char qname[80], sname[80];
  struct many m;
  t_thread *th[6];
  unsigned v = 9;
  int i;
  memset(&m, 0, sizeof m);
  m.q = new_queue(qname, sizeof qname, "wmany", 4);
  t_name(sname, sizeof sname, "wmanys");
  T_RC(pipc_sem_create(sname, 0, 0, &m.s), PIPC_OK);
  CU_ASSERT_FATAL(m.q != NULL && m.s != NULL);
  for (i = 0; i < 4; i++) th[i] = t_thread_start(shutdown_waiter, &m);
  pipc_sleep_ms(50); /* most are asleep by now; a late one sees it at once */
  T_RC(pipc_queue_shutdown(m.q), PIPC_OK);
  for (i = 0; i < 4; i++) t_thread_join(th[i]);
  CU_ASSERT_EQUAL(m.ready, 4u); /* all see the shutdown */
  for (i = 0; i < 6; i++) th[i] = t_thread_start(sem_taker, &m);
  for (i = 0; i < 6; i++) {
    pipc_sleep_ms(20);
    T_RC(pipc_sem_post(m.s), PIPC_OK);
  }
  for (i = 0; i < 6; i++) t_thread_join(th[i]);
  CU_ASSERT_EQUAL(m.took, 6u); /* each post taken by exactly one */
  CU_ASSERT_EQUAL(m.errors, 0u);
  T_RC(pipc_sem_value(m.s, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 0u);
  drop_queue(m.q, qname);
  pipc_sem_close(m.s);
  pipc_sem_unlink(sname);
}

/* ---- broken objects, unlinked objects ---- */

void test_wait_poisoned_queue_hides_nothing(void) {
  char name[80], qname2[80];
  pipc_queue *q = new_queue(name, sizeof name, "wpois", 2), *q2;
  pipc_shm *raw = NULL;
  pipc_waitable it[2];
  uint64_t ring_off = 0;
  q2 = new_queue(qname2, sizeof qname2, "wpois2", 2);
  CU_ASSERT_FATAL(q != NULL && q2 != NULL);
  /* the ring (its offset: the configuration's fourth word, after the
     64-byte header): slot words that no queue can have */
  T_RC(pipc_shm_open(name, &raw), PIPC_OK);
  CU_ASSERT_FATAL(raw != NULL);
  memcpy(&ring_off, (char *)pipc_shm_addr(raw) + 64 + 24, 8);
  CU_ASSERT_FATAL(ring_off > 128 && ring_off < pipc_shm_size(raw));
  memset((char *)pipc_shm_addr(raw) + ring_off, 0xa5, pipc_shm_size(raw) - ring_off);
  it[0] = pipc_wait_on_queue(q, PIPC_WAIT_IN);
  it[1] = pipc_wait_on_queue(q2, PIPC_WAIT_IN);
  T_RC(pipc_queue_put(q2, "x", 1, 0), PIPC_OK);
  T_RC(pipc_wait(it, 2, 0), 2);
  CU_ASSERT_EQUAL(it[0].revents, PIPC_WAIT_ERR);
  CU_ASSERT_EQUAL(it[0].error, PIPC_ECORRUPT);
  CU_ASSERT_EQUAL(it[1].revents, PIPC_WAIT_IN);
  CU_ASSERT_EQUAL(it[1].error, PIPC_OK);
  pipc_shm_close(raw);
  drop_queue(q, name);
  drop_queue(q2, qname2);
}

struct later {
  pipc_queue *q;
  int ms;
};

static void put_later(void *arg) {
  struct later *l = (struct later *)arg;
  pipc_sleep_ms(l->ms);
  pipc_queue_put(l->q, "late", 4, 30000);
}

/* Unlinked while waited on: the wait goes on; a put through another handle
   still wakes it. */
void test_wait_unlinked_while_waiting(void) {
  char name[80];
  pipc_queue *q = new_queue(name, sizeof name, "wunl", 2), *q2 = NULL;
  struct later l;
  t_thread *t;
  pipc_waitable it;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_open(name, &q2), PIPC_OK);
  T_RC(pipc_queue_unlink(name), PIPC_OK);
  l.q = q2;
  l.ms = 50;
  t = t_thread_start(put_later, &l);
  it = pipc_wait_on_queue(q, PIPC_WAIT_IN);
  T_RC(pipc_wait(&it, 1, 30000), 1);
  CU_ASSERT_EQUAL(it.revents, PIPC_WAIT_IN);
  t_thread_join(t);
  pipc_queue_close(q2);
  pipc_queue_close(q);
}

/* ---- scale ---- */

void test_wait_64_objects(void) {
  enum { N = 64 };
  char names[N][80];
  pipc_queue *q[N];
  pipc_waitable it[N];
  struct later l;
  t_thread *t;
  int i, ready = 0;
  for (i = 0; i < N; i++) {
    q[i] = new_queue(names[i], sizeof names[i], "w64", 1);
    CU_ASSERT_FATAL(q[i] != NULL);
    it[i] = pipc_wait_on_queue(q[i], PIPC_WAIT_IN);
  }
  l.q = q[37];
  l.ms = 50;
  t = t_thread_start(put_later, &l);
  T_RC(pipc_wait(it, N, 30000), 1);
  for (i = 0; i < N; i++) ready += it[i].revents != 0;
  CU_ASSERT_EQUAL(ready, 1);
  CU_ASSERT_EQUAL(it[37].revents, PIPC_WAIT_IN);
  t_thread_join(t);
  for (i = 0; i < N; i++) drop_queue(q[i], names[i]);
}

/* 10,000 watches made and closed (subscribed, armed, unsubscribed): no
   handle and no subscriber slot left behind. */
void test_wait_subscribe_cycles_leak_nothing(void) {
  char name[80];
  pipc_queue *q = new_queue(name, sizeof name, "wcyc", 2);
  int i, n = env_int("PIPC_WAIT_CYCLES", 10000), before, bad = 0;
  CU_ASSERT_FATAL(q != NULL);
  before = t_os_count_handles();
  for (i = 0; i < n; i++) {
    pipc_waitable it = pipc_wait_on_queue(q, PIPC_WAIT_IN | PIPC_WAIT_OUT);
    pipc_watch *w = NULL;
    if (pipc_watch_create(&it, 1, &w) != PIPC_OK || pipc_watch_rearm(w) != 1 ||
        pipc_watch_close(w) != PIPC_OK)
      bad++;
    if (i % 1000 == 0) pipc_wait(&it, 1, 1); /* and the one-call kind */
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(t_os_count_handles(), before);
  CU_ASSERT_EQUAL(pipc__queue_subscribers(q), 0u);
  drop_queue(q, name);
}

/* 64 subscribers at once per object: the 65th watch is refused clearly,
   and a pipc_wait then still works (by looking every few ms). */
void test_wait_subscriber_table_full(void) {
  char name[80];
  pipc_queue *q = new_queue(name, sizeof name, "wfull", 2);
  pipc_watch *w[65];
  pipc_waitable it = pipc_wait_on_queue(q, PIPC_WAIT_IN);
  struct later l;
  t_thread *t;
  int i;
  CU_ASSERT_FATAL(q != NULL);
  for (i = 0; i < 64; i++) T_RC(pipc_watch_create(&it, 1, &w[i]), PIPC_OK);
  T_RC(pipc_watch_create(&it, 1, &w[64]), PIPC_EAGAIN);
  CU_ASSERT_EQUAL(pipc__queue_subscribers(q), 64u);
  l.q = q;
  l.ms = 50;
  t = t_thread_start(put_later, &l);
  T_RC(pipc_wait(&it, 1, 30000), 1);
  t_thread_join(t);
  for (i = 0; i < 64; i++) T_RC(pipc_watch_close(w[i]), PIPC_OK);
  CU_ASSERT_EQUAL(pipc__queue_subscribers(q), 0u);
  drop_queue(q, name);
}

/* ---- OS handles, as a foreign event loop uses them ---- */

void test_wait_watch_handles_fire(void) {
  char qname[80], sname[80], buf[64];
  pipc_queue *q = new_queue(qname, sizeof qname, "wh", 4);
  pipc_sem *s = NULL;
  pipc_pipe *a = NULL, *b = NULL;
  pipc_waitable it[3];
  pipc_watch *w = NULL;
  intptr_t h[4];
  size_t n = 0, len;
  pipc_process *p;
  t_name(sname, sizeof sname, "whs");
  T_RC(pipc_sem_create(sname, 0, 0, &s), PIPC_OK);
  T_RC(pipc_pipe_pair(&a, &b), PIPC_OK);
  CU_ASSERT_FATAL(q && s && a && b);
  it[0] = pipc_wait_on_queue(q, PIPC_WAIT_IN);
  it[1] = pipc_wait_on_sem(s);
  it[2] = pipc_wait_on_pipe(a);
  T_RC(pipc_watch_create(it, 3, &w), PIPC_OK);
  CU_ASSERT_FATAL(w != NULL);
  T_RC(pipc_watch_handles(w, h, 4, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 2u); /* the notifier, the pipe end */
  T_RC(pipc_watch_rearm(w), 0);
  CU_ASSERT_EQUAL(t_os_wait_handles(h, n, 0), 0); /* quiet */
  {
    intptr_t hq = -1, hs = -1, hp = -1;
    T_RC(pipc_watch_item_handle(w, 0, &hq), PIPC_OK);
    T_RC(pipc_watch_item_handle(w, 1, &hs), PIPC_OK);
    T_RC(pipc_watch_item_handle(w, 2, &hp), PIPC_OK);
    CU_ASSERT(hq == hs && hq != hp); /* the notifier is shared */
    CU_ASSERT((hq == h[0] && hp == h[1]) || (hq == h[1] && hp == h[0]));
    T_RC(pipc_watch_item_handle(w, 3, &hp), PIPC_EINVAL);
    CU_ASSERT_EQUAL(hp, -1);
    T_RC(pipc_watch_item_handle(NULL, 0, &hp), PIPC_EINVAL);
    T_RC(pipc_watch_item_handle(w, 0, NULL), PIPC_EINVAL);
  }
  /* a put from another process fires the handle */
  p = t_spawn("queue_putter", qname, "1", NULL);
  CU_ASSERT_EQUAL(t_os_wait_handles(h, n, 30000), 1);
  T_RC(pipc_watch_rearm(w), 1);
  CU_ASSERT_EQUAL(it[0].revents, PIPC_WAIT_IN);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  T_RC(pipc_watch_rearm(w), 0);
  CU_ASSERT_EQUAL(t_os_wait_handles(h, n, 0), 0); /* quiet again */
  /* a post */
  T_RC(pipc_sem_post(s), PIPC_OK);
  CU_ASSERT_EQUAL(t_os_wait_handles(h, n, 30000), 1);
  T_RC(pipc_watch_rearm(w), 1);
  CU_ASSERT_EQUAL(it[1].revents, PIPC_WAIT_IN);
  T_RC(pipc_sem_wait(s, 0), PIPC_OK);
  T_RC(pipc_watch_rearm(w), 0);
  /* a message on the pipe */
  T_RC(pipc_pipe_send(b, "m", 1, 1000), PIPC_OK);
  CU_ASSERT_EQUAL(t_os_wait_handles(h, n, 30000), 1);
  T_RC(pipc_watch_rearm(w), 1);
  CU_ASSERT_EQUAL(it[2].revents, PIPC_WAIT_IN);
  T_RC(pipc_pipe_recv(a, buf, sizeof buf, &len, 0), PIPC_OK);
  T_RC(pipc_watch_rearm(w), 0);
  CU_ASSERT_EQUAL(t_os_wait_handles(h, n, 0), 0);
  /* a stream of puts while nobody looks: one signal, not one per put */
  T_RC(pipc_queue_put(q, "1", 1, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "2", 1, 0), PIPC_OK);
  T_RC(pipc_watch_rearm(w), 1);
  T_RC(pipc_watch_close(w), PIPC_OK);
  CU_ASSERT_EQUAL(pipc__queue_subscribers(q), 0u);
  pipc_pipe_close(a);
  pipc_pipe_close(b);
  drop_queue(q, qname);
  pipc_sem_close(s);
  pipc_sem_unlink(sname);
}

/* No cost when nobody subscribes: a put and a get make no system call.
   With one subscriber armed and no sleeper, a put makes one (its signal),
   and the next put none (the subscriber has not looked again).  The queue
   holds 8: none of these puts waits. */
void test_wait_subscriber_costs_one_call(void) {
  char name[80], buf[64];
  pipc_queue *q = new_queue(name, sizeof name, "wcost", 8);
  pipc_waitable it;
  pipc_watch *w = NULL;
  size_t len;
  uint32_t k;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_put(q, "w", 1, 0), PIPC_OK); /* this thread's entry taken */
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  k = pipc__kernel_calls;
  T_RC(pipc_queue_put(q, "a", 1, 0), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT_EQUAL(pipc__kernel_calls - k, 0u);
  it = pipc_wait_on_queue(q, PIPC_WAIT_IN);
  T_RC(pipc_watch_create(&it, 1, &w), PIPC_OK);
  T_RC(pipc_watch_rearm(w), 0);
  /* the first signal may open the notifier (Windows caches what it opens) */
  T_RC(pipc_queue_put(q, "b", 1, 0), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  T_RC(pipc_watch_rearm(w), 0);
  k = pipc__kernel_calls;
  T_RC(pipc_queue_put(q, "c", 1, 0), PIPC_OK);
  CU_ASSERT_EQUAL(pipc__kernel_calls - k, 1u);
  k = pipc__kernel_calls;
  T_RC(pipc_queue_put(q, "d", 1, 0), PIPC_OK);
  CU_ASSERT_EQUAL(pipc__kernel_calls - k, 0u);
  T_RC(pipc_watch_close(w), PIPC_OK);
  k = pipc__kernel_calls;
  T_RC(pipc_queue_put(q, "e", 1, 0), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT_EQUAL(pipc__kernel_calls - k, 0u); /* unsubscribed: free again */
  drop_queue(q, name);
}

/* ---- deaths ---- */

/* Subscribes (a pipc_wait on the queue, forever), says so, and waits to be
   killed. */
int role_wait_subscriber(int argc, char **argv) {
  pipc_queue *q = NULL;
  pipc_sem *ready = NULL;
  pipc_waitable it;
  if (argc < 3 || pipc_queue_open(argv[1], &q) || pipc_sem_open(argv[2], &ready)) return 10;
  it = pipc_wait_on_queue(q, PIPC_WAIT_IN | PIPC_WAIT_OUT);
  it.events = PIPC_WAIT_IN; /* the queue is empty: this one sleeps */
  {
    pipc_watch *w = NULL; /* subscribed and armed, then asleep in pipc_wait too */
    if (pipc_watch_create(&it, 1, &w) != PIPC_OK || pipc_watch_rearm(w) != 0) return 11;
    pipc_sem_post(ready);
    pipc_wait(&it, 1, PIPC_FOREVER);
  }
  return 12;
}

/* Subscribers killed while armed and asleep: their slots come back (after
   which nothing is left), and the queue works on. */
void test_wait_subscribers_killed(void) {
  char qname[80], rname[80], buf[64];
  pipc_queue *q = new_queue(qname, sizeof qname, "wkill", 4);
  pipc_sem *ready = NULL;
  int i, rounds = env_int("PIPC_WAIT_KILL_ROUNDS", WAIT_KILL_ROUNDS), bad = 0;
  size_t len;
  t_name(rname, sizeof rname, "wkillr");
  T_RC(pipc_sem_create(rname, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(q != NULL && ready != NULL);
  for (i = 0; i < rounds; i++) {
    pipc_process *p = t_spawn("wait_subscriber", qname, rname, NULL);
    if (p == NULL || pipc_sem_wait(ready, 30000) != PIPC_OK) {
      bad++;
      break;
    }
    if (i % 2) pipc_sleep_ms(1); /* asleep in the kernel, or about to be */
    pipc_process_kill(p);
    if (t_join(p, 30000) != -9) bad++;
    if (i % 100 == 99 && pipc__queue_subscribers(q) != 0) bad++; /* never more than a few */
  }
  CU_ASSERT_EQUAL(bad, 0);
  /* the last ones' slots are armed: the next put signals them, finds them
     gone, and frees their slots; a sweep frees the rest */
  T_RC(pipc_queue_put(q, "x", 1, 0), PIPC_OK);
  CU_ASSERT_EQUAL(pipc__queue_subscribers(q), 0u);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  drop_queue(q, qname);
  pipc_sem_close(ready);
  pipc_sem_unlink(rname);
}

/* Puts one message and dies at the commit point: committed, nobody told. */
int role_wait_put_die(int argc, char **argv) {
  pipc_queue *q = NULL;
  if (argc < 2 || pipc_queue_open(argv[1], &q) != PIPC_OK) return 10;
  pipc_sleep_ms(200); /* the waiter is asleep by now (if not, it looks first) */
  pipc__fault_arm(PIPC__FAULT_PUT_COMMITTED, 1);
  pipc_queue_put(q, "dead", 4, 30000);
  return 11; /* not reached */
}

/* A waker killed between its change and its signal: the waiter sees the
   message anyway (at its next slice), and the message is whole. */
void test_wait_waker_killed_before_signal(void) {
  char qname[80], buf[64];
  pipc_queue *q = new_queue(qname, sizeof qname, "wwk", 4);
  pipc_process *p;
  pipc_waitable it;
  size_t len = 0;
  CU_ASSERT_FATAL(q != NULL);
  it = pipc_wait_on_queue(q, PIPC_WAIT_IN);
  p = t_spawn("wait_put_die", qname, NULL);
  T_RC(pipc_wait(&it, 1, 30000), 1);
  CU_ASSERT_EQUAL(it.revents, PIPC_WAIT_IN);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 4 && memcmp(buf, "dead", 4) == 0);
  CU_ASSERT_NOT_EQUAL(t_join(p, 30000), 11);
  drop_queue(q, qname);
}

/* Signals nobody has read yet (watches that have not looked again) must
   never silence the next one: 30 watches of 10 queues each get 300
   signals from this process, then a new watch of another queue must
   still hear of its put.  (Linux counts unread datagrams against their
   sender: about 270 silenced a process's every signal.) */
void test_wait_many_unread_signals_never_silence(void) {
  enum { NQ = 10, NW = 30 };
  char names[NQ + 1][80], buf[64];
  pipc_queue *q[NQ + 1];
  pipc_waitable it[NQ], fresh;
  pipc_watch *w[NW], *fw = NULL;
  intptr_t h[2];
  size_t n = 0, len;
  int i, j;
  for (i = 0; i <= NQ; i++) {
    q[i] = new_queue(names[i], sizeof names[i], "wunread", 4);
    CU_ASSERT_FATAL(q[i] != NULL);
  }
  for (i = 0; i < NQ; i++) it[i] = pipc_wait_on_queue(q[i], PIPC_WAIT_IN);
  for (j = 0; j < NW; j++) {
    T_RC(pipc_watch_create(it, NQ, &w[j]), PIPC_OK);
    T_RC(pipc_watch_rearm(w[j]), 0);
  }
  for (i = 0; i < NQ; i++) T_RC(pipc_queue_put(q[i], "x", 1, 0), PIPC_OK); /* 300 signals */
  fresh = pipc_wait_on_queue(q[NQ], PIPC_WAIT_IN);
  T_RC(pipc_watch_create(&fresh, 1, &fw), PIPC_OK);
  T_RC(pipc_watch_rearm(fw), 0);
  T_RC(pipc_watch_handles(fw, h, 2, &n), PIPC_OK);
  T_RC(pipc_queue_put(q[NQ], "y", 1, 0), PIPC_OK);
  CU_ASSERT_EQUAL(t_os_wait_handles(h, n, 30000), 1);
  T_RC(pipc_watch_rearm(fw), 1);
  T_RC(pipc_queue_get(q[NQ], buf, sizeof buf, &len, 0), PIPC_OK);
  T_RC(pipc_watch_close(fw), PIPC_OK);
  for (j = 0; j < NW; j++) T_RC(pipc_watch_close(w[j]), PIPC_OK);
  for (i = 0; i <= NQ; i++) drop_queue(q[i], names[i]);
}

/* An item with no events is left out of the wait, handle and all: a pipe
   end with a message waiting, given with events 0, must not wake the wait
   over and over (it spun, a system call each time, for the whole
   timeout).  Counted: a 300 ms wait sleeps a slice or two, not thousands. */
void test_wait_idle_items_do_not_wake(void) {
  char name[80], buf[8];
  pipc_queue *q = new_queue(name, sizeof name, "widle", 2);
  pipc_pipe *a = NULL, *b = NULL;
  pipc_waitable it[2];
  uint32_t k;
  size_t len;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_pipe_pair(&a, &b), PIPC_OK);
  CU_ASSERT_FATAL(a && b);
  T_RC(pipc_pipe_send(b, "m", 1, 1000), PIPC_OK);
  it[0] = pipc_wait_on_pipe(a);
  it[0].events = 0;
  it[1] = pipc_wait_on_queue(q, PIPC_WAIT_IN);
  k = pipc__kernel_calls;
  T_RC(pipc_wait(it, 2, 300), 0);
  CU_ASSERT(pipc__kernel_calls - k < 20);
  CU_ASSERT_EQUAL(it[0].revents, 0u);
  T_RC(pipc_pipe_recv(a, buf, sizeof buf, &len, 0), PIPC_OK); /* still there */
  pipc_pipe_close(a);
  pipc_pipe_close(b);
  drop_queue(q, name);
}

struct forked_watch {
  pipc_watch *w;
};

static int fork_child_closes_copy(void *arg) {
  struct forked_watch *f = (struct forked_watch *)arg;
  if (pipc_watch_rearm(f->w) != PIPC_EINVAL) return 1; /* not the child's */
  if (pipc_watch_close(f->w) != PIPC_OK) return 2;
  return 0;
}

/* A fork child's copy of a watch is not its own: its rearm says so, and
   closing it leaves the parent's subscriptions (and notifier) working. */
void test_wait_fork_child_copy_of_a_watch(void) {
  char name[80], buf[8];
  pipc_queue *q;
  pipc_waitable it;
  struct forked_watch f;
  intptr_t h[2];
  size_t n = 0, len;
  const char *why = t_os_why_no_fork();
  if (why) T_SKIP(why);
  q = new_queue(name, sizeof name, "wfork", 2);
  CU_ASSERT_FATAL(q != NULL);
  it = pipc_wait_on_queue(q, PIPC_WAIT_IN);
  T_RC(pipc_watch_create(&it, 1, &f.w), PIPC_OK);
  T_RC(pipc_watch_rearm(f.w), 0);
  CU_ASSERT_EQUAL(t_os_fork_run(fork_child_closes_copy, &f), 0);
  CU_ASSERT_EQUAL(pipc__queue_subscribers(q), 1u);
  T_RC(pipc_watch_handles(f.w, h, 2, &n), PIPC_OK);
  T_RC(pipc_queue_put(q, "x", 1, 0), PIPC_OK);
  CU_ASSERT_EQUAL(t_os_wait_handles(h, n, 30000), 1);
  T_RC(pipc_watch_rearm(f.w), 1);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  T_RC(pipc_watch_close(f.w), PIPC_OK);
  drop_queue(q, name);
}

/* PIPC_WAIT_OUT on a Pipe end (issue 20, item 1: the pending state of a
   send is visible to an event loop): ready when the end keeps nothing,
   not while a timeout-0 send's rest is kept; it becomes ready once the
   peer reads, with no other call on the end. */
struct out_reader {
  pipc_pipe *p;
  unsigned char *buf;
  size_t cap, len;
  int rc;
};

static void out_reader_fn(void *arg) {
  struct out_reader *r = (struct out_reader *)arg;
  pipc_sleep_ms(100);
  r->rc = pipc_pipe_recv(r->p, r->buf, r->cap, &r->len, 30000);
}

void test_wait_pipe_out_when_nothing_kept(void) {
  enum { BIG = 4 << 20 };
  pipc_pipe *a = NULL;
  pipc_waitable it;
  struct out_reader r;
  unsigned char *out = (unsigned char *)malloc(BIG);
  t_thread *t;
  memset(&r, 0, sizeof r);
  r.buf = (unsigned char *)malloc(BIG);
  r.cap = BIG;
  CU_ASSERT_FATAL(out != NULL && r.buf != NULL);
  T_RC(pipc_pipe_pair(&a, &r.p), PIPC_OK);
  CU_ASSERT_FATAL(a && r.p);
  it = pipc_wait_on_pipe(a);
  it.events = PIPC_WAIT_IN | PIPC_WAIT_OUT;
  CU_ASSERT_EQUAL(pipc_wait(&it, 1, 0), 1); /* nothing kept: writable */
  CU_ASSERT_EQUAL(it.revents, PIPC_WAIT_OUT);
  memset(out, 0x5a, BIG);
  T_RC(pipc_pipe_send(a, out, BIG, 0), PIPC_OK); /* more than the OS takes: kept */
  it.events = PIPC_WAIT_OUT;
  CU_ASSERT_EQUAL(pipc_wait(&it, 1, 0), 0);
  CU_ASSERT_EQUAL(pipc_wait(&it, 1, 50), 0); /* nobody reads */
  r.rc = -100;
  t = t_thread_start(out_reader_fn, &r);
  CU_ASSERT_EQUAL(pipc_wait(&it, 1, 30000), 1); /* the wait pushed it out */
  CU_ASSERT_EQUAL(it.revents, PIPC_WAIT_OUT);
  T_RC(pipc_pipe_flush(a, 0), PIPC_OK);
  t_thread_join(t);
  T_RC(r.rc, PIPC_OK);
  CU_ASSERT(r.len == BIG && r.buf[0] == 0x5a && r.buf[BIG - 1] == 0x5a);
  pipc_pipe_close(a);
  pipc_pipe_close(r.p);
  free(out);
  free(r.buf);
}
