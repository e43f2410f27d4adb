/* test_queue.c - the shared-memory message queue: semantics, threads,
   helper-held locks and zero-copy, damaged shared memory.  Many processes
   at once: test_queue_mp.c; killed processes: test_queue_kill.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "os.h"
#include "pipc_testing.h" /* pipc__queue_hold: this binary has it */
#include "queue_util.h"

/* The segment layout, as documented at the top of src/queue.c (the slot
   hints: tail, head). */
#define Q_CAPACITY_OFF 64
#define Q_TAIL_OFF 192
#define Q_HEAD_OFF 256
#define Q_WAITERS_OFF 328 /* consumers' then producers' sleeper counts, u32 */
#define Q_OS_OFF 384      /* the parking places, then the registry's mutexes */

void test_queue_fifo(void) {
  char name[80], buf[32];
  pipc_queue *q = make_queue(name, sizeof name, "fifo", 16, 32);
  size_t len = 0;
  int i;
  CU_ASSERT_FATAL(q != NULL);
  CU_ASSERT_STRING_EQUAL(pipc_queue_name(q), name);
  for (i = 0; i < 16; i++) {
    snprintf(buf, sizeof buf, "message %d", i);
    T_RC(pipc_queue_put(q, buf, strlen(buf) + 1, 0), PIPC_OK);
  }
  for (i = 0; i < 16; i++) {
    char want[32];
    snprintf(want, sizeof want, "message %d", i);
    T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
    CU_ASSERT_EQUAL(len, strlen(want) + 1);
    CU_ASSERT_STRING_EQUAL(buf, want);
  }
  /* wrap around the ring many times */
  for (i = 0; i < 1000; i++) {
    int v = i, got = -1;
    T_RC(pipc_queue_put(q, &v, sizeof v, 0), PIPC_OK);
    T_RC(pipc_queue_get(q, &got, sizeof got, &len, 0), PIPC_OK);
    CU_ASSERT_EQUAL(got, i);
  }
  drop_queue(q);
}

void test_queue_full_eagain_and_timeout(void) {
  char name[80];
  pipc_queue *q = make_queue(name, sizeof name, "full", 2, 8); /* Queue(2) */
  int64_t t0;
  size_t len;
  int v = 7;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_put(q, &v, sizeof v, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, &v, sizeof v, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, &v, sizeof v, 0), PIPC_EAGAIN);
  t0 = t_now_ms();
  T_RC(pipc_queue_put(q, &v, sizeof v, 200), PIPC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 200);
  T_RC(pipc_queue_size(q, &len), PIPC_OK);
  CU_ASSERT_EQUAL(len, 2); /* the refused puts left nothing */
  drop_queue(q);
}

void test_queue_empty_eagain_and_timeout(void) {
  char name[80], buf[8];
  pipc_queue *q = make_queue(name, sizeof name, "empty", 2, 8);
  int64_t t0;
  size_t len = 99;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  t0 = t_now_ms();
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 200), PIPC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 200);
  drop_queue(q);
}

void test_queue_zero_length_messages(void) {
  char name[80], buf[8];
  pipc_queue *q = make_queue(name, sizeof name, "zero", 4, 8);
  size_t len = 99, n = 0;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_put(q, NULL, 0, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "", 0, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "x", 1, 0), PIPC_OK);
  T_RC(pipc_queue_size(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 3); /* two empty messages are two messages */
  T_RC(pipc_queue_get(q, NULL, 0, &len, 0), PIPC_OK);
  CU_ASSERT_EQUAL(len, 0);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT_EQUAL(len, 0);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT_EQUAL(len, 1);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  drop_queue(q);
}

void test_queue_max_msg_size_boundary(void) {
  char name[80], big[101], out[101];
  pipc_queue *q = make_queue(name, sizeof name, "max", 4, 100);
  size_t len = 0, n = 9;
  CU_ASSERT_FATAL(q != NULL);
  memset(big, 'm', sizeof big);
  T_RC(pipc_queue_put(q, big, 100, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, big, 101, 0), PIPC_EMSGSIZE);
  T_RC(pipc_queue_put(q, big, 101, 1000), PIPC_EMSGSIZE); /* before any wait */
  T_RC(pipc_queue_size(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 1);
  T_RC(pipc_queue_get(q, out, sizeof out, &len, 0), PIPC_OK);
  CU_ASSERT_EQUAL(len, 100);
  CU_ASSERT(memcmp(out, big, 100) == 0);
  drop_queue(q);
}

void test_queue_small_buffer_keeps_message(void) {
  char name[80], buf[64];
  pipc_queue *q = make_queue(name, sizeof name, "small", 4, 64);
  size_t len = 0;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_put(q, "0123456789", 10, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "next", 4, 0), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, 4, &len, 0), PIPC_EMSGSIZE);
  CU_ASSERT_EQUAL(len, 10); /* the size needed */
  T_RC(pipc_queue_get(q, NULL, 0, &len, 0), PIPC_EMSGSIZE);
  CU_ASSERT_EQUAL(len, 10);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK); /* still first */
  CU_ASSERT_EQUAL(len, 10);
  CU_ASSERT(memcmp(buf, "0123456789", 10) == 0);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT_EQUAL(len, 4);
  drop_queue(q);
}

void test_queue_size_exact_when_quiet(void) {
  char name[80];
  pipc_queue *q = make_queue(name, sizeof name, "size", 8, 8), *o = NULL;
  size_t n = 99, len;
  int i, v = 1;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_open(name, &o), PIPC_OK);
  CU_ASSERT_FATAL(o != NULL);
  for (i = 0; i <= 8; i++) {
    T_RC(pipc_queue_size(o, &n), PIPC_OK);
    CU_ASSERT_EQUAL(n, (size_t)i);
    if (i < 8) T_RC(pipc_queue_put(q, &v, sizeof v, 0), PIPC_OK);
  }
  T_RC(pipc_queue_get(o, &v, sizeof v, &len, 0), PIPC_OK);
  T_RC(pipc_queue_size(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 7);
  pipc_queue_close(o);
  drop_queue(q);
}

void test_queue_bad_arguments(void) {
  char name[80], buf[8];
  pipc_queue *q = (pipc_queue *)1, *q2 = NULL;
  size_t len;
  t_name(name, sizeof name, "badq");
  T_RC(pipc_queue_create(name, 0, 8, &q), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(q);
  T_RC(pipc_queue_create(name, 8, 0, &q), PIPC_EINVAL);
  T_RC(pipc_queue_create(name, (size_t)0x80000000u, 8, &q), PIPC_EINVAL);
  T_RC(pipc_queue_create(name, 8, (size_t)0x7fffff01u, &q), PIPC_EINVAL);
  T_RC(pipc_queue_create(name, 8, 8, NULL), PIPC_EINVAL);
  T_RC(pipc_queue_create("bad/name", 8, 8, &q), PIPC_EINVAL);
  T_RC(pipc_queue_open(name, &q), PIPC_ENOENT); /* nothing left behind */
  T_RC(pipc_queue_open(".x", &q), PIPC_EINVAL);
  T_RC(pipc_queue_open(name, NULL), PIPC_EINVAL);
  T_RC(pipc_queue_unlink("a b"), PIPC_EINVAL);
  T_RC(pipc_queue_create(name, 2, 8, &q), PIPC_OK);
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_create(name, 2, 8, &q2), PIPC_EEXIST);
  T_RC(pipc_queue_put(NULL, buf, 1, 0), PIPC_EINVAL);
  T_RC(pipc_queue_put(q, NULL, 1, 0), PIPC_EINVAL);
  T_RC(pipc_queue_put(q, buf, 1, -7), PIPC_EINVAL);
  T_RC(pipc_queue_get(NULL, buf, sizeof buf, &len, 0), PIPC_EINVAL);
  T_RC(pipc_queue_get(q, buf, sizeof buf, NULL, 0), PIPC_EINVAL);
  T_RC(pipc_queue_get(q, NULL, 8, &len, 0), PIPC_EINVAL);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, -2), PIPC_EINVAL);
  T_RC(pipc_queue_size(NULL, &len), PIPC_EINVAL);
  T_RC(pipc_queue_size(q, NULL), PIPC_EINVAL);
  T_RC(pipc_queue_shutdown(NULL), PIPC_EINVAL);
  T_RC(pipc_queue_close(NULL), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(pipc_queue_name(NULL));
  T_RC(pipc_queue_size(q, &len), PIPC_OK);
  CU_ASSERT_EQUAL(len, 0); /* no refused call changed anything */
  drop_queue(q);
}

void test_queue_shutdown_drains_then_closed(void) {
  char name[80], buf[8];
  pipc_queue *q = make_queue(name, sizeof name, "shut", 4, 8), *o = NULL;
  size_t len;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_open(name, &o), PIPC_OK);
  CU_ASSERT_FATAL(o != NULL);
  T_RC(pipc_queue_put(q, "a", 1, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "b", 1, 0), PIPC_OK);
  T_RC(pipc_queue_shutdown(q), PIPC_OK);
  T_RC(pipc_queue_put(o, "c", 1, 0), PIPC_ECLOSED); /* for every handle */
  T_RC(pipc_queue_put(q, "c", 1, 1000), PIPC_ECLOSED);
  T_RC(pipc_queue_get(o, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT_EQUAL(buf[0], 'a');
  T_RC(pipc_queue_get(o, buf, sizeof buf, &len, PIPC_FOREVER), PIPC_OK);
  CU_ASSERT_EQUAL(buf[0], 'b');
  T_RC(pipc_queue_get(o, buf, sizeof buf, &len, PIPC_FOREVER), PIPC_ECLOSED);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_ECLOSED);
  T_RC(pipc_queue_shutdown(o), PIPC_OK); /* twice is harmless */
  pipc_queue_close(o);
  drop_queue(q);
}

void test_queue_shutdown_releases_blocked(void) {
  char full[80], empty[80], rname[80];
  pipc_queue *qf = make_queue(full, sizeof full, "sfull", 1, 8);
  pipc_queue *qe = make_queue(empty, sizeof empty, "sempty", 1, 8);
  pipc_sem *ready = NULL;
  pipc_process *p[4];
  int i;
  t_name(rname, sizeof rname, "sready");
  T_RC(pipc_sem_create(rname, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(qf && qe && ready);
  T_RC(pipc_queue_put(qf, "x", 1, 0), PIPC_OK); /* now full */
  p[0] = t_spawn("queue_one", full, "put", rname, "closed", NULL);
  p[1] = t_spawn("queue_one", full, "put", rname, "closed", NULL);
  p[2] = t_spawn("queue_one", empty, "get", rname, "closed", NULL);
  p[3] = t_spawn("queue_one", empty, "get", rname, "closed", NULL);
  for (i = 0; i < 4; i++) T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
  pipc_sleep_ms(100); /* let them block; the test holds either way */
  T_RC(pipc_queue_shutdown(qf), PIPC_OK);
  T_RC(pipc_queue_shutdown(qe), PIPC_OK);
  for (i = 0; i < 4; i++) CU_ASSERT_EQUAL(t_join(p[i], 30000), 0);
  pipc_sem_unlink(rname);
  pipc_sem_close(ready);
  drop_queue(qf);
  drop_queue(qe);
}

void test_queue_unlink_while_open(void) {
  char name[80], buf[8];
  pipc_queue *q = make_queue(name, sizeof name, "unl", 4, 8), *o = NULL, *o2 = NULL;
  size_t len;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_open(name, &o), PIPC_OK);
  T_RC(pipc_queue_unlink(name), PIPC_OK);
  T_RC(pipc_queue_open(name, &o2), PIPC_ENOENT);
  T_RC(pipc_queue_unlink(name), PIPC_ENOENT);
  T_RC(pipc_queue_put(q, "k", 1, 0), PIPC_OK); /* still works */
  T_RC(pipc_queue_get(o, buf, sizeof buf, &len, 0), PIPC_OK); /* both handles */
  CU_ASSERT_EQUAL(buf[0], 'k');
  pipc_queue_close(o);
  pipc_queue_close(q);
}

/* argv: queue_putter QUEUE N -> puts "hello i" for i < N */
int role_queue_putter(int argc, char **argv) {
  pipc_queue *q = NULL;
  char buf[32];
  int i, n;
  if (argc < 3 || pipc_queue_open(argv[1], &q) != PIPC_OK) return 10;
  n = atoi(argv[2]);
  for (i = 0; i < n; i++) {
    snprintf(buf, sizeof buf, "hello %d", i);
    if (pipc_queue_put(q, buf, strlen(buf), 30000) != PIPC_OK) return 11;
  }
  pipc_queue_close(q);
  return 0;
}

void test_queue_open_by_unrelated_process(void) {
  char name[80], buf[32], want[32];
  pipc_queue *q = make_queue(name, sizeof name, "unrel", 2, 32);
  pipc_process *p;
  size_t len;
  int i;
  CU_ASSERT_FATAL(q != NULL);
  p = t_spawn("queue_putter", name, "50", NULL);
  for (i = 0; i < 50; i++) {
    T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 30000), PIPC_OK);
    snprintf(want, sizeof want, "hello %d", i);
    CU_ASSERT(len == strlen(want) && memcmp(buf, want, len) == 0);
  }
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  drop_queue(q);
}

