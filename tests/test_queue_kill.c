/* test_queue_kill.c - producers and consumers killed at random moments
   and at fault points inside put / get / reserve / peek: nothing partial,
   lost or repeated, and the queue goes on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pipc_testing.h" /* fault points: this binary has them */
#include "queue_util.h"

/* Kill-test rounds: natively at least 200; a Windows build runs under Wine
   here, where each process start costs tens of milliseconds. */
#ifdef _WIN32
#define KILL_ROUNDS 50
#else
#define KILL_ROUNDS 200
#endif

/* Has p ended?  (Reaps it then; a later t_join still reports its code.) */
static int ended(pipc_process *p) { return pipc_process_wait(p, 0, NULL) == PIPC_OK; }

/* argv: kill_producer QUEUE [POINT COUNT] -> puts seq 0, 1, 2, ... until
   killed, or until it dies by itself at the COUNT-th pass of fault POINT.
   Every third message goes by reserve / commit instead of put, so that the
   zero-copy path is killed at random moments too. */
int role_kill_producer(int argc, char **argv) {
  pipc_queue *q = NULL;
  struct msg m;
  uint32_t i;
  if (argc < 2 || pipc_queue_open(argv[1], &q) != PIPC_OK) return 10;
  if (argc >= 4) pipc__fault_arm(atoi(argv[2]), atol(argv[3]));
  for (i = 0;; i++) {
    size_t n = msg_fill(&m, 0, i);
    if (i % 3 == 2) {
      void *slot;
      if (pipc_queue_reserve(q, sizeof m, &slot, 60000) != PIPC_OK) return 11;
      memcpy(slot, &m, n);
      if (pipc_queue_commit(q, n) != PIPC_OK) return 11;
    } else if (pipc_queue_put(q, &m, n, 60000) != PIPC_OK) {
      return 11;
    }
  }
}

/* Kill a producer KILL_ROUNDS times: half at a random moment from outside,
   half at a random fault point inside put (lock held, length written, bytes
   copied, tail published).  After each, what the queue holds must continue
   the producer's sequence with whole messages: nothing partial, lost or
   repeated; and at the end the whole capacity must still be usable. */
