/* test_torture.c - the whole runtime under random kills.
 *
 * Each round starts WORKERS processes on one queue, one lock and one
 * semaphore.  Every worker mixes, at random: put (timeouts 0, short,
 * forever-bounded) and reserve/commit; get and peek/release; lock
 * acquire / two counter writes / release; semaphore wait / post.  After
 * 50-500 ms one worker, chosen at random, is killed (SIGKILL /
 * TerminateProcess) - or, every other round, it has been armed to die by
 * itself at a random fault point inside put / get / reserve / peek (the
 * instants a crash is hardest to survive: lock held, bytes half written,
 * index published but lock not released ...); the others are told to stop and must exit cleanly in
 * bounded time.  Then the checker drains the queue and verifies:
 *   - no message damaged or partial, none delivered twice;
 *   - every committed message delivered, except at most the one the killed
 *     worker was taking (and the one it may have committed unrecorded);
 *   - the queue is empty and, every tenth round, its whole capacity usable;
 *   - the lock's two counters agree (after repair, if its holder died);
 *   - the semaphore never exceeds its max.
 * The queue, lock and semaphore live through all rounds, so damage would
 * accumulate.  Rounds: 200 natively, 100 under the sanitizers, 20 under
 * Wine (process starts cost tens of ms there); PIPC_TORTURE_ROUNDS=N for a
 * long run, e.g.
 *   PIPC_TORTURE_ROUNDS=1000 build/linux/tests/pipc-tests --suite torture
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pipc_testing.h" /* fault points: this binary has them */

#include "os.h"

#ifdef T_TORTURE_ROUNDS /* the sanitizers (tests/CMakeLists.txt) */
#define TORTURE_ROUNDS T_TORTURE_ROUNDS
#elif defined(_WIN32) /* process starts cost tens of ms under Wine */
#define TORTURE_ROUNDS 20
#else
#define TORTURE_ROUNDS 200
#endif

#define WORKERS 4
#define MAX_SEQ 400000u /* messages one worker puts in a round, at most */
#define CAPACITY 16
#define SEM_MAX 2

struct tmsg {
  uint32_t from, seq, n, check; /* n payload bytes follow */
  unsigned char payload[40];
};

struct tstate {
  volatile uint32_t stop;
  volatile uint32_t lock_a, lock_b;
  volatile uint32_t bad; /* damaged messages a worker saw */
  volatile uint32_t committed[WORKERS]; /* puts that returned PIPC_OK */
  unsigned char taken[WORKERS][MAX_SEQ]; /* times each message was taken */
};

static uint32_t tm_check(const struct tmsg *m) {
  uint32_t h = 2166136261u, i;
  h = (h ^ m->from) * 16777619u;
  h = (h ^ m->seq) * 16777619u;
  h = (h ^ m->n) * 16777619u;
  for (i = 0; i < m->n && i < sizeof m->payload; i++) h = (h ^ m->payload[i]) * 16777619u;
  return h;
}

static size_t tm_fill(struct tmsg *m, uint32_t from, uint32_t seq) {
  uint32_t r = from * 7919u + seq * 31u + 1, i;
  m->from = from;
  m->seq = seq;
  m->n = t_rand(&r) % (sizeof m->payload + 1);
  for (i = 0; i < m->n; i++) m->payload[i] = (unsigned char)t_rand(&r);
  m->check = tm_check(m);
  return 16 + m->n;
}

/* Record a message taken: 0, or 1 if it is damaged. */
static int tm_take(struct tstate *st, const void *buf, size_t len) {
  struct tmsg m;
  if (len < 16 || len > sizeof m) return 1;
  memcpy(&m, buf, len);
  if (m.n != len - 16 || m.from >= WORKERS || m.seq >= MAX_SEQ || m.check != tm_check(&m))
    return 1;
  st->taken[m.from][m.seq]++;
  return 0;
}

static int pick_timeout(uint32_t *rng) {
  uint32_t r = t_rand(rng) % 4;
  return r == 0 ? 0 : r == 1 ? 1 : r == 2 ? 5 : 50;
}

/* argv: torture_worker QUEUE LOCK SEM STATE ID SEED [POINT COUNT] ->
   random operations until STATE says stop (or death at the COUNT-th pass
   of fault POINT); exit 0, or the code of the first unexpected result. */
