/* watch_loop.h - what the foreign-event-loop tests (test_libuv.c,
 * test_epoll.c) share: one pipc_watch over a Queue, a Semaphore, a pipe end
 * and a child process, fed by a producer thread, and the acting half of the
 * rearm loop.  Only the waiting differs between the loops.
 *
 *   wl_start(st, n)   objects, the watch, a child (this binary again, as
 *                     `--child exit-on-sem SEM CODE`: it ends with CODE
 *                     once SEM is posted - by wl_armed, once all else is
 *                     done and the child is the watch's only item), and a
 *                     producer thread: n rounds of put "qI" (a queue of 16:
 *                     it waits for room) + post + send "pI", then it closes
 *                     its pipe end;
 *   wl_act(st)        after pipc_watch_rearm(st->w) > 0: timeout-0 calls
 *                     until PIPC_EAGAIN on each ready item; 1 when an item
 *                     is finished for good (the pipe's end seen, the child
 *                     reaped; the Queue and the Semaphore once all came)
 *                     - its events are 0 now, in st->all and st->it;
 *   wl_armed(st)      rearm said 0, the loop is about to wait;
 *   wl_rebuild(st)    a new watch of the items not finished (the loop takes
 *                     the old handles out first and adds the new ones);
 *   wl_done(st)       everything arrived, the end seen, the child reaped;
 *   wl_finish(st)     join, check nothing is left over, close; what went
 *                     wrong is printed (st->failed counts it).
 * POSIX only (a pthread producer).  Not a timing test: every wait is
 * bounded only to turn a hang into a failure.
 */
#ifndef PIPC_TESTS_WATCH_LOOP_H
#define PIPC_TESTS_WATCH_LOOP_H

#include <CUnit/Basic.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipc.h"

#define WL_CHILD_CODE 3

typedef struct wl_state {
  pipc_queue *q;
  pipc_sem *s;
  pipc_sem *go;      /* the child ends when this is posted */
  pipc_pipe *a, *b;  /* a: the loop's end; b: the producer's */
  pipc_process *child;
  pipc_waitable all[4]; /* queue, sem, pipe, child */
  pipc_waitable it[4];  /* the items of the current watch */
  size_t n;
  pipc_watch *w;
  intptr_t h[8];
  size_t nh;
  int needs_timer; /* an item of this watch has no handle (pipc_watch_item_handle) */
  int had_no_handle; /* needs_timer was set for some watch of this run */
  int msgs;
  int qgot, sgot, pgot, closed, reaped, exit_code, go_pending, go_posted;
  int rearms, ready_rearms;
  int failed;
  int producer_rc;
  pthread_t producer;
  int producer_started;
  char qname[PIPC_NAME_MAX + 1], sname[PIPC_NAME_MAX + 1], goname[PIPC_NAME_MAX + 1];
} wl_state;

static char wl_self[4096];

static void wl_fail(wl_state *st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "\n  FAIL: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, " (queue %d, sem %d, pipe %d of %d; closed %d, reaped %d)\n", st->qgot,
          st->sgot, st->pgot, st->msgs, st->closed, st->reaped);
  va_end(ap);
  st->failed++;
}

/* `--child exit-on-sem SEM CODE`: wait for SEM (bounded), end with CODE. */
static int wl_child_main(int argc, char **argv, int *handled) {
  pipc_sem *s = NULL;
  *handled = 0;
  if (argc != 5 || strcmp(argv[1], "--child") != 0 || strcmp(argv[2], "exit-on-sem") != 0)
    return 0;
  *handled = 1;
  if (pipc_sem_open(argv[3], &s) != PIPC_OK) return 100;
  if (pipc_sem_wait(s, 60000) != PIPC_OK) return 101;
  pipc_sem_close(s);
  return atoi(argv[4]);
}

