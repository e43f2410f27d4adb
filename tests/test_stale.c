/* test_stale.c - names whose only user was killed, and a hostile writer.
 *
 * A killed process cannot unlink.  What is left of its objects is the
 * platform's business, and pipc says which: on POSIX a shm / queue / sem /
 * lock name outlives its processes, so create says PIPC_EEXIST until
 * *_unlink (or `pipc rm`) removes it; on Windows the name dies with the
 * last handle, so create works at once.  Either way a create never
 * attaches to the old state.  A listener's socket is reclaimed on every
 * platform: the name is owned by a lock the kernel drops with the process,
 * and of two servers racing for a stale name exactly one wins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "os.h"

/* argv: make_all SHM QUEUE SEM LOCK PIPE READY -> creates one of each
   kind (queue holding one message, sem at 3, lock held), posts READY,
   and waits to be killed. */
int role_make_all(int argc, char **argv) {
  pipc_shm *s;
  pipc_queue *q;
  pipc_sem *m, *ready;
  pipc_lock *l;
  pipc_listener *li;
  if (argc < 7 || pipc_shm_create(argv[1], 4096, &s) || pipc_queue_create(argv[2], 4, 8, &q) ||
      pipc_sem_create(argv[3], 3, 0, &m) || pipc_lock_create(argv[4], &l) ||
      pipc_listener_create(argv[5], &li) || pipc_sem_open(argv[6], &ready))
    return 10;
  memset(pipc_shm_addr(s), 0x5a, 4096);
  if (pipc_queue_put(q, "old", 3, 0) || pipc_lock_acquire(l, 0)) return 11;
  pipc_sem_post(ready);
  pipc_sleep_ms(60000);
  return 12;
}

static void expect_recreate(int rc_posix_eexist, const char *what) {
  (void)what;
  if (t_os_names_outlive_handles()) {
    CU_ASSERT_EQUAL(rc_posix_eexist, PIPC_EEXIST); /* the name outlives processes */
  } else {
    CU_ASSERT_EQUAL(rc_posix_eexist, PIPC_OK); /* the name died with its last handle */
  }
}