/* Two producer and two consumer threads on one handle and on a second
   mapping of the same queue. */
struct tq {
  pipc_queue *q;
  uint32_t id, n, errors, got;
  unsigned char *seen; /* each consumer thread has its own */
};

static void tq_producer(void *arg) {
  struct tq *t = (struct tq *)arg;
  struct msg m;
  uint32_t i;
  for (i = 0; i < t->n; i++) {
    size_t n = msg_fill(&m, t->id, i);
    if (i % 3 == 1) { /* zero-copy, from threads too */
      void *slot;
      if (pipc_queue_reserve(t->q, n, &slot, 60000) != PIPC_OK) {
        t->errors++;
        continue;
      }
      memcpy(slot, &m, n);
      if (pipc_queue_commit(t->q, n) != PIPC_OK) t->errors++;
    } else if (pipc_queue_put(t->q, &m, n, 60000) != PIPC_OK) {
      t->errors++;
    }
  }
}

static void tq_consumer(void *arg) {
  struct tq *t = (struct tq *)arg;
  struct msg m;
  size_t len;
  const void *in_place;
  uint32_t k = 0;
  for (;; k++) {
    if (k % 3 == 2) { /* peek / release */
      if (pipc_queue_peek(t->q, &in_place, &len, 60000) != PIPC_OK) break;
      memcpy(&m, in_place, len <= sizeof m ? len : sizeof m);
      if (pipc_queue_release(t->q) != PIPC_OK) t->errors++;
    } else if (pipc_queue_get(t->q, &m, sizeof m, &len, 60000) != PIPC_OK) {
      break;
    }
    if (msg_bad(&m, len) || m.producer >= 2 || m.seq >= t->n) {
      t->errors++;
      continue;
    }
    t->got++;
    t->seen[m.producer * t->n + m.seq]++;
  }
}

void test_queue_threads_share_handles(void) {
  char name[80];
  pipc_queue *q = make_queue(name, sizeof name, "thr", 8, sizeof(struct msg)), *o = NULL;
  struct tq t[4];
  t_thread *th[4];
  unsigned char *seen[2];
  uint32_t n = 20000, i, wrong = 0;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_open(name, &o), PIPC_OK);
  CU_ASSERT_FATAL(o != NULL);
  seen[0] = (unsigned char *)calloc(2 * n, 1);
  seen[1] = (unsigned char *)calloc(2 * n, 1);
  for (i = 0; i < 4; i++) {
    memset(&t[i], 0, sizeof t[i]);
    t[i].q = (i % 2) ? o : q; /* the region mapped twice */
    t[i].id = i;
    t[i].n = n;
    t[i].seen = seen[i % 2];
  }
  th[0] = t_thread_start(tq_consumer, &t[2]);
  th[1] = t_thread_start(tq_consumer, &t[3]);
  th[2] = t_thread_start(tq_producer, &t[0]);
  th[3] = t_thread_start(tq_producer, &t[1]);
  t_thread_join(th[2]);
  t_thread_join(th[3]);
  T_RC(pipc_queue_shutdown(q), PIPC_OK);
  t_thread_join(th[0]);
  t_thread_join(th[1]);
  for (i = 0; i < 4; i++) CU_ASSERT_EQUAL(t[i].errors, 0);
  CU_ASSERT_EQUAL(t[2].got + t[3].got, 2 * n);
  for (i = 0; i < 2 * n; i++) wrong += seen[0][i] + seen[1][i] != 1;
  CU_ASSERT_EQUAL(wrong, 0);
  free(seen[0]);
  free(seen[1]);
  pipc_queue_close(o);
  drop_queue(q);
}

/* argv: queue_hold QUEUE put|get READY -> claims a put's slot (or the head
   message) and keeps it until killed */
int role_queue_hold(int argc, char **argv) {
  pipc_queue *q = NULL;
  pipc_sem *ready = NULL;
  if (argc < 4 || pipc_queue_open(argv[1], &q) || pipc_sem_open(argv[3], &ready))
    return 10;
  if (pipc__queue_hold(q, strcmp(argv[2], "get") == 0) != PIPC_OK) return 11;
  pipc_sem_post(ready);
  pipc_sleep_ms(60000);
  return 12;
}

/* argv: queue_one QUEUE put|get READY [closed] -> posts READY, then one put
   or get that may block FOREVER; exit 0 if it returned PIPC_OK (or
   PIPC_ECLOSED, given "closed") */
int role_queue_one(int argc, char **argv) {
  pipc_queue *q = NULL;
  pipc_sem *ready = NULL;
  char buf[8];
  size_t len;
  int rc, want;
  if (argc < 4 || pipc_queue_open(argv[1], &q) || pipc_sem_open(argv[3], &ready))
    return 10;
  want = argc > 4 && strcmp(argv[4], "closed") == 0 ? PIPC_ECLOSED : PIPC_OK;
  pipc_sem_post(ready);
  if (strcmp(argv[2], "put") == 0)
    rc = pipc_queue_put(q, "w", 1, PIPC_FOREVER);
  else
    rc = pipc_queue_get(q, buf, sizeof buf, &len, PIPC_FOREVER);
  pipc_queue_close(q);
  pipc_sem_close(ready);
  return rc == want ? 0 : 20 - rc;
}

/* Fill q to capacity with timeout-0 puts: every slot must take one (no
   slot lost to a dead claimant), and the next is refused. */
static void fills_to_capacity(pipc_queue *q, size_t capacity) {
  size_t i, len;
  char buf[8];
  for (i = 0; i < capacity; i++) T_RC(pipc_queue_put(q, "f", 1, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "f", 1, 0), PIPC_EAGAIN);
  for (i = 0; i < capacity; i++) T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
}

/* A process holds a claim - a put's slot, or the head message - and is
   killed.  While it lives, nobody is blocked but those behind its slot;
   once it is dead, its claim goes back and the queue carries on whole. */
static void holder_killed(const char *side) {
  char name[80], rname[80], buf[8];
  pipc_queue *q = make_queue(name, sizeof name, "hold", 8, 8);
  pipc_sem *ready = NULL;
  pipc_process *holder, *w[3];
  size_t len, n = 99;
  int i, is_get = strcmp(side, "get") == 0;
  t_name(rname, sizeof rname, "hready");
  T_RC(pipc_sem_create(rname, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(q && ready);
  if (is_get) {
    T_RC(pipc_queue_put(q, "a", 1, 0), PIPC_OK);
    T_RC(pipc_queue_put(q, "b", 1, 0), PIPC_OK);
    T_RC(pipc_queue_put(q, "c", 1, 0), PIPC_OK);
  }
  holder = t_spawn("queue_hold", name, side, rname, NULL);
  T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
  if (is_get) {
    /* The holder has "a"; other consumers pass it. */
    T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
    CU_ASSERT_EQUAL(buf[0], 'b');
    pipc_process_kill(holder);
    CU_ASSERT_EQUAL(t_join(holder, 30000), -9);
    /* "a" went with it; "c" is next, and nothing else. */
    T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 30000), PIPC_OK);
    CU_ASSERT_EQUAL(buf[0], 'c');
    T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  } else {
    /* Producers pass the holder's slot; consumers wait behind it. */
    T_RC(pipc_queue_put(q, "a", 1, 0), PIPC_OK);
    T_RC(pipc_queue_put(q, "b", 1, 0), PIPC_OK);
    T_RC(pipc_queue_put(q, "c", 1, 0), PIPC_OK);
    T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
    for (i = 0; i < 3; i++) w[i] = t_spawn("queue_one", name, "get", rname, NULL);
    for (i = 0; i < 3; i++) T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
    pipc_sleep_ms(100); /* let them block behind the held slot */
    T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
    pipc_process_kill(holder);
    CU_ASSERT_EQUAL(t_join(holder, 30000), -9);
    for (i = 0; i < 3; i++) CU_ASSERT_EQUAL(t_join(w[i], 60000), 0);
  }
  T_RC(pipc_queue_size(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0u);
  /* and it goes on working, with every slot */
  T_RC(pipc_queue_put(q, "z", 1, 0), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT_EQUAL(buf[0], 'z');
  fills_to_capacity(q, 8);
  pipc_sem_unlink(rname);
  pipc_sem_close(ready);
  drop_queue(q);
}

void test_queue_producer_lock_holder_killed(void) { holder_killed("put"); }
void test_queue_consumer_lock_holder_killed(void) { holder_killed("get"); }

/* ---- damaged shared memory ---- */

static unsigned char *raw_view(const char *name, pipc_shm **s) {
  T_RC(pipc_shm_open(name, s), PIPC_OK);
  return *s ? (unsigned char *)pipc_shm_addr(*s) : NULL;
}

/* raw_view, and where the ring starts in it (checked). */
static unsigned char *ring_view(const char *name, pipc_shm **s, uint64_t *ring_off) {
  unsigned char *r = raw_view(name, s);
  if (r == NULL) return NULL;
  memcpy(ring_off, r + Q_CAPACITY_OFF + 24, 8);
  CU_ASSERT(*ring_off < pipc_shm_size(*s));
  return *ring_off < pipc_shm_size(*s) ? r : NULL;
}

void test_queue_corrupt_header_is_ecorrupt(void) {
  char name[80], buf[64];
  pipc_queue *q = make_queue(name, sizeof name, "corrupt", 4, 16), *o = (pipc_queue *)1;
  pipc_shm *raw = NULL;
  unsigned char *r;
  uint64_t v, saved;
  size_t len;
  CU_ASSERT_FATAL(q != NULL);
  r = raw_view(name, &raw);
  CU_ASSERT_FATAL(r != NULL);

  /* A damaged configuration: open refuses it. */
  memcpy(&saved, r + Q_CAPACITY_OFF, 8);
  v = 0xffffffffffull;
  memcpy(r + Q_CAPACITY_OFF, &v, 8);
  T_RC(pipc_queue_open(name, &o), PIPC_ECORRUPT);
  CU_ASSERT_PTR_NULL(o);
  v = 0;
  memcpy(r + Q_CAPACITY_OFF, &v, 8);
  T_RC(pipc_queue_open(name, &o), PIPC_ECORRUPT);
  memcpy(r + Q_CAPACITY_OFF, &saved, 8);
  memcpy(&saved, r, 8);
  memset(r, 0xee, 8); /* magic and version */
  T_RC(pipc_queue_open(name, &o), PIPC_ECORRUPT);
  memcpy(r, &saved, 8);
  { /* a queue of the layout before this one (version - 1): refused as
       another layout, never misread */
    uint16_t ver;
    memcpy(&ver, r + 4, 2);
    ver--;
    memcpy(r + 4, &ver, 2);
    T_RC(pipc_queue_open(name, &o), PIPC_ENOTSUP);
    memcpy(r, &saved, 8);
  }
  T_RC(pipc_queue_open(name, &o), PIPC_OK); /* restored: fine again */
  CU_ASSERT_FATAL(o != NULL);

  /* A message length beyond max: get refuses, and the queue is poisoned. */
  T_RC(pipc_queue_put(q, "abc", 3, 0), PIPC_OK);
  {
    uint64_t ring_off;
    uint32_t huge = 0xfffffff0u;
    memcpy(&ring_off, r + Q_CAPACITY_OFF + 24, 8);
    CU_ASSERT_FATAL(ring_off < pipc_shm_size(raw));
    memcpy(r + ring_off + 8, &huge, 4); /* the first slot's length */
  }
  T_RC(pipc_queue_get(o, buf, sizeof buf, &len, 0), PIPC_ECORRUPT);
  T_RC(pipc_queue_put(q, "abc", 3, 0), PIPC_ECORRUPT); /* poisoned for all */
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 1000), PIPC_ECORRUPT);
  pipc_queue_close(o);
  drop_queue(q);
  pipc_shm_close(raw);

  /* Indices that contradict each other: the next operation refuses. */
  q = make_queue(name, sizeof name, "corrupt2", 4, 16);
  CU_ASSERT_FATAL(q != NULL);
  r = raw_view(name, &raw);
  CU_ASSERT_FATAL(r != NULL);
  v = 1000;
  memcpy(r + Q_TAIL_OFF, &v, 8); /* 1000 messages in a queue of 4 */
  T_RC(pipc_queue_size(q, &len), PIPC_ECORRUPT);
  /* consumers do not read the producers' hint; a producer does, refuses,
     and poisons the queue for everyone */
  T_RC(pipc_queue_put(q, "x", 1, 0), PIPC_ECORRUPT);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_ECORRUPT);
  drop_queue(q);
  pipc_shm_close(raw);

  q = make_queue(name, sizeof name, "corrupt3", 4, 16);
  CU_ASSERT_FATAL(q != NULL);
  r = raw_view(name, &raw);
  CU_ASSERT_FATAL(r != NULL);
  v = 5;
  memcpy(r + Q_HEAD_OFF, &v, 8); /* head past tail */
  /* The first operation that reads the damaged head refuses; producers do
     not read it. */
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_ECORRUPT);
  T_RC(pipc_queue_put(q, "x", 1, 0), PIPC_ECORRUPT); /* poisoned now */
  drop_queue(q);
  pipc_shm_close(raw);
}