static void *wl_producer(void *arg) {
  wl_state *st = (wl_state *)arg;
  char m[32];
  int i, k, rc = PIPC_OK;
  for (i = 0; i < st->msgs && rc == PIPC_OK; i++) {
    k = snprintf(m, sizeof m, "q%d", i);
    if ((rc = pipc_queue_put(st->q, m, (size_t)k, 30000)) != PIPC_OK) break;
    if ((rc = pipc_sem_post(st->s)) != PIPC_OK) break;
    k = snprintf(m, sizeof m, "p%d", i);
    rc = pipc_pipe_send(st->b, m, (size_t)k, 30000);
  }
  if (rc != PIPC_OK) fprintf(stderr, "\n  producer: round %d: %s\n", i, pipc_strerror(rc));
  st->producer_rc = rc;
  pipc_pipe_close(st->b); /* the loop sees the end after the last message */
  st->b = NULL;
  return NULL;
}

/* The handles of st->w into st->h; needs_timer when an item has none
   (pipc_watch_item_handle: PIPC_ENOTSUP). */
static int wl_handles(wl_state *st) {
  size_t i;
  int rc = pipc_watch_handles(st->w, st->h, sizeof st->h / sizeof st->h[0], &st->nh);
  if (rc != PIPC_OK) {
    wl_fail(st, "pipc_watch_handles: %s", pipc_strerror(rc));
    return rc;
  }
  st->needs_timer = 0;
  for (i = 0; i < st->n; i++) {
    intptr_t h;
    if (pipc_watch_item_handle(st->w, i, &h) == PIPC_ENOTSUP) st->needs_timer = 1;
  }
  if (st->needs_timer) st->had_no_handle = 1;
  return PIPC_OK;
}

/* The child's handle among st->h (its pidfd on Linux, the socket of pipc's
   watcher thread where there is none), or -1: the tests assert that the
   child's end came through its own handle. */
static int wl_child_handle(const wl_state *st) {
  size_t i;
  for (i = 0; i < st->n; i++) {
    intptr_t h;
    if (st->it[i].kind == PIPC_WAIT_PROCESS && pipc_watch_item_handle(st->w, i, &h) == PIPC_OK)
      return (int)h;
  }
  return -1;
}

static int wl_make_watch(wl_state *st) {
  size_t i;
  int rc;
  st->n = 0;
  for (i = 0; i < 4; i++)
    if (st->all[i].events != 0) st->it[st->n++] = st->all[i];
  if ((rc = pipc_watch_create(st->it, st->n, &st->w)) != PIPC_OK) {
    wl_fail(st, "pipc_watch_create: %s", pipc_strerror(rc));
    return rc;
  }
  return wl_handles(st);
}

static int wl_start(wl_state *st, int msgs) {
  const char *argv[6];
  char code[8];
  int rc;
  memset(st, 0, sizeof *st);
  st->msgs = msgs;
  st->exit_code = -1000;
  if (pipc_self_exe(wl_self, sizeof wl_self) != PIPC_OK) return PIPC_ESYS;
  if ((rc = pipc_queue_create(NULL, 16, 32, &st->q)) != PIPC_OK ||
      (rc = pipc_sem_create(NULL, 0, 0, &st->s)) != PIPC_OK ||
      (rc = pipc_sem_create(NULL, 0, 1, &st->go)) != PIPC_OK ||
      (rc = pipc_pipe_pair(&st->a, &st->b)) != PIPC_OK) {
    wl_fail(st, "making the objects: %s", pipc_strerror(rc));
    return rc;
  }
  snprintf(st->qname, sizeof st->qname, "%s", pipc_queue_name(st->q));
  snprintf(st->sname, sizeof st->sname, "%s", pipc_sem_name(st->s));
  snprintf(st->goname, sizeof st->goname, "%s", pipc_sem_name(st->go));
  /* the child first, while this process has one thread */
  snprintf(code, sizeof code, "%d", WL_CHILD_CODE);
  argv[0] = wl_self; argv[1] = "--child"; argv[2] = "exit-on-sem";
  argv[3] = st->goname; argv[4] = code; argv[5] = NULL;
  if ((rc = pipc_process_spawn(argv, &st->child)) != PIPC_OK) {
    wl_fail(st, "pipc_process_spawn: %s", pipc_strerror(rc));
    return rc;
  }
  st->all[0] = pipc_wait_on_queue(st->q, PIPC_WAIT_IN);
  st->all[1] = pipc_wait_on_sem(st->s);
  st->all[2] = pipc_wait_on_pipe(st->a);
  st->all[3] = pipc_wait_on_process(st->child);
  if ((rc = wl_make_watch(st)) != PIPC_OK) return rc;
  if (pthread_create(&st->producer, NULL, wl_producer, st) != 0) {
    wl_fail(st, "pthread_create");
    return PIPC_ESYS;
  }
  st->producer_started = 1;
  return PIPC_OK;
}