void test_stale_names_after_kill(void) {
  char sn[80], qn[80], mn[80], ln[80], pn[80], rn[80], buf[8];
  pipc_sem *ready = NULL, *m = NULL;
  pipc_shm *s = NULL;
  pipc_queue *q = NULL;
  pipc_lock *l = NULL;
  pipc_listener *li = NULL;
  pipc_process *p;
  size_t len;
  unsigned v = 99;
  int rc;
  t_name(sn, sizeof sn, "stshm");
  t_name(qn, sizeof qn, "stq");
  t_name(mn, sizeof mn, "stsem");
  t_name(ln, sizeof ln, "stlock");
  t_name(pn, sizeof pn, "stpipe");
  t_name(rn, sizeof rn, "stready");
  T_RC(pipc_sem_create(rn, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(ready != NULL);
  p = t_spawn("make_all", sn, qn, mn, ln, pn, rn, NULL);
  T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
  pipc_process_kill(p);
  CU_ASSERT_EQUAL(t_join(p, 30000), -9);

  /* create: PIPC_EEXIST (POSIX) or a new object (Windows); after unlink a
     new object everywhere - never the dead process's state */
  rc = pipc_shm_create(sn, 4096, &s);
  expect_recreate(rc, "shm");
  if (rc == PIPC_EEXIST) {
    T_RC(pipc_shm_unlink(sn), PIPC_OK);
    T_RC(pipc_shm_create(sn, 4096, &s), PIPC_OK);
  }
  CU_ASSERT_FATAL(s != NULL);
  CU_ASSERT_EQUAL(((unsigned char *)pipc_shm_addr(s))[100], 0); /* zero-filled, new */

  rc = pipc_queue_create(qn, 4, 8, &q);
  expect_recreate(rc, "queue");
  if (rc == PIPC_EEXIST) {
    T_RC(pipc_queue_unlink(qn), PIPC_OK);
    T_RC(pipc_queue_create(qn, 4, 8, &q), PIPC_OK);
  }
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_EAGAIN); /* empty, new */

  rc = pipc_sem_create(mn, 0, 0, &m);
  expect_recreate(rc, "sem");
  if (rc == PIPC_EEXIST) {
    T_RC(pipc_sem_unlink(mn), PIPC_OK);
    T_RC(pipc_sem_create(mn, 0, 0, &m), PIPC_OK);
  }
  CU_ASSERT_FATAL(m != NULL);
  T_RC(pipc_sem_value(m, &v), PIPC_OK);
  CU_ASSERT_EQUAL(v, 0);

  rc = pipc_lock_create(ln, &l);
  expect_recreate(rc, "lock");
  if (rc == PIPC_EEXIST) {
    T_RC(pipc_lock_unlink(ln), PIPC_OK);
    T_RC(pipc_lock_create(ln, &l), PIPC_OK);
  }
  CU_ASSERT_FATAL(l != NULL);
  T_RC(pipc_lock_acquire(l, 0), PIPC_OK); /* free, not "owner died": new */
  T_RC(pipc_lock_release(l), PIPC_OK);

  /* the listener's name is reclaimed at once, everywhere */
  T_RC(pipc_listener_create(pn, &li), PIPC_OK);

  pipc_shm_unlink(sn);
  pipc_queue_unlink(qn);
  pipc_sem_unlink(mn);
  pipc_lock_unlink(ln);
  pipc_sem_unlink(rn);
  if (s) pipc_shm_close(s);
  if (q) pipc_queue_close(q);
  if (m) pipc_sem_close(m);
  if (l) pipc_lock_close(l);
  if (li) pipc_listener_close(li);
  pipc_sem_close(ready);
}

/* argv: listen_race NAME READY GO TRIED -> posts READY, waits for GO,
   then listener_create: exit 0 having won (holding it until the other has
   tried: TRIED), 3 on PIPC_EEXIST (after posting TRIED), else 10 + the
   code. */
int role_listen_race(int argc, char **argv) {
  pipc_sem *ready = NULL, *go = NULL, *tried = NULL;
  pipc_listener *li = NULL;
  int rc;
  if (argc < 5 || pipc_sem_open(argv[2], &ready) || pipc_sem_open(argv[3], &go) ||
      pipc_sem_open(argv[4], &tried))
    return 9;
  pipc_sem_post(ready);
  rc = pipc_sem_wait(go, 30000);
  if (rc == PIPC_OK) {
    rc = pipc_listener_create(argv[1], &li);
    if (rc == PIPC_OK) {
      pipc_sem_wait(tried, 30000); /* the other has tried while we held it */
      pipc_listener_close(li);
    } else {
      pipc_sem_post(tried);
    }
  } else {
    rc = 8 + 10; /* never went */
  }
  pipc_sem_close(ready);
  pipc_sem_close(go);
  pipc_sem_close(tried);
  return rc == PIPC_OK ? 0 : rc == PIPC_EEXIST ? 3 : 10 - rc;
}

/* argv: listen_die NAME READY -> makes a listener, posts READY, waits to
   be killed: a stale socket. */
int role_listen_die(int argc, char **argv) {
  pipc_sem *ready = NULL;
  pipc_listener *li = NULL;
  if (argc < 3 || pipc_sem_open(argv[2], &ready) || pipc_listener_create(argv[1], &li))
    return 10;
  pipc_sem_post(ready);
  pipc_sleep_ms(60000);
  return 12;
}

/* Two servers racing to reclaim one stale name, ten times: exactly one
   wins each time. */
void test_stale_listener_race_one_winner(void) {
  char pn[80], rn[80], gn[80], tn[80];
  pipc_sem *ready = NULL, *go = NULL, *tried = NULL;
  int round, bad = 0;
  t_name(rn, sizeof rn, "rready");
  t_name(gn, sizeof gn, "rgo");
  T_RC(pipc_sem_create(rn, 0, 0, &ready), PIPC_OK);
  T_RC(pipc_sem_create(gn, 0, 0, &go), PIPC_OK);
  t_name(tn, sizeof tn, "rtried");
  T_RC(pipc_sem_create(tn, 0, 0, &tried), PIPC_OK);
  CU_ASSERT_FATAL(ready && go && tried);
  for (round = 0; round < 10; round++) {
    pipc_process *dead, *a, *b;
    int ca, cb;
    t_name(pn, sizeof pn, "race");
    dead = t_spawn("listen_die", pn, rn, NULL);
    T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
    pipc_process_kill(dead);
    CU_ASSERT_EQUAL(t_join(dead, 30000), -9);
    a = t_spawn("listen_race", pn, rn, gn, tn, NULL);
    b = t_spawn("listen_race", pn, rn, gn, tn, NULL);
    T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
    T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
    pipc_sem_post(go);
    pipc_sem_post(go);
    ca = t_join(a, 30000);
    cb = t_join(b, 30000);
    if (!((ca == 0 && cb == 3) || (ca == 3 && cb == 0))) {
      fprintf(stderr, "\n  round %d: the racers exited %d and %d", round, ca, cb);
      bad++;
    }
  }
  CU_ASSERT_EQUAL(bad, 0);
  pipc_sem_unlink(rn);
  pipc_sem_unlink(gn);
  pipc_sem_unlink(tn);
  pipc_sem_close(ready);
  pipc_sem_close(go);
  pipc_sem_close(tried);
}

/* ---- a hostile writer ---- */

/* The queue layout's first OS-owned byte (src/queue.c): bytes before it
   are pipc's own words; from it up to the ring, the OS's mutexes and
   parking words, which belong to the kernel's and libc's protocol. */
#define Q_OS_OFF 384u

/* A hostile writer is a data race by design: under ThreadSanitizer it can
   only be reported, so that build leaves it to asan and the others. */
#if defined(__SANITIZE_THREAD__)
#define T_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define T_TSAN 1
#endif
#endif

struct hostile {
  pipc_queue *q;
  unsigned char *base;
  size_t ring_off, size;
  volatile int stop;
  unsigned long flips, bad_codes, bad_lengths, ops, ok_ops;
};

static int allowed(int rc) {
  return rc == PIPC_OK || rc == PIPC_EAGAIN || rc == PIPC_ETIMEDOUT || rc == PIPC_ECORRUPT ||
         rc == PIPC_ECLOSED || rc == PIPC_EMSGSIZE;
}

static void hostile_traffic(void *arg) {
  struct hostile *h = (struct hostile *)arg;
  unsigned char buf[32];
  const void *msg;
  void *slot;
  size_t len;
  uint32_t rng = 4242;
  int rc;
  while (!h->stop) {
    switch (t_rand(&rng) % 5) {
    case 0: rc = pipc_queue_put(h->q, "hostile", 7, 1); break;
    case 1:
      rc = pipc_queue_get(h->q, buf, sizeof buf, &len, 1);
      if (rc == PIPC_OK && len > sizeof buf) h->bad_lengths++;
      break;
    case 2:
      rc = pipc_queue_reserve(h->q, 32, &slot, 1);
      if (rc == PIPC_OK) {
        memset(slot, 7, 32);
        rc = pipc_queue_commit(h->q, 32);
      }
      break;
    case 3:
      rc = pipc_queue_peek(h->q, &msg, &len, 1);
      if (rc == PIPC_OK) {
        if (len > 32) h->bad_lengths++;
        else memcpy(buf, msg, len);
        rc = pipc_queue_release(h->q);
      }
      break;
    default: rc = pipc_queue_size(h->q, &len); break;
    }
    if (!allowed(rc)) {
      h->bad_codes++;
      fprintf(stderr, "\n  unexpected %s", pipc_strerror(rc));
    }
    h->ops++;
    if (rc == PIPC_OK) h->ok_ops++;
  }
}

/* While two threads run traffic, a third writes random bytes over the
   queue's own words and ring: only return codes come back - no crash, no
   sanitizer report (the asan preset runs this), no message longer than
   max_msg, no hang.  Every 20 ms it puts pipc's words and the ring's back
   as they were at the start (poisoned flag and slot states included), so
   that traffic resumes and the damage keeps landing on a working queue. */
void test_stale_hostile_writer_only_error_codes(void) {
  char name[80];
  struct hostile h;
  pipc_shm *raw = NULL;
  t_thread *t[2];
  uint32_t rng = 777;
  uint64_t off;
  int64_t until, restore;
  unsigned char pristine[Q_OS_OFF], *pristine_ring;
  const char *pre = getenv("LD_PRELOAD");
#ifdef T_TSAN
  T_SKIP("a hostile writer races on purpose: run by the other builds");
#endif
  /* Under valgrind (its preload is in the environment) the threads run
     one at a time and the writer barely gets a turn: leave this test to
     the native and ASan runs, which it is for. */
  if (pre && strstr(pre, "vgpreload"))
    T_SKIP("under valgrind the hostile writer starves: run by the other builds");
  memset(&h, 0, sizeof h);
  t_name(name, sizeof name, "hostile");
  T_RC(pipc_queue_create(name, 8, 32, &h.q), PIPC_OK);
  T_RC(pipc_shm_open(name, &raw), PIPC_OK);
  CU_ASSERT_FATAL(h.q && raw);
  h.base = (unsigned char *)pipc_shm_addr(raw);
  h.size = pipc_shm_size(raw);
  memcpy(&off, h.base + 64 + 24, 8); /* cfg.ring_off */
  h.ring_off = (size_t)off;
  CU_ASSERT_FATAL(h.ring_off >= Q_OS_OFF && h.ring_off < h.size);
  memcpy(pristine, h.base, Q_OS_OFF);
  pristine_ring = (unsigned char *)malloc(h.size - h.ring_off);
  CU_ASSERT_FATAL(pristine_ring != NULL);
  memcpy(pristine_ring, h.base + h.ring_off, h.size - h.ring_off);
  t[0] = t_thread_start(hostile_traffic, &h);
  t[1] = t_thread_start(hostile_traffic, &h);
  until = t_now_ms() + 1500;
  restore = t_now_ms() + 20;
  while (t_now_ms() < until) {
    size_t at;
    if (t_now_ms() >= restore) {
      memcpy(h.base + 4, pristine + 4, Q_OS_OFF - 4);
      memcpy(h.base + h.ring_off, pristine_ring, h.size - h.ring_off);
      restore = t_now_ms() + 20;
    }
    if (t_rand(&rng) % 2) at = 4 + t_rand(&rng) % (Q_OS_OFF - 4); /* not the magic */
    else at = h.ring_off + t_rand(&rng) % (h.size - h.ring_off);
    h.base[at] ^= (unsigned char)(1u << (t_rand(&rng) % 8));
    h.flips++;
    if (h.flips % 16 == 0) pipc_sleep_ms(1);
  }
  h.stop = 1;
  t_thread_join(t[0]); /* they end: nothing hung */
  t_thread_join(t[1]);
  fprintf(stderr, "\n  %lu bytes flipped under %lu operations, %lu of them successful ",
          h.flips, h.ops, h.ok_ops);
  CU_ASSERT(h.flips > 100 && h.ops > 100 && h.ok_ops > 100);
  CU_ASSERT_EQUAL(h.bad_codes, 0);
  CU_ASSERT_EQUAL(h.bad_lengths, 0);
  free(pristine_ring);
  pipc_queue_unlink(name);
  pipc_queue_close(h.q);
  pipc_shm_close(raw);
}