void test_queue_kill_producer_killed_inside_put(void) {
  char name[80], pt[8], cnt[8];
  pipc_queue *q = make_queue(name, sizeof name, "kp", 8, sizeof(struct msg));
  uint32_t rng = 12345, round, bad = 0, gaps = 0, total = 0, injected = 0;
  struct msg m;
  size_t len, n;
  int rc;
  CU_ASSERT_FATAL(q != NULL);
  for (round = 0; round < KILL_ROUNDS; round++) {
    int inject = round % 2;
    pipc_process *p;
    uint32_t expect = 0;
    int64_t until, give_up = t_now_ms() + 30000;
    if (inject) {
      snprintf(pt, sizeof pt, "%d", PIPC__FAULT_PUT_CLAIMED + (int)(t_rand(&rng) % 4));
      snprintf(cnt, sizeof cnt, "%d", 1 + (int)(t_rand(&rng) % 40));
      p = t_spawn("kill_producer", name, pt, cnt, NULL);
    } else {
      p = t_spawn("kill_producer", name, NULL);
    }
    if (p == NULL) break;
    if (inject) {
      /* take what it puts until it dies by itself */
      while (!ended(p) && t_now_ms() < give_up) {
        if (pipc_queue_get(q, &m, sizeof m, &len, 20) == PIPC_OK) {
          bad += msg_bad(&m, len);
          gaps += m.seq != expect;
          expect = m.seq + 1;
        }
      }
      injected++;
    } else {
      /* once it runs, take for a random while, then kill it */
      rc = pipc_queue_get(q, &m, sizeof m, &len, 30000);
      if (rc == PIPC_OK) {
        bad += msg_bad(&m, len) || m.seq != expect;
        expect++;
      }
      until = t_now_ms() + t_rand(&rng) % 4;
      while (t_now_ms() < until && pipc_queue_get(q, &m, sizeof m, &len, 100) == PIPC_OK) {
        bad += msg_bad(&m, len);
        gaps += m.seq != expect;
        expect = m.seq + 1;
      }
      pipc_process_kill(p);
    }
    CU_ASSERT_EQUAL(t_join(p, 30000), -9);
    while ((rc = pipc_queue_get(q, &m, sizeof m, &len, 0)) == PIPC_OK) {
      bad += msg_bad(&m, len);
      gaps += m.seq != expect;
      expect = m.seq + 1;
    }
    T_RC(rc, PIPC_EAGAIN);
    total += expect;
  }
  CU_ASSERT_EQUAL(round, KILL_ROUNDS);
  CU_ASSERT_EQUAL(injected, KILL_ROUNDS / 2);
  CU_ASSERT_EQUAL(bad, 0);  /* no partial or damaged message, ever */
  CU_ASSERT_EQUAL(gaps, 0); /* none lost, none repeated */
  CU_ASSERT(total > 0);
  /* No slot leaked: the whole capacity is usable. */
  T_RC(pipc_queue_size(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  for (round = 0; round < 8; round++)
    T_RC(pipc_queue_put(q, &m, msg_fill(&m, 1, round), 0), PIPC_OK);
  T_RC(pipc_queue_put(q, &m, 16, 0), PIPC_EAGAIN);
  for (round = 0; round < 8; round++) {
    T_RC(pipc_queue_get(q, &m, sizeof m, &len, 0), PIPC_OK);
    CU_ASSERT(!msg_bad(&m, len) && m.seq == round);
  }
  drop_queue(q);
}

/* argv: kill_consumer QUEUE TAKEN_SHM [POINT COUNT] -> gets (or peeks and
   releases) until killed, or dead at a fault point; counts each seq it took
   in TAKEN. */
int role_kill_consumer(int argc, char **argv) {
  pipc_queue *q = NULL;
  pipc_shm *s = NULL;
  unsigned char *taken;
  struct msg m;
  size_t len;
  uint32_t zc_rng = 99;
  if (argc < 3 || pipc_queue_open(argv[1], &q) || pipc_shm_open(argv[2], &s)) return 10;
  if (argc >= 5) pipc__fault_arm(atoi(argv[3]), atol(argv[4]));
  taken = (unsigned char *)pipc_shm_addr(s);
  for (;;) {
    const void *in_place;
    int zero_copy = t_rand(&zc_rng) % 3 == 0; /* peek / release, as well */
    if (zero_copy) {
      if (pipc_queue_peek(q, &in_place, &len, 60000) != PIPC_OK) return 11;
      if (len > sizeof m) return 12;
      memcpy(&m, in_place, len);
    } else if (pipc_queue_get(q, &m, sizeof m, &len, 60000) != PIPC_OK) {
      return 11;
    }
    if (msg_bad(&m, len) || m.seq >= 1000000) return 12;
    taken[m.seq]++;
    if (zero_copy && pipc_queue_release(q) != PIPC_OK) return 13;
  }
}

/* Kill a consumer KILL_ROUNDS times, half from outside at a random moment,
   half at a fault point inside get (or peek / release: it takes a third of
   its messages in place).  Every message must then be taken
   exactly once - by the dead consumer or by the survivors - except the one
   a consumer had claimed (READING) when it died: that one it may take
   with it, and nobody else sees it. */
void test_queue_kill_consumer_killed_inside_get(void) {
  char name[80], tname[80], pt[8], cnt[8];
  pipc_queue *q = make_queue(name, sizeof name, "kc", 8, sizeof(struct msg));
  pipc_shm *ts = NULL;
  unsigned char *taken;
  uint32_t rng = 777, round, seq = 0, dup = 0, bad = 0, too_many_lost = 0;
  struct msg m;
  size_t len, n;
  t_name(tname, sizeof tname, "taken");
  T_RC(pipc_shm_create(tname, 1000000, &ts), PIPC_OK);
  CU_ASSERT_FATAL(q && ts);
  taken = (unsigned char *)pipc_shm_addr(ts);
  for (round = 0; round < KILL_ROUNDS && seq < 990000; round++) {
    int inject = round % 2, point = 0;
    pipc_process *p;
    uint32_t first = seq, s, lost = 0;
    int64_t until = -1, give_up = t_now_ms() + 30000;
    if (inject) {
      point = PIPC__FAULT_GET_CLAIMED + (int)(t_rand(&rng) % 3);
      snprintf(pt, sizeof pt, "%d", point);
      snprintf(cnt, sizeof cnt, "%d", 1 + (int)(t_rand(&rng) % 40));
      p = t_spawn("kill_consumer", name, tname, pt, cnt, NULL);
    } else {
      p = t_spawn("kill_consumer", name, tname, NULL);
    }
    if (p == NULL) break;
    while (t_now_ms() < give_up && seq < 990000) {
      if (inject) {
        if (ended(p)) break;
      } else {
        /* once it has taken one, feed it for a random while more */
        if (until < 0 && seq > first && taken[first]) until = t_now_ms() + t_rand(&rng) % 4;
        if (until >= 0 && t_now_ms() >= until) break;
      }
      if (pipc_queue_put(q, &m, msg_fill(&m, 0, seq), 10) == PIPC_OK) seq++;
    }
    if (!inject) pipc_process_kill(p);
    CU_ASSERT_EQUAL(t_join(p, 30000), -9);
    /* What is left are whole messages it had not taken. */
    while (pipc_queue_get(q, &m, sizeof m, &len, 0) == PIPC_OK) {
      if (msg_bad(&m, len) || m.seq >= seq) bad++;
      else taken[m.seq]++;
    }
    for (s = first; s < seq; s++) {
      lost += taken[s] == 0;
      dup += taken[s] > 1;
    }
    /* at most the one in flight: the message it had claimed; none if it
       died before claiming one */
    if (lost > 1) too_many_lost++;
    (void)point;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(dup, 0);
  CU_ASSERT_EQUAL(too_many_lost, 0);
  CU_ASSERT_EQUAL(round, KILL_ROUNDS);
  T_RC(pipc_queue_size(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  for (round = 0; round < 8; round++)
    T_RC(pipc_queue_put(q, &m, msg_fill(&m, 0, round), 0), PIPC_OK);
  T_RC(pipc_queue_put(q, &m, 16, 0), PIPC_EAGAIN);
  pipc_shm_unlink(tname);
  pipc_shm_close(ts);
  drop_queue(q);
}

/* ---- durable peeks and tagged puts across kills (layout v5) ---- */

#ifdef _WIN32
#define DURABLE_ROUNDS 12
#else
#define DURABLE_ROUNDS 40
#endif

/* What a queue_durable child reports, in its shm. */
struct durable_report {
  int32_t rc;
  uint32_t seq;
  uint64_t pos;
};

/* argv: queue_durable QUEUE SHM READY durable|plain [POINT COUNT] -> one
   peek (durable or plain), reported in SHM, READY posted; then sleeps
   until killed (or dies at the fault point). */
int role_queue_durable(int argc, char **argv) {
  pipc_queue *q = NULL;
  pipc_shm *s = NULL;
  pipc_sem *ready = NULL;
  struct durable_report *r;
  struct msg m;
  const void *in_place;
  size_t len;
  if (argc < 5 || pipc_queue_open(argv[1], &q) || pipc_shm_open(argv[2], &s) ||
      pipc_sem_open(argv[3], &ready))
    return 10;
  r = (struct durable_report *)pipc_shm_addr(s);
  memset(r, 0xff, sizeof *r);
  if (argc >= 7) pipc__fault_arm(atoi(argv[5]), atol(argv[6]));
  r->rc = pipc_queue_peek_ex(q, strcmp(argv[4], "durable") == 0 ? PIPC_PEEK_DURABLE : 0,
                             &in_place, &len, 30000);
  if (r->rc == PIPC_OK || r->rc == PIPC_EOWNERDEAD) {
    if (len > sizeof m) return 12;
    memcpy(&m, in_place, len);
    r->seq = msg_bad(&m, len) ? 0xfffffffeu : m.seq;
    pipc__queue_peek_pos(q, &r->pos);
  }
  pipc_sem_post(ready);
  pipc_sleep_ms(60000);
  return 13;
}

struct durable_env {
  char name[80], sname[80], rname[80];
  pipc_queue *q;
  pipc_shm *shm;
  pipc_sem *ready;
  struct durable_report *rep;
};

static int durable_env_make(struct durable_env *e, const char *tag) {
  memset(e, 0, sizeof *e);
  e->q = make_queue(e->name, sizeof e->name, tag, 8, sizeof(struct msg));
  t_name(e->sname, sizeof e->sname, "durrep");
  t_name(e->rname, sizeof e->rname, "durready");
  T_RC(pipc_shm_create(e->sname, sizeof(struct durable_report), &e->shm), PIPC_OK);
  T_RC(pipc_sem_create(e->rname, 0, 0, &e->ready), PIPC_OK);
  if (!e->q || !e->shm || !e->ready) return 0;
  e->rep = (struct durable_report *)pipc_shm_addr(e->shm);
  return 1;
}

static void durable_env_drop(struct durable_env *e) {
  pipc_shm_unlink(e->sname);
  pipc_shm_close(e->shm);
  pipc_sem_unlink(e->rname);
  pipc_sem_close(e->ready);
  drop_queue(e->q);
}

/* Run a queue_durable child in mode, let it peek, kill it: its report is
   left in e->rep (rc -1 if it never reported). */
static void durable_child_killed(struct durable_env *e, const char *mode) {
  pipc_process *p;
  e->rep->rc = -1;
  p = t_spawn("queue_durable", e->name, e->sname, e->rname, mode, NULL);
  CU_ASSERT_FATAL(p != NULL);
  T_RC(pipc_sem_wait(e->ready, 30000), PIPC_OK);
  pipc_process_kill(p);
  CU_ASSERT_EQUAL(t_join(p, 30000), -9);
}

/* No poison, nothing held, and every slot usable. */
static void queue_whole(pipc_queue *q, size_t capacity) {
  pipc_queue_stat_t st;
  size_t i, n = 99;
  char buf[sizeof(struct msg)];
  T_RC(pipc_queue_stat(q, &st), PIPC_OK);
  CU_ASSERT(!st.poisoned && st.depth == 0);
  T_RC(pipc_queue_orphans(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  for (i = 0; i < capacity; i++) T_RC(pipc_queue_put(q, "w", 1, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "w", 1, 0), PIPC_EAGAIN);
  for (i = 0; i < capacity; i++) T_RC(pipc_queue_get(q, buf, sizeof buf, &n, 0), PIPC_OK);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &n, 0), PIPC_EAGAIN);
}

/* Processes killed holding a durable peek, DURABLE_ROUNDS times: each
   message stays, as an orphan, and the next durable peek - the next
   child's or this process's - adopts it (PIPC_EOWNERDEAD, the same bytes,
   its original position).  Over all rounds every message is taken exactly
   once.  Then a child killed holding a plain peek: that one message goes
   with it, as before. */
void test_queue_kill_durable_holder_killed(void) {
  struct durable_env e;
  unsigned char *taken;
  uint32_t seq = 0, round, s, lost = 0, dup = 0, bad = 0, adopted_by_child = 0;
  int pending = 0;
  uint32_t pending_seq = 0;
  uint64_t pending_pos = 0, pos;
  struct msg m;
  const void *msg;
  size_t len, n;
  CU_ASSERT_FATAL(durable_env_make(&e, "kdur"));
  taken = (unsigned char *)calloc(10000, 1);
  CU_ASSERT_FATAL(taken != NULL);
  for (round = 0; round < DURABLE_ROUNDS; round++) {
    while (pipc_queue_put(e.q, &m, msg_fill(&m, 0, seq), 0) == PIPC_OK) seq++;
    durable_child_killed(&e, "durable");
    if (pending) { /* it adopted the last child's orphan */
      T_RC(e.rep->rc, PIPC_EOWNERDEAD);
      CU_ASSERT_EQUAL(e.rep->seq, pending_seq);
      CU_ASSERT_EQUAL(e.rep->pos, pending_pos);
      adopted_by_child++;
    } else {
      T_RC(e.rep->rc, PIPC_OK);
      CU_ASSERT(e.rep->seq < seq && !taken[e.rep->seq]);
      CU_ASSERT_EQUAL(e.rep->pos, e.rep->seq); /* positions count from 0 here */
    }
    pending = 1;
    pending_seq = e.rep->seq;
    pending_pos = e.rep->pos;
    T_RC(pipc_queue_orphans(e.q, &n), PIPC_OK);
    CU_ASSERT_EQUAL(n, 1);
    if (round % 3 == 1) { /* a plain get passes the orphan */
      T_RC(pipc_queue_get(e.q, &m, sizeof m, &len, 0), PIPC_OK);
      if (msg_bad(&m, len) || m.seq >= seq || m.seq == pending_seq) bad++;
      else taken[m.seq]++;
    }
    if (round % 3 == 2) { /* this process adopts it and takes it */
      T_RC(pipc_queue_peek_ex(e.q, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_EOWNERDEAD);
      CU_ASSERT_FATAL(msg != NULL);
      memcpy(&m, msg, len);
      if (msg_bad(&m, len) || m.seq != pending_seq) bad++;
      else taken[m.seq]++;
      T_RC(pipc__queue_peek_pos(e.q, &pos), PIPC_OK);
      CU_ASSERT_EQUAL(pos, pending_pos);
      T_RC(pipc_queue_release(e.q), PIPC_OK);
      pending = 0;
    }
  }
  if (pending) {
    T_RC(pipc_queue_peek_ex(e.q, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_EOWNERDEAD);
    if (msg) memcpy(&m, msg, len);
    if (msg == NULL || msg_bad(&m, len) || m.seq != pending_seq) bad++;
    else taken[m.seq]++;
    T_RC(pipc_queue_release(e.q), PIPC_OK);
  }
  while (pipc_queue_get(e.q, &m, sizeof m, &len, 0) == PIPC_OK) {
    if (msg_bad(&m, len) || m.seq >= seq) bad++;
    else taken[m.seq]++;
  }
  for (s = 0; s < seq; s++) {
    lost += taken[s] == 0;
    dup += taken[s] > 1;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(lost, 0);
  CU_ASSERT_EQUAL(dup, 0);
  CU_ASSERT(adopted_by_child > 0);
  queue_whole(e.q, 8);
  /* a plain peek's holder killed: its message is gone, as it always was */
  T_RC(pipc_queue_put(e.q, &m, msg_fill(&m, 0, seq), 0), PIPC_OK);
  T_RC(pipc_queue_put(e.q, &m, msg_fill(&m, 0, seq + 1), 0), PIPC_OK);
  durable_child_killed(&e, "plain");
  T_RC(e.rep->rc, PIPC_OK);
  CU_ASSERT_EQUAL(e.rep->seq, seq);
  T_RC(pipc_queue_orphans(e.q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  T_RC(pipc_queue_peek_ex(e.q, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_OK); /* no adoption */
  if (msg) memcpy(&m, msg, len);
  CU_ASSERT(msg != NULL && m.seq == seq + 1);
  T_RC(pipc_queue_release(e.q), PIPC_OK);
  T_RC(pipc_queue_get(e.q, &m, sizeof m, &len, 0), PIPC_EAGAIN);
  queue_whole(e.q, 8);
  free(taken);
  durable_env_drop(&e);
}

/* argv: queue_tagged QUEUE TAG POINT COUNT -> a tagged put of "pre" (tag
   TAG + 1000), then, armed to die at the COUNT-th pass of POINT, a tagged
   put of "tagged" (tag TAG).  Exit 0 if it was not killed. */
int role_queue_tagged(int argc, char **argv) {
  pipc_queue *q = NULL;
  uint64_t tag;
  if (argc < 5 || pipc_queue_open(argv[1], &q) != PIPC_OK) return 10;
  tag = strtoul(argv[2], NULL, 10);
  if (pipc__queue_put_tagged(q, "pre", 3, tag + 1000, 30000) != PIPC_OK) return 11;
  pipc__fault_arm(atoi(argv[3]), atol(argv[4]));
  if (pipc__queue_put_tagged(q, "tagged", 6, tag, 30000) != PIPC_OK) return 12;
  return 0;
}

/* argv: queue_repair_at QUEUE POINT -> a get (5 s) that finds a dead
   claimant and dies at fault point POINT of its repair. */
int role_queue_repair_at(int argc, char **argv) {
  pipc_queue *q = NULL;
  char buf[8];
  size_t len;
  if (argc < 3 || pipc_queue_open(argv[1], &q) != PIPC_OK) return 10;
  pipc__fault_arm(atoi(argv[2]), 1);
  pipc_queue_get(q, buf, sizeof buf, &len, 5000);
  return 11; /* not reached: it dies repairing */
}

static void tagged_child_dies_at(const char *name, int point) {
  char pt[8];
  snprintf(pt, sizeof pt, "%d", point);
  CU_ASSERT_EQUAL(t_join(t_spawn("queue_tagged", name, "256", pt, "1", NULL), 30000), -9);
}

/* The message "pre" the tagged child put first. */
static void take_pre(pipc_queue *q) {
  char buf[16];
  size_t len = 0;
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 3 && memcmp(buf, "pre", 3) == 0);
}

/* A child killed at each new fault point: the state is repaired, the
   tagged put's outcome is right, and no queue is poisoned. */
void test_queue_kill_new_fault_points(void) {
  struct durable_env e;
  char pt[8], buf[16];
  struct msg m;
  const void *msg;
  size_t len, n;
  uint64_t pos, pos2 = 99;
  CU_ASSERT_FATAL(durable_env_make(&e, "kfp"));

  /* durable mark written, READING CAS not made: the message stays FULL,
     for anyone; no orphan */
  T_RC(pipc_queue_put(e.q, &m, msg_fill(&m, 0, 0), 0), PIPC_OK);
  snprintf(pt, sizeof pt, "%d", PIPC__FAULT_PEEK_DURABLE_MARKED);
  CU_ASSERT_EQUAL(t_join(t_spawn("queue_durable", e.name, e.sname, e.rname, "durable", pt,
                                 "1", NULL), 30000), -9);
  T_RC(pipc_queue_orphans(e.q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  T_RC(pipc_queue_peek_ex(e.q, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_OK);
  if (msg) memcpy(&m, msg, len);
  CU_ASSERT(msg != NULL && !msg_bad(&m, len) && m.seq == 0);
  T_RC(pipc_queue_release(e.q), PIPC_OK);
  queue_whole(e.q, 8);

  /* an adopter killed between its CAS and clearing the dead line: one
     orphan (its own), with the original position, adopted once */
  T_RC(pipc_queue_put(e.q, &m, msg_fill(&m, 0, 1), 0), PIPC_OK);
  durable_child_killed(&e, "durable");
  T_RC(e.rep->rc, PIPC_OK);
  pos = e.rep->pos;
  snprintf(pt, sizeof pt, "%d", PIPC__FAULT_ADOPTED);
  CU_ASSERT_EQUAL(t_join(t_spawn("queue_durable", e.name, e.sname, e.rname, "durable", pt,
                                 "1", NULL), 30000), -9);
  T_RC(pipc_queue_orphans(e.q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 1);
  T_RC(pipc_queue_peek_ex(e.q, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_EOWNERDEAD);
  if (msg) memcpy(&m, msg, len);
  CU_ASSERT(msg != NULL && !msg_bad(&m, len) && m.seq == 1);
  T_RC(pipc__queue_peek_pos(e.q, &pos2), PIPC_OK);
  CU_ASSERT_EQUAL(pos2, pos); /* the first child's: the original position */
  T_RC(pipc_queue_release(e.q), PIPC_OK);
  T_RC(pipc_queue_peek_ex(e.q, PIPC_PEEK_DURABLE, &msg, &len, 0), PIPC_EAGAIN);
  queue_whole(e.q, 8);

  /* the tag written, no claim made: not stored */
  tagged_child_dies_at(e.name, PIPC__FAULT_PUT_TAGGED);
  take_pre(e.q);
  T_RC(pipc__queue_tag_outcome(e.q, 256), 0);
  T_RC(pipc__queue_tag_outcome(e.q, 1256), 0); /* replaced by 256 */
  T_RC(pipc_queue_get(e.q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  T_RC(pipc__queue_tag_clear(e.q, 256), PIPC_OK);
  queue_whole(e.q, 8);

  /* claimed (WRITING) by a dead putter: not stored, and the outcome call
     gives the slot back itself */
  tagged_child_dies_at(e.name, PIPC__FAULT_PUT_CLAIMED);
  T_RC(pipc__queue_tag_outcome(e.q, 256), 0);
  take_pre(e.q);
  T_RC(pipc_queue_get(e.q, buf, sizeof buf, &len, 0), PIPC_EAGAIN); /* nothing behind */
  T_RC(pipc__queue_tag_outcome(e.q, 256), 0);
  T_RC(pipc__queue_tag_clear(e.q, 256), PIPC_OK);
  queue_whole(e.q, 8);

  /* written, not committed, and given back by a consumer's repair first:
     the abort stamp says "not stored" after the slot is free again */
  tagged_child_dies_at(e.name, PIPC__FAULT_PUT_COPIED);
  take_pre(e.q);
  T_RC(pipc_queue_get(e.q, buf, sizeof buf, &len, 1000), PIPC_ETIMEDOUT); /* repairs it */
  T_RC(pipc__queue_tag_outcome(e.q, 256), 0);
  T_RC(pipc__queue_tag_clear(e.q, 256), PIPC_OK);
  queue_whole(e.q, 8);

  /* committed, then the putter killed: stored - also once taken, and
     laps later */
  tagged_child_dies_at(e.name, PIPC__FAULT_PUT_COMMITTED);
  T_RC(pipc__queue_tag_outcome(e.q, 256), 1);
  take_pre(e.q);
  T_RC(pipc_queue_get(e.q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 6 && memcmp(buf, "tagged", 6) == 0);
  queue_whole(e.q, 8);
  T_RC(pipc__queue_tag_outcome(e.q, 256), 1);
  T_RC(pipc__queue_tag_clear(e.q, 256), PIPC_OK);

  /* a repairer killed between its abort stamp and its CAS: the next
     repair (here the outcome call's) finishes it; not stored */
  tagged_child_dies_at(e.name, PIPC__FAULT_PUT_COPIED);
  take_pre(e.q);
  snprintf(pt, sizeof pt, "%d", PIPC__FAULT_ABORT_STAMPED);
  CU_ASSERT_EQUAL(t_join(t_spawn("queue_repair_at", e.name, pt, NULL), 30000), -9);
  T_RC(pipc__queue_tag_outcome(e.q, 256), 0);
  T_RC(pipc_queue_get(e.q, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  T_RC(pipc__queue_tag_clear(e.q, 256), PIPC_OK);
  queue_whole(e.q, 8);
  durable_env_drop(&e);
}

/* argv: kill_durable_consumer QUEUE TAKEN_SHM [POINT COUNT] -> takes
   messages by durable peek / release only (adopting what a killed one
   left: PIPC_EOWNERDEAD), counting each seq in TAKEN before its release,
   until killed or dead at a fault point. */
int role_kill_durable_consumer(int argc, char **argv) {
  pipc_queue *q = NULL;
  pipc_shm *s = NULL;
  unsigned char *taken;
  struct msg m;
  size_t len;
  if (argc < 3 || pipc_queue_open(argv[1], &q) || pipc_shm_open(argv[2], &s)) return 10;
  if (argc >= 5) pipc__fault_arm(atoi(argv[3]), atol(argv[4]));
  taken = (unsigned char *)pipc_shm_addr(s);
  for (;;) {
    const void *in_place;
    int rc = pipc_queue_peek_ex(q, PIPC_PEEK_DURABLE, &in_place, &len, 60000);
    if (rc != PIPC_OK && rc != PIPC_EOWNERDEAD) return 11;
    if (len > sizeof m) return 12;
    memcpy(&m, in_place, len);
    if (msg_bad(&m, len) || m.seq >= 1000000) return 12;
    taken[m.seq]++;
    if (pipc_queue_release(q) != PIPC_OK) return 13;
  }
}

/* The consumer side of the kill tests with durable peeks only: killed at
   random moments and at fault points (the durable mark, the claim, the
   adoption, the release), KILL_ROUNDS times, no message is ever lost -
   each is taken by a consumer or left as an orphan that the next one
   adopts.  At-least-once: a consumer killed after counting a message and
   before releasing it leaves it to be taken again, so a repeat is allowed
   per kill, never more. */
void test_queue_kill_durable_consumer_never_loses(void) {
  char name[80], tname[80], pt[8], cnt[8];
  static const int points[] = {PIPC__FAULT_PEEK_DURABLE_MARKED, PIPC__FAULT_GET_CLAIMED,
                               PIPC__FAULT_ADOPTED, PIPC__FAULT_GET_RELEASED};
  pipc_queue *q = make_queue(name, sizeof name, "kdc", 8, sizeof(struct msg));
  pipc_shm *ts = NULL;
  unsigned char *taken;
  uint32_t rng = 4242, round, seq = 0, s, lost = 0, dups = 0, bad = 0, orphans = 0;
  struct msg m;
  const void *msg;
  size_t len, n;
  t_name(tname, sizeof tname, "dtaken");
  T_RC(pipc_shm_create(tname, 1000000, &ts), PIPC_OK);
  CU_ASSERT_FATAL(q && ts);
  taken = (unsigned char *)pipc_shm_addr(ts);
  for (round = 0; round < KILL_ROUNDS && seq < 990000; round++) {
    int inject = round % 2;
    pipc_process *p;
    uint32_t first = seq;
    int64_t until = -1, give_up = t_now_ms() + 30000;
    if (inject) { /* an adoption happens once a round at most: its first */
      int point = points[t_rand(&rng) % 4];
      snprintf(pt, sizeof pt, "%d", point);
      snprintf(cnt, sizeof cnt, "%d",
               point == PIPC__FAULT_ADOPTED ? 1 : 1 + (int)(t_rand(&rng) % 20));
      p = t_spawn("kill_durable_consumer", name, tname, pt, cnt, NULL);
      give_up = t_now_ms() + 3000; /* no orphan to adopt: killed from outside */
    } else {
      p = t_spawn("kill_durable_consumer", name, tname, NULL);
    }
    if (p == NULL) break;
    while (t_now_ms() < give_up && seq < 990000) {
      if (inject) {
        if (ended(p)) break;
      } else {
        if (until < 0 && seq > first && taken[first]) until = t_now_ms() + t_rand(&rng) % 4;
        if (until >= 0 && t_now_ms() >= until) break;
      }
      if (seq - first >= 2000) break; /* fed enough: killed from outside */
      if (pipc_queue_put(q, &m, msg_fill(&m, 0, seq), 10) == PIPC_OK) seq++;
    }
    if (!ended(p)) pipc_process_kill(p);
    CU_ASSERT_EQUAL(t_join(p, 30000), -9);
    /* orphans stay for the next round's consumer */
  }
  if (round != KILL_ROUNDS) fprintf(stderr, "\n  stopped at round %u, seq %u", round, seq);
  CU_ASSERT_EQUAL(round, KILL_ROUNDS);
  /* what is left: orphans first (adopted), then the rest */
  while (pipc_queue_peek_ex(q, PIPC_PEEK_ORPHAN, &msg, &len, 0) == PIPC_EOWNERDEAD) {
    memcpy(&m, msg, len);
    if (msg_bad(&m, len) || m.seq >= seq) bad++;
    else taken[m.seq]++;
    T_RC(pipc_queue_release(q), PIPC_OK);
    orphans++;
  }
  while (pipc_queue_get(q, &m, sizeof m, &len, 0) == PIPC_OK) {
    if (msg_bad(&m, len) || m.seq >= seq) bad++;
    else taken[m.seq]++;
  }
  for (s = 0; s < seq; s++) {
    lost += taken[s] == 0;
    dups += taken[s] > 1 ? taken[s] - 1u : 0u;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(lost, 0);       /* never: that is the point */
  CU_ASSERT(dups <= KILL_ROUNDS); /* one repeat per kill at most */
  CU_ASSERT(seq > KILL_ROUNDS);
  if (lost || dups > KILL_ROUNDS || bad)
    fprintf(stderr, "\n  %u messages: %u lost, %u repeated, %u bad, %u orphans at the end", seq,
            lost, dups, bad, orphans);
  T_RC(pipc_queue_orphans(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  T_RC(pipc_queue_size(q, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  queue_whole(q, 8);
  pipc_shm_unlink(tname);
  pipc_shm_close(ts);
  drop_queue(q);
}