static int wl_rebuild(wl_state *st) {
  pipc_watch_close(st->w);
  st->w = NULL;
  return wl_make_watch(st);
}

static int wl_done(const wl_state *st) {
  return st->qgot >= st->msgs && st->sgot >= st->msgs && st->closed && st->reaped;
}

/* Item k of st->all is finished: events 0 there and in the watch's items
   (a watch takes changed events at its next rearm). */
static void wl_retire(wl_state *st, int k) {
  size_t i;
  st->all[k].events = 0;
  for (i = 0; i < st->n; i++)
    if (st->it[i].obj.any == st->all[k].obj.any) st->it[i].events = 0;
}

/* Act on the items pipc_watch_rearm said are ready.  1: an item is
   finished (its events are 0 in st->all; the watch wants rebuilding). */
static int wl_act(wl_state *st) {
  char buf[64], want[32];
  size_t i, len;
  int rc, k, finished = 0;
  st->ready_rearms++;
  for (i = 0; i < st->n; i++) {
    pipc_waitable *it = &st->it[i];
    if (it->revents & PIPC_WAIT_ERR) wl_fail(st, "item %d: %s", (int)i, pipc_strerror(it->error));
    if (!(it->revents & PIPC_WAIT_IN)) continue;
    switch (it->kind) {
    case PIPC_WAIT_QUEUE:
      while ((rc = pipc_queue_get(st->q, buf, sizeof buf, &len, 0)) == PIPC_OK) {
        k = snprintf(want, sizeof want, "q%d", st->qgot);
        if (st->qgot >= st->msgs || len != (size_t)k || memcmp(buf, want, len) != 0)
          wl_fail(st, "queue: message %d is \"%.*s\"", st->qgot, (int)len, buf);
        st->qgot++;
      }
      if (rc != PIPC_EAGAIN) wl_fail(st, "pipc_queue_get: %s", pipc_strerror(rc));
      break;
    case PIPC_WAIT_SEM:
      while ((rc = pipc_sem_wait(st->s, 0)) == PIPC_OK) st->sgot++;
      if (rc != PIPC_EAGAIN) wl_fail(st, "pipc_sem_wait: %s", pipc_strerror(rc));
      if (st->sgot > st->msgs) wl_fail(st, "more units than posts");
      break;
    case PIPC_WAIT_PIPE:
      while ((rc = pipc_pipe_recv(st->a, buf, sizeof buf, &len, 0)) == PIPC_OK) {
        k = snprintf(want, sizeof want, "p%d", st->pgot);
        if (st->pgot >= st->msgs || len != (size_t)k || memcmp(buf, want, len) != 0)
          wl_fail(st, "pipe: message %d is \"%.*s\"", st->pgot, (int)len, buf);
        st->pgot++;
      }
      if (rc == PIPC_ECLOSED) { /* its end: ready for good from now on */
        st->closed = 1;
        wl_retire(st, 2);
        finished = 1;
      } else if (rc != PIPC_EAGAIN) {
        wl_fail(st, "pipc_pipe_recv: %s", pipc_strerror(rc));
      }
      break;
    case PIPC_WAIT_PROCESS:
      rc = pipc_process_wait(st->child, 0, &st->exit_code);
      if (rc == PIPC_OK) { /* reaped: its handle stays ready for good */
        st->reaped = 1;
        wl_retire(st, 3);
        finished = 1;
        if (!st->go_posted) wl_fail(st, "the child ended before it was told to");
      } else {
        wl_fail(st, "ready child, pipc_process_wait(0): %s", pipc_strerror(rc));
      }
      break;
    default:
      break;
    }
  }
  /* All messages in and the pipe's end seen: the Queue and the Semaphore
     leave the watch too, and the child is to end (wl_armed tells it) - so
     the watch holds the child alone (on Linux: its pidfd alone). */
  if (!st->go_pending && st->qgot >= st->msgs && st->sgot >= st->msgs && st->closed) {
    wl_retire(st, 0);
    wl_retire(st, 1);
    finished = 1;
    st->go_pending = 1;
  }
  return finished;
}

