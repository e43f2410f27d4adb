/* test_queue_mp.c - many producers and many consumers, each its own
   process, on one queue: every message delivered exactly once, in order
   per producer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "queue_util.h"

/* Messages per producer: fewer under Wine, where the Windows build runs
   here and every operation costs more. */
#ifdef _WIN32
#define MPMC_PER_PRODUCER 20000
#else
#define MPMC_PER_PRODUCER 100000
#endif

/* argv: mpmc_producer QUEUE ID N */
int role_mpmc_producer(int argc, char **argv) {
  pipc_queue *q = NULL;
  struct msg m;
  uint32_t id, n, i;
  if (argc < 4 || pipc_queue_open(argv[1], &q) != PIPC_OK) return 10;
  id = (uint32_t)atoi(argv[2]);
  n = (uint32_t)atoi(argv[3]);
  for (i = 0; i < n; i++) {
    size_t len = msg_fill(&m, id, i);
    if (pipc_queue_put(q, &m, len, 60000) != PIPC_OK) return 11;
  }
  pipc_queue_close(q);
  return 0;
}

/* argv: mpmc_consumer QUEUE SEEN_SHM PRODUCERS N -> takes messages until
   the queue is shut down and drained; counts each (producer, seq) in SEEN.
   exit 0, or the first violation: 12 damaged, 13 out of order. */
int role_mpmc_consumer(int argc, char **argv) {
  pipc_queue *q = NULL;
  pipc_shm *seen_shm = NULL;
  unsigned char *seen;
  uint32_t last[16], producers, n;
  struct msg m;
  size_t len;
  int rc, i;
  if (argc < 5 || pipc_queue_open(argv[1], &q) || pipc_shm_open(argv[2], &seen_shm))
    return 10;
  seen = (unsigned char *)pipc_shm_addr(seen_shm);
  producers = (uint32_t)atoi(argv[3]);
  n = (uint32_t)atoi(argv[4]);
  for (i = 0; i < 16; i++) last[i] = 0xffffffffu;
  while ((rc = pipc_queue_get(q, &m, sizeof m, &len, 60000)) == PIPC_OK) {
    if (msg_bad(&m, len) || m.producer >= producers || m.seq >= n) return 12;
    if (last[m.producer] != 0xffffffffu && m.seq <= last[m.producer]) return 13;
    last[m.producer] = m.seq;
    seen[(size_t)m.producer * n + m.seq]++; /* one consumer per message */
  }
  pipc_queue_close(q);
  pipc_shm_close(seen_shm);
  return rc == PIPC_ECLOSED ? 0 : 20 - rc;
}

static void mpmc(size_t capacity, int per_producer) {
  char name[80], seen_name[80], idbuf[4][8], nbuf[16];
  pipc_queue *q = make_queue(name, sizeof name, "mpmc", capacity, sizeof(struct msg));
  pipc_shm *seen_shm = NULL;
  pipc_process *prod[4], *cons[4];
  unsigned char *seen;
  size_t i, wrong = 0, total = 4 * (size_t)per_producer;
  t_name(seen_name, sizeof seen_name, "seen");
  T_RC(pipc_shm_create(seen_name, total, &seen_shm), PIPC_OK);
  CU_ASSERT_FATAL(q && seen_shm);
  snprintf(nbuf, sizeof nbuf, "%d", per_producer);
  for (i = 0; i < 4; i++)
    cons[i] = t_spawn("mpmc_consumer", name, seen_name, "4", nbuf, NULL);
  for (i = 0; i < 4; i++) {
    snprintf(idbuf[i], sizeof idbuf[i], "%d", (int)i);
    prod[i] = t_spawn("mpmc_producer", name, idbuf[i], nbuf, NULL);
  }
  for (i = 0; i < 4; i++) CU_ASSERT_EQUAL(t_join(prod[i], 600000), 0);
  T_RC(pipc_queue_shutdown(q), PIPC_OK);
  for (i = 0; i < 4; i++) CU_ASSERT_EQUAL(t_join(cons[i], 600000), 0);
  seen = (unsigned char *)pipc_shm_addr(seen_shm);
  for (i = 0; i < total; i++) wrong += seen[i] != 1;
  CU_ASSERT_EQUAL(wrong, 0); /* every message exactly once */
  pipc_shm_unlink(seen_name);
  pipc_shm_close(seen_shm);
  drop_queue(q);
}

void test_queue_mp_mpmc_4x4_exactly_once(void) { mpmc(64, MPMC_PER_PRODUCER); }
void test_queue_mp_mpmc_4x4_capacity_1(void) { mpmc(1, MPMC_PER_PRODUCER / 10); }