int role_torture_worker(int argc, char **argv) {
  pipc_queue *q = NULL;
  pipc_lock *l = NULL;
  pipc_sem *s = NULL;
  pipc_shm *sh = NULL;
  struct tstate *st;
  struct tmsg m;
  uint32_t id, rng, seq = 0;
  int rc;
  if (argc < 7 || pipc_queue_open(argv[1], &q) || pipc_lock_open(argv[2], &l) ||
      pipc_sem_open(argv[3], &s) || pipc_shm_open(argv[4], &sh))
    return 10;
  st = (struct tstate *)pipc_shm_addr(sh);
  id = (uint32_t)atol(argv[5]);
  rng = (uint32_t)atol(argv[6]) | 1;
  if (argc >= 9) pipc__fault_arm(atoi(argv[7]), atol(argv[8]));
  while (!st->stop) {
    uint32_t op = t_rand(&rng) % 20;
    int timeout = pick_timeout(&rng);
    if (op < 8) { /* produce */
      size_t n;
      if (seq >= MAX_SEQ) continue;
      n = tm_fill(&m, id, seq);
      if (op < 2) {
        void *slot;
        rc = pipc_queue_reserve(q, n, &slot, timeout);
        if (rc == PIPC_OK) {
          memcpy(slot, &m, n);
          rc = (t_rand(&rng) % 8 == 0) ? (pipc_queue_cancel(q), PIPC_EAGAIN)
                                        : pipc_queue_commit(q, n);
        }
      } else {
        rc = pipc_queue_put(q, &m, n, timeout);
      }
      if (rc == PIPC_OK) st->committed[id] = ++seq;
      else if (rc != PIPC_EAGAIN && rc != PIPC_ETIMEDOUT) return 20 - rc;
    } else if (op < 16) { /* consume */
      size_t len;
      if (op < 10) {
        const void *msg;
        rc = pipc_queue_peek(q, &msg, &len, timeout);
        if (rc == PIPC_OK) {
          if (tm_take(st, msg, len)) st->bad++;
          rc = pipc_queue_release(q);
          if (rc != PIPC_OK) return 40 - rc;
        }
      } else {
        rc = pipc_queue_get(q, &m, sizeof m, &len, timeout);
        if (rc == PIPC_OK && tm_take(st, &m, len)) st->bad++;
      }
      if (rc != PIPC_OK && rc != PIPC_EAGAIN && rc != PIPC_ETIMEDOUT) return 60 - rc;
    } else if (op < 18) { /* the lock guards two counters that must agree */
      rc = pipc_lock_acquire(l, timeout);
      if (rc == PIPC_EOWNERDEAD) {
        st->lock_b = st->lock_a; /* repair what the dead holder left */
        rc = PIPC_OK;
      }
      if (rc == PIPC_OK) {
        st->lock_a++;
        if (t_rand(&rng) % 4 == 0) pipc_sleep_ms(1);
        st->lock_b++;
        if (pipc_lock_release(l) != PIPC_OK) return 80;
      } else if (rc != PIPC_EAGAIN && rc != PIPC_ETIMEDOUT) {
        return 90 - rc;
      }
    } else { /* the semaphore as a pool of SEM_MAX units */
      rc = pipc_sem_wait(s, timeout);
      if (rc == PIPC_OK) {
        if (pipc_sem_post(s) != PIPC_OK) return 100; /* never past max */
      } else if (rc != PIPC_EAGAIN && rc != PIPC_ETIMEDOUT) {
        return 110 - rc;
      }
    }
  }
  pipc_queue_close(q);
  pipc_lock_close(l);
  pipc_sem_close(s);
  pipc_shm_close(sh);
  return 0;
}

static int torture_rounds(void) {
  const char *v = getenv("PIPC_TORTURE_ROUNDS");
  int n = v ? atoi(v) : 0;
  return n > 0 ? n : TORTURE_ROUNDS;
}