/* The loop calls this when pipc_watch_rearm returned 0, just before it
   waits: the child is told to end only now, so that its end cannot be
   seen by a rearm that no wake-up made - what wakes the loop next is the
   child's handle (the only one left in a rebuilt watch). */
static void wl_armed(wl_state *st) {
  int rc;
  if (!st->go_pending || st->go_posted) return;
  st->go_posted = 1;
  if ((rc = pipc_sem_post(st->go)) != PIPC_OK)
    wl_fail(st, "posting the child's semaphore: %s", pipc_strerror(rc));
}

/* What the loop got, checked; everything closed.  0 when all is well. */
static int wl_finish(wl_state *st) {
  char buf[64];
  size_t len;
  int rc;
  if (st->producer_started) pthread_join(st->producer, NULL);
  if (st->producer_rc != PIPC_OK) wl_fail(st, "the producer failed");
  if (st->qgot != st->msgs || st->sgot != st->msgs || st->pgot != st->msgs)
    wl_fail(st, "counts differ from %d", st->msgs);
  if (!st->closed) wl_fail(st, "the pipe's end was not seen");
  if (st->q && (rc = pipc_queue_get(st->q, buf, sizeof buf, &len, 0)) != PIPC_EAGAIN)
    wl_fail(st, "queue not empty at the end: %s", pipc_strerror(rc));
  if (st->s && (rc = pipc_sem_wait(st->s, 0)) != PIPC_EAGAIN)
    wl_fail(st, "semaphore not 0 at the end: %s", pipc_strerror(rc));
  if (st->child) {
    if (!st->reaped) {
      wl_fail(st, "the child's end was not seen");
      if (!st->go_posted) pipc_sem_post(st->go);
      if (pipc_process_wait(st->child, 30000, NULL) != PIPC_OK) {
        pipc_process_kill(st->child);
        pipc_process_wait(st->child, PIPC_FOREVER, NULL);
      }
    } else if (st->exit_code != WL_CHILD_CODE) {
      wl_fail(st, "child's exit code %d, not %d", st->exit_code, WL_CHILD_CODE);
    }
  }
  if (st->w) pipc_watch_close(st->w);
  pipc_process_free(st->child);
  if (st->a) pipc_pipe_close(st->a);
  if (st->b) pipc_pipe_close(st->b);
  if (st->q) pipc_queue_close(st->q), pipc_queue_unlink(st->qname);
  if (st->s) pipc_sem_close(st->s), pipc_sem_unlink(st->sname);
  if (st->go) pipc_sem_close(st->go), pipc_sem_unlink(st->goname);
  return st->failed;
}

/* The test binary's main: a helper child when asked (wl_child_main),
   else the n cases of suite `name` (CUnit's basic runner); 1 if any
   failed, 3 if CUnit could not start. */
static int wl_main(int argc, char **argv, const char *name, const char *const *cases,
                   CU_TestFunc const *fns, int n) {
  CU_pSuite suite;
  unsigned failures;
  int handled, rc = wl_child_main(argc, argv, &handled), i;
  if (handled) return rc;
  if (CU_initialize_registry() != CUE_SUCCESS) return 3;
  if ((suite = CU_add_suite(name, NULL, NULL)) == NULL) return 3;
  for (i = 0; i < n; i++)
    if (!CU_add_test(suite, cases[i], fns[i])) return 3;
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failures ? 1 : 0;
}

#endif /* PIPC_TESTS_WATCH_LOOP_H */