/* ---- zero-copy: reserve / commit, peek / release ---- */

void test_queue_zero_copy_roundtrip(void) {
  char name[80], buf[64];
  pipc_queue *q = make_queue(name, sizeof name, "zc", 4, 64);
  void *slot = NULL;
  const void *msg = NULL;
  size_t len = 0, n;
  int i;
  CU_ASSERT_FATAL(q != NULL);
  /* wrap around the ring many times, mixing zero-copy with put / get */
  for (i = 0; i < 1000; i++) {
    int w = i % 4;
    snprintf(buf, sizeof buf, "zero-copy %d", i);
    if (w & 1) {
      T_RC(pipc_queue_reserve(q, 64, &slot, 0), PIPC_OK);
      CU_ASSERT_FATAL(slot != NULL);
      CU_ASSERT_EQUAL((uintptr_t)slot % 8, 0);
      memcpy(slot, buf, strlen(buf));
      T_RC(pipc_queue_commit(q, strlen(buf)), PIPC_OK); /* shorter than reserved */
    } else {
      T_RC(pipc_queue_put(q, buf, strlen(buf), 0), PIPC_OK);
    }
    if (w & 2) {
      T_RC(pipc_queue_peek(q, &msg, &len, 0), PIPC_OK);
      CU_ASSERT_FATAL(msg != NULL);
      CU_ASSERT(len == strlen(buf) && memcmp(msg, buf, len) == 0);
      T_RC(pipc_queue_size(q, &n), PIPC_OK);
      CU_ASSERT_EQUAL(n, 1); /* still in the queue until released */
      T_RC(pipc_queue_release(q), PIPC_OK);
    } else {
      char got[64];
      T_RC(pipc_queue_get(q, got, sizeof got, &len, 0), PIPC_OK);
      CU_ASSERT(len == strlen(buf) && memcmp(got, buf, len) == 0);
    }
    T_RC(pipc_queue_size(q, &n), PIPC_OK);
    CU_ASSERT_EQUAL(n, 0);
  }
  /* empty messages, and a full-size one */
  T_RC(pipc_queue_reserve(q, 0, &slot, 0), PIPC_OK);
  T_RC(pipc_queue_commit(q, 0), PIPC_OK);
  T_RC(pipc_queue_reserve(q, 64, &slot, 0), PIPC_OK);
  memset(slot, 'z', 64);
  T_RC(pipc_queue_commit(q, 64), PIPC_OK);
  T_RC(pipc_queue_peek(q, &msg, &len, 0), PIPC_OK);
  CU_ASSERT_EQUAL(len, 0);
  T_RC(pipc_queue_release(q), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 64 && buf[0] == 'z' && buf[63] == 'z');
  drop_queue(q);
}

/* One call on another thread: put(o, "x") or get(o), timeout 0. */
struct zc_other {
  pipc_queue *o;
  int get, rc;
};
static void zc_other_fn(void *arg) {
  struct zc_other *a = (struct zc_other *)arg;
  char buf[16];
  size_t len;
  a->rc = a->get ? pipc_queue_get(a->o, buf, sizeof buf, &len, 0)
                 : pipc_queue_put(a->o, "x", 1, 0);
}
static int zc_on_other_thread(pipc_queue *o, int get) {
  struct zc_other a;
  a.o = o;
  a.get = get;
  a.rc = 1;
  t_thread_join(t_thread_start(zc_other_fn, &a));
  return a.rc;
}