void test_torture_random_kills(void) {
  char qn[80], ln[80], sn[80], stn[80], idb[8], seedb[16], pt[8], cnt[16];
  pipc_queue *q = NULL;
  pipc_lock *l = NULL;
  pipc_sem *s = NULL;
  pipc_shm *sh = NULL;
  struct tstate *st;
  uint32_t rng = 20261123u;
  int rounds = torture_rounds(), round;
  unsigned long delivered = 0, lost_total = 0, hung = 0, worker_errors = 0;
  unsigned long dups = 0, missing = 0, phantom = 0, damaged = 0, lock_bad = 0, leaks = 0;
  unsigned long self_deaths = 0;
  t_name(qn, sizeof qn, "tq");
  t_name(ln, sizeof ln, "tl");
  t_name(sn, sizeof sn, "ts");
  t_name(stn, sizeof stn, "tst");
  T_RC(pipc_queue_create(qn, CAPACITY, sizeof(struct tmsg), &q), PIPC_OK);
  T_RC(pipc_lock_create(ln, &l), PIPC_OK);
  T_RC(pipc_sem_create(sn, SEM_MAX, SEM_MAX, &s), PIPC_OK);
  T_RC(pipc_shm_create(stn, sizeof(struct tstate), &sh), PIPC_OK);
  CU_ASSERT_FATAL(q && l && s && sh);
  st = (struct tstate *)pipc_shm_addr(sh);
  for (round = 0; round < rounds; round++) {
    pipc_process *w[WORKERS];
    struct tmsg m;
    size_t len;
    unsigned v;
    int i, victim = (int)(t_rand(&rng) % WORKERS), rc, inject = round % 2;
    uint32_t id, seq, lost = 0;
    int64_t until;
    memset(st, 0, sizeof *st);
    snprintf(pt, sizeof pt, "%d",
             PIPC__FAULT_PUT_CLAIMED +
                 (int)(t_rand(&rng) % (PIPC__FAULT_COUNT - PIPC__FAULT_PUT_CLAIMED)));
    snprintf(cnt, sizeof cnt, "%d", 1 + (int)(t_rand(&rng) % 300));
    for (i = 0; i < WORKERS; i++) {
      snprintf(idb, sizeof idb, "%d", i);
      snprintf(seedb, sizeof seedb, "%u", t_rand(&rng));
      if (inject && i == victim)
        w[i] = t_spawn("torture_worker", qn, ln, sn, stn, idb, seedb, pt, cnt, NULL);
      else
        w[i] = t_spawn("torture_worker", qn, ln, sn, stn, idb, seedb, NULL);
      CU_ASSERT_FATAL(w[i] != NULL);
    }
    until = t_now_ms() + 50 + (int)(t_rand(&rng) % 451);
    if (inject) until += 2000; /* time to reach its fault point */
    while (t_now_ms() < until) {
      if (inject && pipc_process_wait(w[victim], 0, NULL) == PIPC_OK) {
        self_deaths++; /* died at its fault point */
        break;
      }
      pipc_sleep_ms(5);
    }
    pipc_process_kill(w[victim]); /* (harmless if it is dead already) */
    CU_ASSERT_EQUAL(t_join(w[victim], 30000), -9);
    st->stop = 1;
    for (i = 0; i < WORKERS; i++) {
      if (i == victim) continue;
      rc = t_join(w[i], 10000); /* no hang beyond a bound */
      if (rc == T_HUNG) hung++;
      else if (rc != 0) {
        worker_errors++;
        fprintf(stderr, "\n  round %d: worker %d exited %d", round, i, rc);
      }
    }
    /* What is left in the queue: whole messages, never seen before. */
    while ((rc = pipc_queue_get(q, &m, sizeof m, &len, 0)) == PIPC_OK)
      if (tm_take(st, &m, len)) damaged++;
    T_RC(rc, PIPC_EAGAIN);
    damaged += st->bad;
    for (id = 0; id < WORKERS; id++) {
      uint32_t committed = st->committed[id];
      /* the victim may have committed one more than it recorded */
      uint32_t maybe = id == (uint32_t)victim && committed < MAX_SEQ ? committed + 1 : committed;
      for (seq = 0; seq < MAX_SEQ; seq++) {
        unsigned t = st->taken[id][seq];
        if (t > 1) dups++;
        if (seq < committed) {
          if (t == 0) lost++;
          else delivered++;
        } else if (seq >= maybe && t != 0) {
          phantom++; /* taken but never put */
        }
      }
    }
    /* only the victim's in-flight message may be gone */
    if (lost > 1) missing += lost;
    lost_total += lost;
    if (pipc_queue_size(q, &len) != PIPC_OK || len != 0) leaks++;
    rc = pipc_lock_acquire(l, 10000);
    if (rc == PIPC_EOWNERDEAD) { /* the victim held it: repair */
      st->lock_b = st->lock_a;
      rc = PIPC_OK;
    }
    T_RC(rc, PIPC_OK);
    if (st->lock_a != st->lock_b) lock_bad++;
    if (rc == PIPC_OK) pipc_lock_release(l);
    if (pipc_sem_value(s, &v) != PIPC_OK || v > SEM_MAX) lock_bad++;
    if (round % 10 == 9) { /* no slot lost: the whole capacity works */
      for (i = 0; i < CAPACITY; i++)
        if (pipc_queue_put(q, &m, tm_fill(&m, 0, (uint32_t)i), 0) != PIPC_OK) leaks++;
      if (pipc_queue_put(q, &m, 16, 0) != PIPC_EAGAIN) leaks++;
      for (i = 0; i < CAPACITY; i++)
        if (pipc_queue_get(q, &m, sizeof m, &len, 0) != PIPC_OK) leaks++;
    }
    if (hung || worker_errors || dups || missing || phantom || damaged || lock_bad || leaks)
      break; /* stop at the first bad round: its numbers say what broke */
  }
  fprintf(stderr, "\n  %d rounds (%lu died at a fault point): %lu messages checked, "
          "%lu lost with a killed consumer ", round, self_deaths, delivered, lost_total);
  CU_ASSERT_EQUAL(round, rounds);
  CU_ASSERT_EQUAL(hung, 0);
  CU_ASSERT_EQUAL(worker_errors, 0);
  CU_ASSERT_EQUAL(dups, 0);
  CU_ASSERT_EQUAL(missing, 0);
  CU_ASSERT_EQUAL(phantom, 0);
  CU_ASSERT_EQUAL(damaged, 0);
  CU_ASSERT_EQUAL(lock_bad, 0);
  CU_ASSERT_EQUAL(leaks, 0);
  CU_ASSERT(delivered > 0);
  CU_ASSERT(self_deaths > 0);
  pipc_queue_unlink(qn);
  pipc_lock_unlink(ln);
  pipc_sem_unlink(sn);
  pipc_shm_unlink(stn);
  pipc_queue_close(q);
  pipc_lock_close(l);
  pipc_sem_close(s);
  pipc_shm_close(sh);
}

