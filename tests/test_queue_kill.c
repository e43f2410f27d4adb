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