void test_queue_zero_copy_misuse(void) {
  char name[80], buf[8];
  pipc_queue *q = make_queue(name, sizeof name, "zcbad", 2, 16), *o = NULL;
  void *slot = (void *)1;
  const void *msg = (const void *)1;
  size_t len, n;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_open(name, &o), PIPC_OK);
  CU_ASSERT_FATAL(o != NULL);
  /* arguments, and the second call without the first */
  T_RC(pipc_queue_reserve(NULL, 1, &slot, 0), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(slot);
  T_RC(pipc_queue_reserve(q, 1, NULL, 0), PIPC_EINVAL);
  T_RC(pipc_queue_reserve(q, 17, &slot, 0), PIPC_EMSGSIZE);
  T_RC(pipc_queue_reserve(q, 1, &slot, -5), PIPC_EINVAL);
  T_RC(pipc_queue_peek(NULL, &msg, &len, 0), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(msg);
  T_RC(pipc_queue_peek(q, NULL, &len, 0), PIPC_EINVAL);
  T_RC(pipc_queue_peek(q, &msg, NULL, 0), PIPC_EINVAL);
  T_RC(pipc_queue_commit(q, 0), PIPC_EINVAL);
  T_RC(pipc_queue_commit(NULL, 0), PIPC_EINVAL);
  T_RC(pipc_queue_cancel(q), PIPC_EINVAL);
  T_RC(pipc_queue_cancel(NULL), PIPC_EINVAL);
  T_RC(pipc_queue_release(q), PIPC_EINVAL);
  T_RC(pipc_queue_release(NULL), PIPC_EINVAL);
  /* empty: peek waits like get */
  T_RC(pipc_queue_peek(q, &msg, &len, 0), PIPC_EAGAIN);
  T_RC(pipc_queue_peek(q, &msg, &len, 20), PIPC_ETIMEDOUT);

  /* A reservation is this thread's, through this handle: it may not put
     or reserve through it again.  Other producers go on (there is no lock:
     they take the next slots); consumers see nothing before it. */
  T_RC(pipc_queue_reserve(q, 8, &slot, 0), PIPC_OK);
  memcpy(slot, "reserved", 8);
  T_RC(pipc_queue_reserve(q, 8, &slot, 0), PIPC_EINVAL);
  T_RC(pipc_queue_put(q, "x", 1, 0), PIPC_EINVAL);
  T_RC(zc_on_other_thread(o, 0), PIPC_OK);     /* "x", after the reservation */
  T_RC(zc_on_other_thread(o, 1), PIPC_EAGAIN); /* nothing visible yet */
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 1000), PIPC_EINVAL); /* behind its own */
  T_RC(pipc_queue_commit(q, 9), PIPC_EMSGSIZE); /* longer than reserved */
  T_RC(pipc_queue_commit(q, 8), PIPC_OK);       /* the reservation stayed */
  T_RC(pipc_queue_commit(q, 8), PIPC_EINVAL);   /* and is gone now */
  /* full ("reserved", "x"): reserve waits like put */
  T_RC(pipc_queue_reserve(q, 1, &slot, 0), PIPC_EAGAIN);
  T_RC(pipc_queue_reserve(q, 1, &slot, 20), PIPC_ETIMEDOUT);

  /* A peek is this thread's the same way; other consumers go on. */
  T_RC(pipc_queue_peek(q, &msg, &len, 0), PIPC_OK);
  CU_ASSERT(len == 8 && memcmp(msg, "reserved", 8) == 0);
  T_RC(pipc_queue_peek(q, &msg, &len, 0), PIPC_EINVAL);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EINVAL);
  T_RC(zc_on_other_thread(o, 1), PIPC_OK); /* takes "x" */
  T_RC(zc_on_other_thread(o, 1), PIPC_EAGAIN);
  T_RC(pipc_queue_size(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 1); /* the peeked one, until released */
  T_RC(pipc_queue_release(q), PIPC_OK);
  T_RC(pipc_queue_release(q), PIPC_EINVAL);

  /* cancel drops a reservation: nothing is seen */
  T_RC(pipc_queue_reserve(q, 8, &slot, 0), PIPC_OK);
  memcpy(slot, "dropped!", 8);
  T_RC(pipc_queue_cancel(q), PIPC_OK);
  T_RC(pipc_queue_size(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  T_RC(pipc_queue_get(o, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  T_RC(pipc_queue_put(o, "y", 1, 0), PIPC_OK);
  T_RC(pipc_queue_get(o, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 1 && buf[0] == 'y');

  /* Shutdown: reserve fails, peek drains then fails. */
  T_RC(pipc_queue_put(q, "z", 1, 0), PIPC_OK);
  T_RC(pipc_queue_shutdown(o), PIPC_OK);
  T_RC(pipc_queue_reserve(q, 1, &slot, 0), PIPC_ECLOSED);
  T_RC(pipc_queue_peek(q, &msg, &len, 0), PIPC_OK);
  CU_ASSERT(len == 1 && ((const char *)msg)[0] == 'z');
  T_RC(pipc_queue_release(q), PIPC_OK);
  T_RC(pipc_queue_peek(q, &msg, &len, PIPC_FOREVER), PIPC_ECLOSED);
  pipc_queue_close(o);
  drop_queue(q);
}

/* Closing a handle mid-reservation or mid-peek lets go of the side: as a
   death would, the reservation is dropped and the peeked message taken. */
void test_queue_zero_copy_close_lets_go(void) {
  char name[80], buf[8];
  pipc_queue *q = make_queue(name, sizeof name, "zcclose", 4, 8), *a = NULL;
  void *slot;
  const void *msg;
  size_t len, n;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_open(name, &a), PIPC_OK);
  CU_ASSERT_FATAL(a != NULL);
  T_RC(pipc_queue_reserve(a, 8, &slot, 0), PIPC_OK);
  memcpy(slot, "unseen!!", 8);
  T_RC(pipc_queue_close(a), PIPC_OK);
  T_RC(pipc_queue_put(q, "1", 1, 0), PIPC_OK); /* producers are free */
  T_RC(pipc_queue_put(q, "2", 1, 0), PIPC_OK);
  T_RC(pipc_queue_open(name, &a), PIPC_OK);
  CU_ASSERT_FATAL(a != NULL);
  T_RC(pipc_queue_peek(a, &msg, &len, 0), PIPC_OK);
  CU_ASSERT(len == 1 && ((const char *)msg)[0] == '1');
  T_RC(pipc_queue_close(a), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK); /* consumers too */
  CU_ASSERT(len == 1 && buf[0] == '2');
  T_RC(pipc_queue_size(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  drop_queue(q);
}

/* argv: queue_zc_hold QUEUE reserve|peek READY -> reserves (writing
   "partial") or peeks, posts READY, and sleeps until killed */
int role_queue_zc_hold(int argc, char **argv) {
  pipc_queue *q = NULL;
  pipc_sem *ready = NULL;
  void *slot;
  const void *msg;
  size_t len;
  if (argc < 4 || pipc_queue_open(argv[1], &q) || pipc_sem_open(argv[3], &ready))
    return 10;
  if (strcmp(argv[2], "reserve") == 0) {
    if (pipc_queue_reserve(q, 7, &slot, 30000) != PIPC_OK) return 11;
    memcpy(slot, "partial", 7);
  } else if (pipc_queue_peek(q, &msg, &len, 30000) != PIPC_OK) {
    return 12;
  }
  pipc_sem_post(ready);
  pipc_sleep_ms(60000);
  return 13;
}

/* A process killed holding a reservation leaves nothing; one killed holding
   a peek takes that message with it - nobody sees it again - and the queue
   goes on for everyone. */
static void zc_holder_killed(const char *op) {
  char name[80], rname[80], buf[16];
  pipc_queue *q = make_queue(name, sizeof name, "zchold", 4, 16);
  pipc_sem *ready = NULL;
  pipc_process *p;
  size_t len, n;
  int peek = strcmp(op, "peek") == 0;
  t_name(rname, sizeof rname, "zcready");
  T_RC(pipc_sem_create(rname, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(q && ready);
  if (peek) {
    T_RC(pipc_queue_put(q, "first", 5, 0), PIPC_OK);
    T_RC(pipc_queue_put(q, "second", 6, 0), PIPC_OK);
  }
  p = t_spawn("queue_zc_hold", name, op, rname, NULL);
  T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
  /* While it lives, the others pass its claim: consumers take the next
     message; producers put after its reservation, which consumers wait
     behind. */
  if (peek) {
    T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
    CU_ASSERT(len == 6 && memcmp(buf, "second", 6) == 0);
  } else {
    T_RC(pipc_queue_put(q, "x", 1, 0), PIPC_OK);
    T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  }
  pipc_process_kill(p);
  CU_ASSERT_EQUAL(t_join(p, 30000), -9);
  if (peek) {
    /* "first" went with the dead peeker: nobody sees it */
    T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  } else {
    /* the reservation is dropped unseen; "x" after it comes through */
    T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 5000), PIPC_OK);
    CU_ASSERT(len == 1 && buf[0] == 'x');
    T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  }
  T_RC(pipc_queue_size(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  for (n = 0; n < 4; n++) T_RC(pipc_queue_put(q, "after", 5, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "after", 5, 0), PIPC_EAGAIN); /* no slot lost */
  for (n = 0; n < 4; n++) {
    T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
    CU_ASSERT(len == 5 && memcmp(buf, "after", 5) == 0);
  }
  pipc_sem_unlink(rname);
  pipc_sem_close(ready);
  drop_queue(q);
}

void test_queue_zero_copy_producer_killed(void) { zc_holder_killed("reserve"); }
void test_queue_zero_copy_consumer_killed(void) { zc_holder_killed("peek"); }

void test_queue_stat_reports_state(void) {
  char name[80];
  pipc_queue *q = make_queue(name, sizeof name, "stat", 4, 16);
  pipc_shm *raw = NULL;
  pipc_queue_stat_t st;
  uint64_t v = 1000;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_stat(NULL, &st), PIPC_EINVAL);
  T_RC(pipc_queue_stat(q, NULL), PIPC_EINVAL);
  T_RC(pipc_queue_stat(q, &st), PIPC_OK);
  CU_ASSERT(st.capacity == 4 && st.max_msg_size == 16 && st.depth == 0);
  CU_ASSERT(!st.closed && !st.poisoned);
  T_RC(pipc_queue_put(q, "a", 1, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "b", 1, 0), PIPC_OK);
  T_RC(pipc_queue_stat(q, &st), PIPC_OK);
  CU_ASSERT_EQUAL(st.depth, 2);
  T_RC(pipc_queue_shutdown(q), PIPC_OK);
  T_RC(pipc_queue_stat(q, &st), PIPC_OK);
  CU_ASSERT(st.closed && !st.poisoned && st.depth == 2);
  /* damaged indices: reported, not refused */
  T_RC(pipc_shm_open(name, &raw), PIPC_OK);
  CU_ASSERT_FATAL(raw != NULL);
  memcpy((unsigned char *)pipc_shm_addr(raw) + Q_TAIL_OFF, &v, 8);
  T_RC(pipc_queue_stat(q, &st), PIPC_OK);
  CU_ASSERT(st.poisoned && st.depth == 0);
  pipc_shm_close(raw);
  drop_queue(q);
}

/* ---- the lock-free queue's own edges ---- */

/* Slot states keep positions modulo 2^48: across that wrap, FIFO, full,
   empty and zero-copy work as anywhere else. */
void test_queue_positions_wrap_at_48_bits(void) {
  char name[80], buf[16];
  pipc_queue *q;
  size_t len, n;
  void *slot;
  const void *msg;
  int i;
  pipc__queue_first = (UINT64_C(1) << 48) - 2;
  q = make_queue(name, sizeof name, "wrap", 4, 16);
  pipc__queue_first = 0;
  CU_ASSERT_FATAL(q != NULL);
  /* full and empty with the wrap inside the ring: 2^48 - 2 .. 2^48 + 1 */
  for (i = 0; i < 4; i++) T_RC(pipc_queue_put(q, &i, sizeof i, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "full", 4, 0), PIPC_EAGAIN);
  T_RC(pipc_queue_size(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 4);
  for (i = 0; i < 4; i++) {
    int got = -1;
    T_RC(pipc_queue_get(q, &got, sizeof got, &len, 0), PIPC_OK);
    CU_ASSERT_EQUAL(got, i);
  }
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  for (i = 0; i < 40; i++) { /* ten more laps */
    int v = i, got = -1;
    if (i % 3 == 0) {
      T_RC(pipc_queue_reserve(q, sizeof v, &slot, 0), PIPC_OK);
      if (slot) memcpy(slot, &v, sizeof v);
      T_RC(pipc_queue_commit(q, sizeof v), PIPC_OK);
    } else {
      T_RC(pipc_queue_put(q, &v, sizeof v, 0), PIPC_OK);
    }
    if (i % 4 == 1) {
      T_RC(pipc_queue_peek(q, &msg, &len, 0), PIPC_OK);
      if (msg) memcpy(&got, msg, sizeof got);
      T_RC(pipc_queue_release(q), PIPC_OK);
    } else {
      T_RC(pipc_queue_get(q, &got, sizeof got, &len, 0), PIPC_OK);
    }
    CU_ASSERT_EQUAL(got, i);
  }
  for (i = 0; i < 4; i++) T_RC(pipc_queue_put(q, "full", 4, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "full", 4, 0), PIPC_EAGAIN);
  T_RC(pipc_queue_size(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 4);
  for (i = 0; i < 4; i++) T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  drop_queue(q);
}

/* A thread that ends holding a reservation, or a peek, leaves the handle
   and the queue fully usable: its claim is repaired like a dead one's. */
struct claim_thread {
  pipc_queue *q;
  int peek, rc;
};
static void claim_and_end(void *arg) {
  struct claim_thread *c = (struct claim_thread *)arg;
  void *slot;
  const void *msg;
  size_t len;
  if (c->peek) {
    c->rc = pipc_queue_peek(c->q, &msg, &len, 1000);
  } else {
    c->rc = pipc_queue_reserve(c->q, 8, &slot, 1000);
    if (c->rc == PIPC_OK) memcpy(slot, "partial", 8);
  }
} /* ends without commit, cancel or release */

/* The wrap of the slot words' 48-bit positions with a capacity that is
   not a power of two (slot = position mod 3 stays right across it), and a
   peeker killed at the last position before the wrap: FIFO and exactly
   once on both sides of it, the dead peeker's message gone with it (as any
   killed consumer's), every slot usable.  (Positions themselves are 64-bit
   counts from 0: 2^64 messages, centuries at any rate, never wrap.) */
void test_queue_wrap_with_capacity_3_and_a_killed_peeker(void) {
  char name[80], rname[80];
  pipc_queue *q;
  pipc_sem *ready = NULL;
  pipc_process *holder;
  size_t len;
  int i, got;
  pipc__queue_first = (UINT64_C(1) << 48) - 3;
  q = make_queue(name, sizeof name, "wrap3", 3, 8);
  pipc__queue_first = 0;
  t_name(rname, sizeof rname, "wrap3ready");
  T_RC(pipc_sem_create(rname, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(q && ready);
  for (i = 0; i < 3; i++) T_RC(pipc_queue_put(q, &i, sizeof i, 0), PIPC_OK); /* 2^48-3..-1 */
  T_RC(pipc_queue_get(q, &got, sizeof got, &len, 0), PIPC_OK);
  CU_ASSERT_EQUAL(got, 0);
  T_RC(pipc_queue_get(q, &got, sizeof got, &len, 0), PIPC_OK);
  CU_ASSERT_EQUAL(got, 1);
  /* another process peeks message 2 (position 2^48 - 1) and is killed */
  holder = t_spawn("queue_hold", name, "get", rname, NULL);
  T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
  for (i = 3; i < 5; i++) T_RC(pipc_queue_put(q, &i, sizeof i, 0), PIPC_OK); /* 2^48, +1 */
  pipc_process_kill(holder);
  CU_ASSERT_EQUAL(t_join(holder, 30000), -9);
  for (i = 3; i < 5; i++) { /* message 2 went with its peeker */
    got = -1;
    T_RC(pipc_queue_get(q, &got, sizeof got, &len, 5000), PIPC_OK);
    CU_ASSERT_EQUAL(got, i);
  }
  T_RC(pipc_queue_get(q, &got, sizeof got, &len, 0), PIPC_EAGAIN);
  for (i = 5; i < 50; i++) { /* fifteen more laps */
    got = -1;
    T_RC(pipc_queue_put(q, &i, sizeof i, 0), PIPC_OK);
    T_RC(pipc_queue_get(q, &got, sizeof got, &len, 0), PIPC_OK);
    CU_ASSERT_EQUAL(got, i);
  }
  fills_to_capacity(q, 3);
  pipc_sem_unlink(rname);
  pipc_sem_close(ready);
  drop_queue(q);
}

void test_queue_thread_ends_holding_a_claim(void) {
  char name[80], buf[16];
  pipc_queue *q = make_queue(name, sizeof name, "tend", 4, 16);
  struct claim_thread c;
  size_t len, n;
  int i;
  CU_ASSERT_FATAL(q != NULL);
  /* a reservation: dropped unseen; what comes after it comes through */
  c.q = q;
  c.peek = 0;
  t_thread_join(t_thread_start(claim_and_end, &c));
  T_RC(c.rc, PIPC_OK);
  T_RC(pipc_queue_put(q, "after", 5, 0), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 5 && memcmp(buf, "after", 5) == 0);
  /* a peek: that message went with the thread, nobody sees it again */
  T_RC(pipc_queue_put(q, "peeked", 6, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "next", 4, 0), PIPC_OK);
  c.peek = 1;
  t_thread_join(t_thread_start(claim_and_end, &c));
  T_RC(c.rc, PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 4 && memcmp(buf, "next", 4) == 0);
  T_RC(pipc_queue_size(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  /* every slot works, from this thread and others */
  for (i = 0; i < 4; i++) T_RC(pipc_queue_put(q, "f", 1, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "f", 1, 0), PIPC_EAGAIN);
  for (i = 0; i < 4; i++) T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  drop_queue(q);
}

/* Every thread that uses a queue holds an entry of its registry (64): one
   more gets a clear PIPC_EAGAIN at once, never a wait or a hang. */
#define REG_THREADS 64
struct reg_user {
  pipc_queue *q;
  pipc_sem *done, *go;
  int rc;
};
static void use_and_stay(void *arg) {
  struct reg_user *u = (struct reg_user *)arg;
  u->rc = pipc_queue_put(u->q, "r", 1, 0);
  pipc_sem_post(u->done);
  pipc_sem_wait(u->go, 60000);
}

void test_queue_too_many_threads_is_eagain(void) {
  char name[80], buf[8];
  pipc_queue *q = make_queue(name, sizeof name, "regfull", 128, 8);
  struct reg_user u[REG_THREADS];
  t_thread *th[REG_THREADS];
  pipc_sem *done = NULL, *go = NULL;
  size_t len;
  int i, ok = 0;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_sem_create(NULL, 0, 0, &done), PIPC_OK);
  T_RC(pipc_sem_create(NULL, 0, 0, &go), PIPC_OK);
  CU_ASSERT_FATAL(done && go);
  for (i = 0; i < REG_THREADS; i++) {
    u[i].q = q;
    u[i].done = done;
    u[i].go = go;
    th[i] = t_thread_start(use_and_stay, &u[i]);
    CU_ASSERT_FATAL(th[i] != NULL);
    T_RC(pipc_sem_wait(done, 30000), PIPC_OK);
    ok += u[i].rc == PIPC_OK;
  }
  CU_ASSERT_EQUAL(ok, REG_THREADS);
  /* all 64 entries held by live threads: this thread gets none */
  T_RC(pipc_queue_put(q, "x", 1, PIPC_FOREVER), PIPC_EAGAIN);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, PIPC_FOREVER), PIPC_EAGAIN);
  for (i = 0; i < REG_THREADS; i++) pipc_sem_post(go);
  for (i = 0; i < REG_THREADS; i++) t_thread_join(th[i]);
  /* their entries went with them */
  T_RC(pipc_queue_put(q, "x", 1, 0), PIPC_OK);
  for (i = 0; i <= REG_THREADS; i++) T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  pipc_sem_unlink(pipc_sem_name(done));
  pipc_sem_unlink(pipc_sem_name(go));
  pipc_sem_close(done);
  pipc_sem_close(go);
  drop_queue(q);
}

/* A fork child works on the parent's handle: it takes a registry entry of
   its own (the parent's stays the parent's), puts and gets. */
static pipc_queue *fork_q;
static int fork_child_queue(void *arg) {
  char buf[8];
  size_t len;
  (void)arg;
  if (pipc_queue_put(fork_q, "c1", 2, 0) != PIPC_OK) return 10;
  if (pipc_queue_put(fork_q, "c2", 2, 0) != PIPC_OK) return 11;
  if (pipc_queue_get(fork_q, buf, sizeof buf, &len, 0) != PIPC_OK) return 12;
  if (len != 2 || memcmp(buf, "p1", 2) != 0) return 13; /* the parent's, first */
  return 0;
}

void test_queue_fork_child_uses_parent_handle(void) {
  char name[80], buf[8];
  const char *why = t_os_why_no_fork();
  size_t len;
  if (why) T_SKIP(why);
  fork_q = make_queue(name, sizeof name, "fork", 8, 8);
  CU_ASSERT_FATAL(fork_q != NULL);
  T_RC(pipc_queue_put(fork_q, "p1", 2, 0), PIPC_OK); /* the parent holds an entry */
  CU_ASSERT_EQUAL(t_os_fork_run(fork_child_queue, NULL), 0);
  T_RC(pipc_queue_get(fork_q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 2 && memcmp(buf, "c1", 2) == 0);
  T_RC(pipc_queue_get(fork_q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 2 && memcmp(buf, "c2", 2) == 0);
  T_RC(pipc_queue_get(fork_q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  drop_queue(fork_q);
}

/* A fork child does not own its parent's holds: with the parent holding a
   peek (and a reservation), the child's release / commit / cancel are
   PIPC_EINVAL, and its closing the handle lets go of nothing - the parent's
   peeked bytes stay as they were, its slot is not reused. */
static int fork_child_holds_nothing(void *arg) {
  char buf[8];
  size_t len = 0;
  (void)arg;
  if (pipc_queue_release(fork_q) != PIPC_EINVAL) return 10;
  if (pipc_queue_commit(fork_q, 1) != PIPC_EINVAL) return 11;
  if (pipc_queue_cancel(fork_q) != PIPC_EINVAL) return 12;
  /* its own get and put work: they are not the parent's peek and
     reservation (the child's thread forgot the parent's cached hold) */
  if (pipc_queue_get(fork_q, buf, sizeof buf, &len, 0) != PIPC_OK) return 13;
  if (len != 2 || memcmp(buf, "m2", 2) != 0) return 14;
  if (pipc_queue_put(fork_q, "c", 1, 0) != PIPC_EAGAIN) return 15; /* slot 0: the peek */
  if (pipc_queue_close(fork_q) != PIPC_OK) return 16;
  return 0;
}

void test_queue_fork_child_does_not_own_parent_holds(void) {
  char name[80], buf[8];
  const char *why = t_os_why_no_fork();
  const void *msg = NULL;
  void *slot = NULL;
  size_t len = 0;
  if (why) T_SKIP(why);
  fork_q = make_queue(name, sizeof name, "forkhold", 3, 8);
  CU_ASSERT_FATAL(fork_q != NULL);
  T_RC(pipc_queue_put(fork_q, "m1", 2, 0), PIPC_OK);
  T_RC(pipc_queue_put(fork_q, "m2", 2, 0), PIPC_OK);
  T_RC(pipc_queue_peek(fork_q, &msg, &len, 0), PIPC_OK); /* m1, slot 0 */
  T_RC(pipc_queue_reserve(fork_q, 2, &slot, 0), PIPC_OK); /* slot 2 */
  CU_ASSERT_FATAL(msg != NULL && slot != NULL);
  CU_ASSERT_EQUAL(t_os_fork_run(fork_child_holds_nothing, NULL), 0);
  memcpy(slot, "m3", 2);
  T_RC(pipc_queue_commit(fork_q, 2), PIPC_OK);
  /* slot 0 is still the parent's peek: the ring is full up to this
     thread's own peek (pipc.h: EINVAL), nothing was freed under it */
  T_RC(pipc_queue_put(fork_q, "xx", 2, 0), PIPC_EINVAL);
  CU_ASSERT(len == 2 && memcmp(msg, "m1", 2) == 0);
  T_RC(pipc_queue_release(fork_q), PIPC_OK);
  T_RC(pipc_queue_get(fork_q, buf, sizeof buf, &len, 0), PIPC_OK); /* m2 went to the child */
  CU_ASSERT(len == 2 && memcmp(buf, "m3", 2) == 0);
  T_RC(pipc_queue_get(fork_q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  drop_queue(fork_q);
}

/* A claimant that is stopped (SIGSTOP) is alive: nobody repairs its slot,
   the consumers behind it wait; once it is killed, they go on. */
void test_queue_stopped_claimant_is_alive(void) {
  char name[80], rname[80], buf[8];
  pipc_queue *q;
  pipc_sem *ready = NULL;
  pipc_process *holder;
  const char *why = t_os_why_no_stop();
  size_t len;
  if (why) T_SKIP(why);
  q = make_queue(name, sizeof name, "stop", 4, 8);
  t_name(rname, sizeof rname, "stopready");
  T_RC(pipc_sem_create(rname, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(q && ready);
  holder = t_spawn("queue_hold", name, "put", rname, NULL);
  T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
  T_RC(pipc_queue_put(q, "a", 1, 0), PIPC_OK);
  CU_ASSERT_EQUAL(t_os_stop(holder, 1), 0);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 600), PIPC_ETIMEDOUT); /* not repaired */
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  CU_ASSERT_EQUAL(t_os_stop(holder, 0), 0);
  pipc_process_kill(holder);
  CU_ASSERT_EQUAL(t_join(holder, 30000), -9);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 5000), PIPC_OK);
  CU_ASSERT(len == 1 && buf[0] == 'a');
  fills_to_capacity(q, 4);
  pipc_sem_unlink(rname);
  pipc_sem_close(ready);
  drop_queue(q);
}

/* argv: queue_repair_die QUEUE - a get that finds a dead claimant and dies
   in the middle of repairing it (fault point RECLAIM). */
int role_queue_repair_die(int argc, char **argv) {
  pipc_queue *q = NULL;
  char buf[8];
  size_t len;
  if (argc < 2 || pipc_queue_open(argv[1], &q) != PIPC_OK) return 10;
  pipc__fault_arm(PIPC__FAULT_RECLAIM, 1);
  pipc_queue_get(q, buf, sizeof buf, &len, 5000);
  return 11; /* not reached: it dies repairing */
}

/* A repairer killed midway leaves the repair to the next: each step is one
   CAS that can be done again. */
void test_queue_repairer_killed_midway(void) {
  char name[80], rname[80], buf[8];
  pipc_queue *q = make_queue(name, sizeof name, "repair", 4, 8);
  pipc_sem *ready = NULL;
  pipc_process *p;
  size_t len;
  t_name(rname, sizeof rname, "repready");
  T_RC(pipc_sem_create(rname, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(q && ready);
  p = t_spawn("queue_hold", name, "put", rname, NULL);
  T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
  T_RC(pipc_queue_put(q, "a", 1, 0), PIPC_OK);
  pipc_process_kill(p);
  CU_ASSERT_EQUAL(t_join(p, 30000), -9);
  /* the first repairer dies at the repair; the second finishes it */
  CU_ASSERT_EQUAL(t_join(t_spawn("queue_repair_die", name, NULL), 30000), -9);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 5000), PIPC_OK);
  CU_ASSERT(len == 1 && buf[0] == 'a');
  fills_to_capacity(q, 4);
  pipc_sem_unlink(rname);
  pipc_sem_close(ready);
  drop_queue(q);
}

/* An uncontended put and get make no call into the kernel, on every
   backend - Windows and the file-lock mode included - once the thread has
   its token (its first call on the handle takes it). */
void test_queue_uncontended_makes_no_kernel_call(void) {
  char name[80], buf[64];
  pipc_queue *q = make_queue(name, sizeof name, "nokernel", 8, 64);
  void *slot;
  const void *msg;
  size_t len;
  uint32_t before;
  int i;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_put(q, "first", 5, 0), PIPC_OK); /* takes this thread's token */
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  before = pipc__kernel_calls;
  for (i = 0; i < 1000; i++) {
    T_RC(pipc_queue_put(q, buf, 64, PIPC_FOREVER), PIPC_OK);
    T_RC(pipc_queue_get(q, buf, sizeof buf, &len, PIPC_FOREVER), PIPC_OK);
    T_RC(pipc_queue_reserve(q, 64, &slot, 0), PIPC_OK);
    T_RC(pipc_queue_commit(q, 64), PIPC_OK);
    T_RC(pipc_queue_peek(q, &msg, &len, 0), PIPC_OK);
    T_RC(pipc_queue_release(q), PIPC_OK);
  }
  T_RC(pipc_queue_size(q, &len), PIPC_OK);
  CU_ASSERT_EQUAL(pipc__kernel_calls - before, 0);
  /* the count works: an empty get that waits makes some */
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 30), PIPC_ETIMEDOUT);
  CU_ASSERT(pipc__kernel_calls - before > 0);
  drop_queue(q);
}

/* Shutdown while a message is being written: a consumer behind it waits
   for it by its timeout (never spins, never returns early), and drains it
   once it is committed or given back - by its owner, or by the repair of a
   dead one. */
static void reserve_and_wait(void *arg) {
  struct reg_user *u = (struct reg_user *)arg;
  void *slot;
  u->rc = pipc_queue_reserve(u->q, 1, &slot, 0);
  pipc_sem_post(u->done);
  pipc_sem_wait(u->go, 60000);
  if (u->rc == PIPC_OK) u->rc = pipc_queue_cancel(u->q);
}

/* argv: queue_reserve_wait QUEUE READY - reserves, says so, sleeps. */
int role_queue_reserve_wait(int argc, char **argv) {
  pipc_queue *q = NULL;
  pipc_sem *ready = NULL;
  void *slot;
  if (argc < 3 || pipc_queue_open(argv[1], &q) || pipc_sem_open(argv[2], &ready)) return 10;
  if (pipc_queue_reserve(q, 1, &slot, 0) != PIPC_OK) return 11;
  pipc_sem_post(ready);
  pipc_sleep_ms(60000);
  return 12;
}

void test_queue_shutdown_with_a_claim_out(void) {
  char name[80], rname[80], buf[8];
  pipc_queue *q = make_queue(name, sizeof name, "shutclaim", 4, 8);
  struct reg_user u;
  pipc_sem *ready = NULL;
  pipc_process *p;
  t_thread *th;
  size_t len;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_sem_create(NULL, 0, 0, &u.done), PIPC_OK);
  T_RC(pipc_sem_create(NULL, 0, 0, &u.go), PIPC_OK);
  CU_ASSERT_FATAL(u.done && u.go);
  u.q = q;
  th = t_thread_start(reserve_and_wait, &u);
  CU_ASSERT_FATAL(th != NULL);
  T_RC(pipc_sem_wait(u.done, 30000), PIPC_OK);
  T_RC(u.rc, PIPC_OK);
  T_RC(pipc_queue_shutdown(q), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 300), PIPC_ETIMEDOUT); /* waits for it */
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  pipc_sem_post(u.go); /* the reservation is cancelled */
  t_thread_join(th);
  T_RC(u.rc, PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 5000), PIPC_ECLOSED); /* drained */
  pipc_sem_unlink(pipc_sem_name(u.done));
  pipc_sem_unlink(pipc_sem_name(u.go));
  pipc_sem_close(u.done);
  pipc_sem_close(u.go);
  drop_queue(q);
  /* the same with the writer killed: its claim is repaired, then drained */
  q = make_queue(name, sizeof name, "shutdead", 4, 8);
  t_name(rname, sizeof rname, "shutready");
  T_RC(pipc_sem_create(rname, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(q && ready);
  p = t_spawn("queue_reserve_wait", name, rname, NULL);
  T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
  pipc_process_kill(p);
  CU_ASSERT_EQUAL(t_join(p, 30000), -9);
  T_RC(pipc_queue_shutdown(q), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 5000), PIPC_ECLOSED);
  pipc_sem_unlink(rname);
  pipc_sem_close(ready);
  drop_queue(q);
}

/* pipc_queue_size while a producer and a consumer run flat out: a count
   between 0 and the capacity, never PIPC_ECORRUPT for a mere race. */
struct traffic {
  pipc_queue *q;
  volatile uint32_t stop; /* pipc__hint_load/store: a flag between threads */
};
static void traffic_put(void *arg) {
  struct traffic *t = (struct traffic *)arg;
  while (!pipc__hint_load(&t->stop)) pipc_queue_put(t->q, "t", 1, 10);
}
static void traffic_get(void *arg) {
  struct traffic *t = (struct traffic *)arg;
  char buf[8];
  size_t len;
  while (!pipc__hint_load(&t->stop)) pipc_queue_get(t->q, buf, sizeof buf, &len, 10);
}

void test_queue_size_is_never_corrupt_in_traffic(void) {
  char name[80];
  struct traffic t;
  t_thread *a, *b;
  size_t n;
  long i, bad = 0, big = 0;
  pipc_queue_stat_t st;
  t.q = make_queue(name, sizeof name, "sizerace", 4, 8);
  t.stop = 0;
  CU_ASSERT_FATAL(t.q != NULL);
  a = t_thread_start(traffic_put, &t);
  b = t_thread_start(traffic_get, &t);
  for (i = 0; i < 200000; i++) {
    if (pipc_queue_size(t.q, &n) != PIPC_OK) bad++;
    else if (n > 4) big++;
  }
  T_RC(pipc_queue_stat(t.q, &st), PIPC_OK);
  CU_ASSERT(!st.poisoned);
  pipc__hint_store(&t.stop, 1);
  t_thread_join(a);
  t_thread_join(b);
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(big, 0);
  drop_queue(t.q);
}

/* Damaged slot words: a claim in the name of nobody alive that nothing
   records is poison, not a hang; a tail hint far behind costs a step, a
   head hint far behind a lap. */
void test_queue_damaged_slot_words(void) {
  char name[80], buf[8];
  pipc_queue *q = make_queue(name, sizeof name, "dmgslot", 4, 8);
  pipc_shm *raw = NULL;
  unsigned char *r;
  uint64_t ring_off, v;
  size_t len;
  CU_ASSERT_FATAL(q != NULL);
  r = ring_view(name, &raw, &ring_off);
  CU_ASSERT_FATAL(r != NULL);
  v = 0 - (UINT64_C(1) << 40); /* tail 2^40 behind 0 */
  memcpy(r + Q_TAIL_OFF, &v, 8);
  v = 0 - (UINT64_C(1) << 40); /* head 2^40 behind 0 */
  memcpy(r + Q_HEAD_OFF, &v, 8);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  T_RC(pipc_queue_put(q, "a", 1, 0), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 1 && buf[0] == 'a');
  /* slot 1, free for position 1, made WRITING(1) by registry entry 9 */
  v = (UINT64_C(1) << 16) | (9u << 2) | 1u;
  memcpy(r + ring_off + 64, &v, 8); /* slots are 64 bytes here */
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_ECORRUPT);
  T_RC(pipc_queue_put(q, "b", 1, 0), PIPC_ECORRUPT); /* poisoned for all */
  pipc_shm_close(raw);
  drop_queue(q);
}

/* Slot words that each say "a later position": positions compare modulo
   2^48, so slot 0 ahead of slot 3 ahead of slot 2 ... can go round for
   ever.  A producer walking them must stop with PIPC_ECORRUPT, not spin
   (the queue fuzzer's hang). */
void test_queue_slot_words_in_a_circle(void) {
  char name[80], buf[8];
  pipc_queue *q = make_queue(name, sizeof name, "circle", 4, 8);
  pipc_shm *raw = NULL;
  unsigned char *r;
  uint64_t ring_off, v, pos[4];
  size_t len;
  int i;
  CU_ASSERT_FATAL(q != NULL);
  r = ring_view(name, &raw, &ring_off);
  CU_ASSERT_FATAL(r != NULL);
  /* Slot 0 FREE(0), slots 1..3 FULL, each a quarter of 2^48 past the
     last (slot i holds a position = i mod 4); the tail hint at 1. */
  for (i = 0; i < 4; i++) {
    pos[i] = (uint64_t)i * (UINT64_C(1) << 46) + (uint64_t)i;
    v = (pos[i] << 16) | (i == 0 ? 0u : 2u);
    memcpy(r + ring_off + 64 * (size_t)i, &v, 8); /* slots are 64 bytes here */
  }
  v = 1;
  memcpy(r + Q_TAIL_OFF, &v, 8);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN); /* nothing at 0 */
  T_RC(pipc_queue_put(q, "a", 1, 0), PIPC_ECORRUPT);              /* round and round */
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_ECORRUPT); /* poisoned for all */
  pipc_shm_close(raw);
  drop_queue(q);
}

/* Damaged sleeper counts: a wake-all wakes at most one sleeper per
   registry entry (each sleeper holds one), not 2^32 - a backend that posts
   once per sleeper (a semaphore) would take seconds. */
void test_queue_damaged_waiter_counts(void) {
  char name[80];
  pipc_queue *q = make_queue(name, sizeof name, "waitcnt", 4, 8);
  pipc_shm *raw = NULL;
  unsigned char *r;
  uint32_t v = 0xffffffffu, before;
  void *slot;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_shm_open(name, &raw), PIPC_OK);
  CU_ASSERT_FATAL(raw != NULL);
  r = (unsigned char *)pipc_shm_addr(raw);
  T_RC(pipc_queue_reserve(q, 1, &slot, 0), PIPC_OK);
  memcpy(r + Q_WAITERS_OFF, &v, 4);
  memcpy(r + Q_WAITERS_OFF + 4, &v, 4);
  before = pipc__kernel_calls;
  T_RC(pipc_queue_cancel(q), PIPC_OK); /* wakes every sleeper of both sides */
  if (!pipc__test_park_polls()) CU_ASSERT(pipc__kernel_calls - before > 0); /* polled: none */
  CU_ASSERT(pipc__kernel_calls - before <= 2 * (64 + 1));
  pipc_shm_close(raw);
  drop_queue(q);
}

/* argv: queue_os_damage HEXBYTE -> for each byte of a new queue's words
   that belong to its OS objects (the parking places, and the first two
   registry entries' mutexes: what the first thread to use a queue
   touches), one queue with that byte set to HEXBYTE, then a put and a get
   (10 s timeouts) on it, empty and not full: each must come back with the
   message or an error code - never a timeout (a hang), never a message
   that was not put.  Exit 0, or 20+ with the offset printed. */
int role_queue_os_damage(int argc, char **argv) {
  uint64_t reg_off = 0, claims_off = 0, end = 0, off;
  unsigned v;
  if (argc < 2) return 10;
  v = (unsigned)strtoul(argv[1], NULL, 16);
  for (off = Q_OS_OFF;; off++) {
    pipc_queue *q = NULL;
    pipc_shm *raw = NULL;
    unsigned char *r;
    char buf[8];
    size_t len = 0;
    int rc, bad = 0;
    if (pipc_queue_create(NULL, 4, 8, &q) != PIPC_OK) return 11;
    if (pipc_shm_open(pipc_queue_name(q), &raw) != PIPC_OK) return 12;
    r = (unsigned char *)pipc_shm_addr(raw);
    if (end == 0) {
      memcpy(&reg_off, r + Q_CAPACITY_OFF + 32, 8);
      memcpy(&claims_off, r + Q_CAPACITY_OFF + 48, 8);
      if (reg_off < Q_OS_OFF || claims_off <= reg_off) return 13;
      end = reg_off + 2 * ((claims_off - reg_off) / 64); /* two entries */
    }
    if (off >= end) {
      pipc_queue_unlink(pipc_queue_name(q));
      pipc_queue_close(q);
      pipc_shm_close(raw);
      return 0;
    }
    r[off] = (unsigned char)v;
    rc = pipc_queue_put(q, "a", 1, 10000);
    if (rc == PIPC_ETIMEDOUT) bad = 20;
    if (rc == PIPC_OK) {
      rc = pipc_queue_get(q, buf, sizeof buf, &len, 10000);
      if (rc == PIPC_ETIMEDOUT) bad = 21;
      else if (rc == PIPC_OK && (len != 1 || buf[0] != 'a')) bad = 22;
    }
    if (!bad && pipc_queue_get(q, buf, sizeof buf, &len, 0) == PIPC_OK) bad = 23;
    if (bad) {
      fprintf(stderr, "queue_os_damage: byte %lu = 0x%02x: failure %d (rc %d)\n",
              (unsigned long)off, v, bad, rc);
      return bad;
    }
    pipc_queue_unlink(pipc_queue_name(q));
    pipc_queue_close(q);
    pipc_shm_close(raw);
  }
}

/* Damage in the words of a queue's OS objects (#13: one byte there left
   puts and gets waiting for ever on the locked Queue): each byte in turn,
   three values, each case in a helper process (glibc's own words may make
   it crash: that is reported, not hidden). */
void test_queue_damaged_os_words_never_hang(void) {
  static const char *values[] = {"ff", "00", "5a"};
  int i;
  for (i = 0; i < 3; i++)
    CU_ASSERT_EQUAL(t_join(t_spawn("queue_os_damage", values[i], NULL), 300000), 0);
}

/* A thread that reserves through one handle and gets through another
   would wait for itself: PIPC_EINVAL, at once, not a hang. */
void test_queue_own_claim_through_another_handle(void) {
  char name[80], buf[8];
  pipc_queue *q = make_queue(name, sizeof name, "ownclaim", 4, 8), *o = NULL;
  void *slot;
  size_t len;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_open(name, &o), PIPC_OK);
  CU_ASSERT_FATAL(o != NULL);
  T_RC(pipc_queue_reserve(q, 1, &slot, 0), PIPC_OK);
  T_RC(pipc_queue_get(o, buf, sizeof buf, &len, PIPC_FOREVER), PIPC_EINVAL);
  T_RC(pipc_queue_get(o, buf, sizeof buf, &len, 0), PIPC_EINVAL);
  T_RC(pipc_queue_commit(q, 1), PIPC_OK);
  T_RC(pipc_queue_get(o, buf, sizeof buf, &len, 0), PIPC_OK);
  pipc_queue_close(o);
  drop_queue(q);
}

/* Cancelled reservations free their slots a lap ahead; a message between
   them is still found (a consumer never skips more than it has seen). */
void test_queue_cancels_never_hide_a_message(void) {
  char name[80], buf[8];
  pipc_queue *q = make_queue(name, sizeof name, "cancels", 2, 8);
  void *slot;
  size_t len;
  int i;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_reserve(q, 1, &slot, 0), PIPC_OK); /* position 0 */
  T_RC(pipc_queue_cancel(q), PIPC_OK);
  T_RC(pipc_queue_put(q, "m", 1, 0), PIPC_OK);         /* position 1 */
  T_RC(pipc_queue_reserve(q, 1, &slot, 0), PIPC_OK); /* position 2, slot 0 */
  T_RC(pipc_queue_cancel(q), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 1 && buf[0] == 'm');
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  for (i = 0; i < 2; i++) T_RC(pipc_queue_put(q, "f", 1, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "f", 1, 0), PIPC_EAGAIN);
  drop_queue(q);
}

/* ---- durable peeks, tagged puts, the incarnation (layout v5) ---- */

void test_queue_durable_bad_arguments(void) {
  char name[80], buf[8];
  pipc_queue *q = make_queue(name, sizeof name, "durargs", 4, 8);
  const void *msg = (const void *)1;
  size_t len = 0, n;
  uint64_t pos = 7, v;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_put(q, "a", 1, 0), PIPC_OK);
  T_RC(pipc_queue_peek_ex(q, 4, &msg, &len, 0), PIPC_EINVAL); /* unknown flag */
  CU_ASSERT_PTR_NULL(msg);
  T_RC(pipc_queue_peek_ex(q, PIPC_PEEK_DURABLE | 0x80u, &msg, &len, 0), PIPC_EINVAL);
  T_RC(pipc_queue_peek_ex(NULL, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_EINVAL);
  T_RC(pipc_queue_peek_ex(q, PIPC_PEEK_DURABLE, NULL, &len, 0), PIPC_EINVAL);
  T_RC(pipc_queue_peek_ex(q, PIPC_PEEK_DURABLE, &msg, NULL, 0), PIPC_EINVAL);
  T_RC(pipc_queue_peek_ex(q, PIPC_PEEK_DURABLE, &msg, &len, -2), PIPC_EINVAL);
  T_RC(pipc__queue_peek_pos(q, &pos), PIPC_EINVAL); /* no peek held */
  T_RC(pipc_queue_peek_ex(q, PIPC_PEEK_ORPHAN | 4u, &msg, &len, 0), PIPC_EINVAL);
  /* orphans only: none, so PIPC_EAGAIN at once - and "a" is not taken */
  T_RC(pipc_queue_peek_ex(q, PIPC_PEEK_ORPHAN, &msg, &len, 1000), PIPC_EAGAIN);
  T_RC(pipc_queue_peek_ex(q, PIPC_PEEK_ORPHAN | PIPC_PEEK_DURABLE, &msg, &len, 0),
       PIPC_EAGAIN);
  T_RC(pipc__queue_peek_pos(q, &pos), PIPC_EINVAL);
  /* flags 0 is pipc_queue_peek */
  T_RC(pipc_queue_peek_ex(q, 0, &msg, &len, 0), PIPC_OK);
  CU_ASSERT(msg != NULL && len == 1 && memcmp(msg, "a", 1) == 0);
  T_RC(pipc__queue_peek_pos(q, &pos), PIPC_OK);
  CU_ASSERT_EQUAL(pos, 0);
  T_RC(pipc__queue_peek_pos(q, NULL), PIPC_EINVAL);
  T_RC(pipc_queue_peek_ex(q, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_EINVAL); /* one at a time */
  T_RC(pipc_queue_release(q), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  /* tag 0 means "untagged": refused by every tag call */
  T_RC(pipc__queue_put_tagged(q, "x", 1, 0, 0), PIPC_EINVAL);
  T_RC(pipc__queue_put_tagged(NULL, "x", 1, 5, 0), PIPC_EINVAL);
  T_RC(pipc__queue_put_tagged(q, NULL, 1, 5, 0), PIPC_EINVAL);
  T_RC(pipc__queue_tag_outcome(q, 0), PIPC_EINVAL);
  T_RC(pipc__queue_tag_outcome(NULL, 5), PIPC_EINVAL);
  T_RC(pipc__queue_tag_clear(q, 0), PIPC_EINVAL);
  T_RC(pipc__queue_tag_clear(NULL, 5), PIPC_EINVAL);
  T_RC(pipc__queue_tag_clear(q, 5), PIPC_ENOENT);
  T_RC(pipc_queue_orphans(NULL, &n), PIPC_EINVAL);
  T_RC(pipc_queue_orphans(q, NULL), PIPC_EINVAL);
  T_RC(pipc__queue_incarnation(NULL, &v), PIPC_EINVAL);
  T_RC(pipc__queue_incarnation(q, NULL), PIPC_EINVAL);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN); /* nothing was put */
  drop_queue(q);
}

/* A thread that ends holding a durable peek leaves its message in the
   queue, held: plain consumers pass it, the next durable peek adopts it
   (PIPC_EOWNERDEAD, same bytes, its original position), and its release
   frees the slot.  Round after round, every message is taken exactly
   once, in order. */
struct durable_thread {
  pipc_queue *q;
  unsigned flags;
  int rc;
  uint32_t seq;
  uint64_t pos;
};
static void durable_peek_and_end(void *arg) {
  struct durable_thread *d = (struct durable_thread *)arg;
  const void *msg;
  size_t len;
  struct msg m;
  d->rc = pipc_queue_peek_ex(d->q, d->flags, &msg, &len, 1000);
  if ((d->rc == PIPC_OK || d->rc == PIPC_EOWNERDEAD) && len <= sizeof m) {
    memcpy(&m, msg, len);
    d->seq = msg_bad(&m, len) ? 0xffffffffu : m.seq;
    pipc__queue_peek_pos(d->q, &d->pos);
  }
} /* ends holding it */

struct three {
  pipc_queue *q;
  pipc_sem *go, *done;
  int rc;
  uint32_t seq;
};
static void register_then_peek(void *arg) {
  struct three *t = (struct three *)arg;
  char buf[8];
  size_t len;
  const void *msg;
  struct msg m;
  pipc_queue_get(t->q, buf, sizeof buf, &len, 0); /* takes an entry: empty */
  pipc_sem_post(t->done);
  pipc_sem_wait(t->go, 30000);
  t->rc = pipc_queue_peek_ex(t->q, PIPC_PEEK_DURABLE, &msg, &len, 0);
  if (t->rc == PIPC_OK && len <= sizeof m) {
    memcpy(&m, msg, len);
    t->seq = m.seq;
  }
  pipc_sem_post(t->done);
  pipc_sem_wait(t->go, 30000);
} /* ends holding it */

void test_queue_durable_peek_thread_ends(void) {
  char name[80];
  pipc_queue *q = make_queue(name, sizeof name, "durthr", 4, sizeof(struct msg));
  struct durable_thread d;
  struct msg m;
  const void *msg;
  uint64_t pos;
  uint32_t seq = 0, expect = 0, round, bad = 0;
  size_t len, n;
  CU_ASSERT_FATAL(q != NULL);
  for (round = 0; round < 20; round++) {
    while (pipc_queue_put(q, &m, msg_fill(&m, 0, seq), 0) == PIPC_OK) seq++;
    d.q = q;
    d.flags = PIPC_PEEK_DURABLE;
    d.rc = -1;
    t_thread_join(t_thread_start(durable_peek_and_end, &d));
    T_RC(d.rc, PIPC_OK);
    CU_ASSERT_EQUAL(d.seq, expect);
    CU_ASSERT_EQUAL(d.pos, expect); /* positions count from 0 here */
    if (round % 4 == 2) { /* another thread adopts it, and ends holding it too */
      d.rc = -1;
      d.seq = d.pos = 99;
      t_thread_join(t_thread_start(durable_peek_and_end, &d));
      T_RC(d.rc, PIPC_EOWNERDEAD);
      CU_ASSERT_EQUAL(d.seq, expect);
      CU_ASSERT_EQUAL(d.pos, expect);
    }
    T_RC(pipc_queue_orphans(q, &n), PIPC_OK);
    CU_ASSERT_EQUAL(n, 1);
    T_RC(pipc_queue_size(q, &n), PIPC_OK);
    CU_ASSERT_EQUAL(n, 4); /* the orphan is still in the queue */
    /* full: producers wait behind the orphan's slot (timeout 0: EAGAIN) */
    T_RC(pipc_queue_put(q, &m, msg_fill(&m, 0, seq), 0), PIPC_EAGAIN);
    if (round % 2 == 1) { /* a plain get passes the orphan: takes the next */
      T_RC(pipc_queue_get(q, &m, sizeof m, &len, 0), PIPC_OK);
      bad += msg_bad(&m, len) || m.seq != expect + 1;
    }
    /* this thread adopts it, reads it in place, and takes it */
    T_RC(pipc_queue_peek_ex(q, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_EOWNERDEAD);
    CU_ASSERT_FATAL(msg != NULL);
    memcpy(&m, msg, len);
    bad += msg_bad(&m, len) || m.seq != expect;
    T_RC(pipc__queue_peek_pos(q, &pos), PIPC_OK);
    CU_ASSERT_EQUAL(pos, expect);
    T_RC(pipc_queue_orphans(q, &n), PIPC_OK);
    CU_ASSERT_EQUAL(n, 0);
    T_RC(pipc_queue_release(q), PIPC_OK);
    expect += round % 2 == 1 ? 2 : 1;
  }
  CU_ASSERT_EQUAL(bad, 0);
  /* the rest, in order; nothing left over, nothing held */
  while (pipc_queue_get(q, &m, sizeof m, &len, 0) == PIPC_OK) {
    bad += msg_bad(&m, len) || m.seq != expect;
    expect++;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(expect, seq);
  T_RC(pipc_queue_orphans(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  /* three orphans: adopted oldest first, whichever entry each is on -
     threads 0, 1, 2 take entries in that order, and peek in the other */
  {
    struct three t[3];
    t_thread *th[3];
    pipc_sem *done = NULL;
    T_RC(pipc_sem_create(NULL, 0, 0, &done), PIPC_OK);
    CU_ASSERT_FATAL(done != NULL);
    for (round = 0; round < 3; round++) {
      t[round].q = q;
      t[round].done = done;
      t[round].rc = -1;
      T_RC(pipc_sem_create(NULL, 0, 0, &t[round].go), PIPC_OK);
      th[round] = t_thread_start(register_then_peek, &t[round]);
      T_RC(pipc_sem_wait(done, 30000), PIPC_OK); /* registered */
    }
    for (round = 0; round < 3; round++)
      T_RC(pipc_queue_put(q, &m, msg_fill(&m, 0, seq + round), 0), PIPC_OK);
    for (round = 0; round < 3; round++) {
      pipc_sem_post(t[2 - round].go);
      T_RC(pipc_sem_wait(done, 30000), PIPC_OK); /* peeked */
      T_RC(t[2 - round].rc, PIPC_OK);
      CU_ASSERT_EQUAL(t[2 - round].seq, seq + round);
    }
    for (round = 0; round < 3; round++) {
      pipc_sem_post(t[round].go);
      t_thread_join(th[round]); /* ends holding its peek */
      pipc_sem_unlink(pipc_sem_name(t[round].go));
      pipc_sem_close(t[round].go);
    }
    pipc_sem_unlink(pipc_sem_name(done));
    pipc_sem_close(done);
  }
  T_RC(pipc_queue_orphans(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 3);
  for (round = 0; round < 3; round++) {
    T_RC(pipc_queue_peek_ex(q, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_EOWNERDEAD);
    if (msg) memcpy(&m, msg, len);
    CU_ASSERT(msg != NULL && !msg_bad(&m, len) && m.seq == seq + round);
    T_RC(pipc__queue_peek_pos(q, &pos), PIPC_OK);
    CU_ASSERT_EQUAL(pos, seq + round);
    T_RC(pipc_queue_release(q), PIPC_OK);
  }
  seq += 3;
  T_RC(pipc_queue_orphans(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  /* a plain peek of a thread that ends: the message goes with it (the
     contract of pipc_queue_peek, unchanged) */
  T_RC(pipc_queue_put(q, &m, msg_fill(&m, 0, seq), 0), PIPC_OK);
  d.flags = 0;
  t_thread_join(t_thread_start(durable_peek_and_end, &d));
  T_RC(d.rc, PIPC_OK);
  T_RC(pipc_queue_orphans(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  T_RC(pipc_queue_peek_ex(q, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_EAGAIN);
  fills_to_capacity(q, 4);
  drop_queue(q);
}

/* A thread that ended holding a durable peek, or after a tagged put, has
   its registry entry pinned: with 62 other threads on the queue besides
   this one, a 64th finds none (PIPC_EAGAIN); once the orphan is adopted
   (the tag cleared) the entry serves again. */
static void put_tagged_and_end(void *arg) {
  struct durable_thread *d = (struct durable_thread *)arg;
  d->rc = pipc__queue_put_tagged(d->q, "t", 1, 0x7a6, 0);
}
static void put_once(void *arg) {
  struct reg_user *u = (struct reg_user *)arg;
  u->rc = pipc_queue_put(u->q, "r", 1, 0);
}

static void pinned_entry(int tagged) {
  char name[80], buf[8];
  pipc_queue *q = make_queue(name, sizeof name, "pin", 128, 8);
  struct reg_user u[REG_THREADS], late;
  struct durable_thread d;
  t_thread *th[REG_THREADS];
  pipc_sem *done = NULL, *go = NULL;
  const void *msg;
  size_t len;
  int i, ok = 0;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_sem_create(NULL, 0, 0, &done), PIPC_OK);
  T_RC(pipc_sem_create(NULL, 0, 0, &go), PIPC_OK);
  CU_ASSERT_FATAL(done && go);
  T_RC(pipc_queue_put(q, "m", 1, 0), PIPC_OK); /* this thread: one entry */
  d.q = q;
  d.flags = PIPC_PEEK_DURABLE;
  t_thread_join(t_thread_start(tagged ? put_tagged_and_end : durable_peek_and_end, &d));
  T_RC(d.rc, PIPC_OK); /* its entry: pinned now */
  for (i = 0; i < REG_THREADS - 2; i++) {
    u[i].q = q;
    u[i].done = done;
    u[i].go = go;
    th[i] = t_thread_start(use_and_stay, &u[i]);
    CU_ASSERT_FATAL(th[i] != NULL);
    T_RC(pipc_sem_wait(done, 30000), PIPC_OK);
    ok += u[i].rc == PIPC_OK;
  }
  CU_ASSERT_EQUAL(ok, REG_THREADS - 2);
  late.q = q;
  late.rc = 1;
  t_thread_join(t_thread_start(put_once, &late));
  T_RC(late.rc, PIPC_EAGAIN); /* 62 live, this one, and the pinned one */
  if (tagged) {
    T_RC(pipc__queue_tag_outcome(q, 0x7a6), 1); /* still answerable */
    T_RC(pipc__queue_tag_clear(q, 0x7a6), PIPC_OK);
    T_RC(pipc__queue_tag_outcome(q, 0x7a6), 0); /* evidence gone */
  } else {
    T_RC(pipc_queue_peek_ex(q, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_EOWNERDEAD);
    CU_ASSERT(len == 1 && msg && memcmp(msg, "m", 1) == 0);
    T_RC(pipc_queue_release(q), PIPC_OK);
  }
  t_thread_join(t_thread_start(put_once, &late));
  T_RC(late.rc, PIPC_OK); /* the entry serves again */
  for (i = 0; i < REG_THREADS - 2; i++) pipc_sem_post(go);
  for (i = 0; i < REG_THREADS - 2; i++) t_thread_join(th[i]);
  while (pipc_queue_get(q, buf, sizeof buf, &len, 0) == PIPC_OK) ok++;
  CU_ASSERT_EQUAL(ok, 2 * (REG_THREADS - 2) + 1 + (tagged ? 2 : 0));
  pipc_sem_unlink(pipc_sem_name(done));
  pipc_sem_unlink(pipc_sem_name(go));
  pipc_sem_close(done);
  pipc_sem_close(go);
  drop_queue(q);
}
void test_queue_durable_orphan_pins_its_entry(void) { pinned_entry(0); }

/* pipc__queue_abandon (a server's at-least-once delivery its client never
   acknowledged): the durable peek becomes an orphan at once, while the
   thread lives - plain consumers pass it, the next durable peek (this
   thread's too, through the same handle) adopts it with the same bytes;
   without a durable peek it is PIPC_EINVAL and a plain peek stays held. */
void test_queue_abandon_gives_back(void) {
  char name[64], buf[16];
  pipc_queue *q = NULL, *o = NULL;
  const void *msg;
  size_t len = 0, n = 9;
  t_name(name, sizeof name, "qab");
  T_RC(pipc_queue_create(name, 8, 16, &q), PIPC_OK);
  T_RC(pipc_queue_open(name, &o), PIPC_OK);
  CU_ASSERT_FATAL(q != NULL && o != NULL);
  T_RC(pipc__queue_abandon(NULL), PIPC_EINVAL);
  T_RC(pipc__queue_abandon(q), PIPC_EINVAL); /* holds nothing */
  T_RC(pipc_queue_put(q, "one", 3, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "two", 3, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "three", 5, 0), PIPC_OK);
  /* a plain peek cannot be given back: it stays held */
  T_RC(pipc_queue_peek(q, &msg, &len, 0), PIPC_OK);
  T_RC(pipc__queue_abandon(q), PIPC_EINVAL);
  T_RC(pipc_queue_release(q), PIPC_OK); /* "one" taken */
  T_RC(pipc_queue_peek_ex(q, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_OK);
  CU_ASSERT(len == 3 && memcmp(msg, "two", 3) == 0);
  T_RC(pipc__queue_abandon(q), PIPC_OK);
  T_RC(pipc__queue_abandon(q), PIPC_EINVAL); /* once */
  T_RC(pipc_queue_release(q), PIPC_EINVAL);  /* nothing held any more */
  T_RC(pipc_queue_orphans(o, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 1);
  T_RC(pipc_queue_size(o, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 2); /* the orphan counts */
  /* a plain get passes it; the same thread and handle adopt it */
  T_RC(pipc_queue_get(o, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 5 && memcmp(buf, "three", 5) == 0);
  T_RC(pipc_queue_get(o, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  T_RC(pipc_queue_peek_ex(q, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_EOWNERDEAD);
  CU_ASSERT(len == 3 && memcmp(msg, "two", 3) == 0);
  T_RC(pipc_queue_release(q), PIPC_OK);
  T_RC(pipc_queue_orphans(o, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  T_RC(pipc_queue_size(o, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  /* abandoned 70 times over (more than the 64 entries): each adopted
     before the next, so no entry stays pinned */
  for (n = 0; n < 70; n++) {
    T_RC(pipc_queue_put(q, "x", 1, 0), PIPC_OK);
    T_RC(pipc_queue_peek_ex(q, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_OK);
    T_RC(pipc__queue_abandon(q), PIPC_OK);
    T_RC(pipc_queue_peek_ex(o, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_EOWNERDEAD);
    T_RC(pipc_queue_release(o), PIPC_OK);
  }
  T_RC(pipc_queue_put(q, "y", 1, 0), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  pipc_queue_close(o);
  pipc_queue_close(q);
  pipc_queue_unlink(name);
}
void test_queue_tag_pins_its_entry(void) { pinned_entry(1); }

/* Tagged puts, no deaths: stored is 1 for good - after the message is
   taken and its slot reused laps later; a put refused before its claim
   (full, shut down) is 0; clearing drops the evidence. */
void test_queue_tag_outcome_without_deaths(void) {
  char name[80], buf[8];
  pipc_queue *q = make_queue(name, sizeof name, "tags", 2, 8);
  size_t len;
  int i;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc__queue_tag_outcome(q, 11), 0); /* nobody put it */
  T_RC(pipc__queue_put_tagged(q, "a", 1, 11, 0), PIPC_OK);
  T_RC(pipc__queue_tag_outcome(q, 11), 1);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 1 && buf[0] == 'a');
  T_RC(pipc__queue_tag_outcome(q, 11), 1); /* consumed: still stored */
  for (i = 0; i < 9; i++) { /* its slot reused, laps on */
    T_RC(pipc_queue_put(q, "b", 1, 0), PIPC_OK);
    T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  }
  T_RC(pipc__queue_tag_outcome(q, 11), 1);
  /* a second tagged put replaces this thread's tag */
  T_RC(pipc__queue_put_tagged(q, "c", 1, 12, 0), PIPC_OK);
  T_RC(pipc__queue_tag_outcome(q, 11), 0);
  T_RC(pipc__queue_tag_outcome(q, 12), 1);
  T_RC(pipc_queue_put(q, "d", 1, 0), PIPC_OK); /* an untagged put leaves it */
  T_RC(pipc__queue_tag_outcome(q, 12), 1);
  /* full: refused before any claim */
  T_RC(pipc__queue_put_tagged(q, "e", 1, 13, 0), PIPC_EAGAIN);
  T_RC(pipc__queue_tag_outcome(q, 13), 0);
  T_RC(pipc__queue_tag_outcome(q, 12), 0); /* replaced */
  T_RC(pipc__queue_tag_clear(q, 13), PIPC_OK);
  T_RC(pipc__queue_tag_clear(q, 13), PIPC_ENOENT);
  T_RC(pipc__queue_tag_outcome(q, 13), 0);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 1 && buf[0] == 'c');
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 1 && buf[0] == 'd');
  T_RC(pipc_queue_shutdown(q), PIPC_OK);
  T_RC(pipc__queue_put_tagged(q, "f", 1, 14, 0), PIPC_ECLOSED);
  T_RC(pipc__queue_tag_outcome(q, 14), 0);
  drop_queue(q);
}

/* The incarnation: the same through every handle, another after the name
   is unlinked and made again. */
void test_queue_incarnation_differs_across_create(void) {
  char name[80];
  pipc_queue *q = make_queue(name, sizeof name, "incarn", 4, 8), *o = NULL;
  uint64_t a = 0, b = 0, c = 0;
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc__queue_incarnation(q, &a), PIPC_OK);
  T_RC(pipc_queue_open(name, &o), PIPC_OK);
  CU_ASSERT_FATAL(o != NULL);
  T_RC(pipc__queue_incarnation(o, &b), PIPC_OK);
  CU_ASSERT(a != 0 && a == b);
  pipc_queue_close(o);
  T_RC(pipc_queue_unlink(name), PIPC_OK);
  pipc_queue_close(q);
  T_RC(pipc_queue_create(name, 4, 8, &q), PIPC_OK);
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc__queue_incarnation(q, &c), PIPC_OK);
  CU_ASSERT(c != 0 && c != a);
  drop_queue(q);
}

/* The claim line of registry entry e, word k, in a raw view (the layout
   at the top of src/queue.c: configuration word 6 is claims_off). */
static unsigned char *claim_word(unsigned char *r, unsigned e, unsigned k) {
  uint64_t claims_off;
  memcpy(&claims_off, r + Q_CAPACITY_OFF + 48, 8);
  return r + claims_off + 64 * (size_t)e + 8 * (size_t)k;
}

/* Damage in the new words: each is read once and checked; a bad value
   poisons the queue (PIPC_ECORRUPT everywhere), never a crash or a hang. */
void test_queue_damaged_durable_and_tag_words(void) {
  char name[80], buf[8];
  pipc_queue *q;
  pipc_shm *raw = NULL;
  unsigned char *r;
  const void *msg;
  uint64_t v;
  size_t len, n;
  /* the incarnation 0 */
  q = make_queue(name, sizeof name, "dmginc", 4, 8);
  CU_ASSERT_FATAL(q != NULL);
  r = raw_view(name, &raw);
  CU_ASSERT_FATAL(r != NULL);
  v = 0;
  memcpy(r + Q_CAPACITY_OFF + 64, &v, 8); /* configuration word 8 */
  T_RC(pipc__queue_incarnation(q, &v), PIPC_ECORRUPT);
  T_RC(pipc_queue_put(q, "a", 1, 0), PIPC_ECORRUPT); /* poisoned for all */
  pipc_shm_close(raw);
  drop_queue(q);

  /* a durable record whose slot holds another position is no orphan, and
     no damage either (old records are left behind, and a slot's position
     is kept modulo 2^48): entry 5 says it durably holds position 8 of a
     queue of 4 whose slot 0 is free for position 4 */
  q = make_queue(name, sizeof name, "dmgdur", 4, 8);
  CU_ASSERT_FATAL(q != NULL);
  r = raw_view(name, &raw);
  CU_ASSERT_FATAL(r != NULL);
  T_RC(pipc_queue_put(q, "a", 1, 0), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK); /* slot 0: FREE(4) */
  T_RC(pipc_queue_put(q, "b", 1, 0), PIPC_OK);
  v = 9;
  memcpy(claim_word(r, 5, 1), &v, 8);
  memcpy(claim_word(r, 5, 2), &v, 8);
  T_RC(pipc_queue_orphans(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  T_RC(pipc_queue_peek_ex(q, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_OK); /* the head */
  CU_ASSERT(len == 1 && msg && memcmp(msg, "b", 1) == 0);
  T_RC(pipc_queue_release(q), PIPC_OK);
  pipc_shm_close(raw);
  drop_queue(q);

  /* an orphan whose length was damaged: its adopter refuses it, and the
     queue is poisoned for all */
  q = make_queue(name, sizeof name, "dmgorph", 4, 8);
  CU_ASSERT_FATAL(q != NULL);
  r = raw_view(name, &raw);
  CU_ASSERT_FATAL(r != NULL);
  T_RC(pipc_queue_put(q, "a", 1, 0), PIPC_OK);
  {
    struct durable_thread d;
    uint64_t ring_off;
    uint32_t huge = 0xfffffff0u;
    d.q = q;
    d.flags = PIPC_PEEK_DURABLE;
    t_thread_join(t_thread_start(durable_peek_and_end, &d));
    T_RC(d.rc, PIPC_OK);
    memcpy(&ring_off, r + Q_CAPACITY_OFF + 24, 8);
    CU_ASSERT_FATAL(ring_off < pipc_shm_size(raw));
    memcpy(r + ring_off + 8, &huge, 4); /* the first slot's length */
  }
  T_RC(pipc_queue_orphans(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 1);
  T_RC(pipc_queue_peek_ex(q, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_ECORRUPT);
  T_RC(pipc_queue_put(q, "x", 1, 0), PIPC_ECORRUPT);
  T_RC(pipc_queue_orphans(q, &n), PIPC_ECORRUPT);
  pipc_shm_close(raw);
  drop_queue(q);

  /* a tag whose claimed position is ahead of its slot, then one whose slot
     is still free for it (claimed, yet never taken) */
  q = make_queue(name, sizeof name, "dmgtag", 4, 8);
  CU_ASSERT_FATAL(q != NULL);
  r = raw_view(name, &raw);
  CU_ASSERT_FATAL(r != NULL);
  v = 0x1234;
  memcpy(claim_word(r, 7, 3), &v, 8);
  v = 4 * 1000 + 2; /* position 4001: slot 1, which holds position 1 */
  memcpy(claim_word(r, 7, 4), &v, 8);
  T_RC(pipc__queue_tag_outcome(q, 0x1234), PIPC_ECORRUPT);
  T_RC(pipc_queue_put(q, "a", 1, 0), PIPC_ECORRUPT);
  pipc_shm_close(raw);
  drop_queue(q);
  q = make_queue(name, sizeof name, "dmgtag2", 4, 8);
  CU_ASSERT_FATAL(q != NULL);
  r = raw_view(name, &raw);
  CU_ASSERT_FATAL(r != NULL);
  v = 0x1234;
  memcpy(claim_word(r, 7, 3), &v, 8);
  v = 2; /* position 1: FREE(1) */
  memcpy(claim_word(r, 7, 4), &v, 8);
  T_RC(pipc__queue_tag_outcome(q, 0x1234), PIPC_ECORRUPT);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_ECORRUPT);
  pipc_shm_close(raw);
  drop_queue(q);
}