/* A holder stopped (SIGSTOP) for ten times a waiter's timeout is alive:
   the waiter times out, never takes the lock as abandoned; once the
   holder is killed, the next acquire gets PIPC_EOWNERDEAD. */
void test_torture_stopped_holder_is_not_dead(void) {
  char ln[80], rn[80];
  pipc_lock *l = NULL;
  pipc_sem *ready = NULL;
  pipc_process *p;
  int i;
  const char *why = t_os_why_no_stop();
  if (why) T_SKIP(why);
  t_name(ln, sizeof ln, "stopl");
  t_name(rn, sizeof rn, "stopr");
  T_RC(pipc_lock_create(ln, &l), PIPC_OK);
  T_RC(pipc_sem_create(rn, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(l && ready);
  p = t_spawn("lock_hold", ln, rn, NULL);
  CU_ASSERT_FATAL(p != NULL);
  T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
  CU_ASSERT(t_os_stop(p, 1) == 0);
  for (i = 0; i < 10; i++) T_RC(pipc_lock_acquire(l, 50), PIPC_ETIMEDOUT);
  CU_ASSERT(t_os_stop(p, 0) == 0);
  T_RC(pipc_lock_acquire(l, 50), PIPC_ETIMEDOUT); /* still held, alive */
  pipc_process_kill(p);
  CU_ASSERT_EQUAL(t_join(p, 30000), -9);
  T_RC(pipc_lock_acquire(l, 30000), PIPC_EOWNERDEAD);
  T_RC(pipc_lock_release(l), PIPC_OK);
  pipc_lock_unlink(ln);
  pipc_sem_unlink(rn);
  pipc_lock_close(l);
  pipc_sem_close(ready);
}
