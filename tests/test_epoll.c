/* test_epoll.c - a pipc_watch in a plain epoll loop (Linux), both ways:
 *   level-triggered: on any event, rearm until 0 and act; an item finished
 *     for good (the pipe's end, a reaped child: their handles stay
 *     readable) leaves the watch - a new watch, its handles swapped in;
 *   edge-triggered (EPOLLET): the same loop, and the watch is never
 *     rebuilt - a finished item gets events 0 and its handle, readable for
 *     good, brings no new edge.  Correct only because the loop rearms until
 *     0 after every wake-up: the notifier is cleared by rearm and fires
 *     again on the next change.
 * The watch holds a Queue and a Semaphore (N = 1000 messages and posts
 * from a producer thread), a pipe end (N messages, then its end) and a
 * child told to end with code 3 once all the rest is in (watch_loop.h).
 *   pipc-epoll-tests                     the suite
 *   pipc-epoll-tests --child exit-on-sem SEM CODE */
#define _GNU_SOURCE /* readlink, pthread_rwlock_t (uv.h) under -std=c11 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <sys/epoll.h>

#include "watch_loop.h"

enum { N = 1000 };

static int ep_add_all(int ep, wl_state *st, unsigned flags) {
  size_t i;
  for (i = 0; i < st->nh; i++) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN | flags;
    ev.data.fd = (int)st->h[i];
    if (epoll_ctl(ep, EPOLL_CTL_ADD, (int)st->h[i], &ev) != 0) {
      wl_fail(st, "epoll_ctl(ADD, %d): %s", (int)st->h[i], strerror(errno));
      return -1;
    }
  }
  return 0;
}

static void ep_del_all(int ep, wl_state *st) {
  size_t i;
  for (i = 0; i < st->nh; i++) epoll_ctl(ep, EPOLL_CTL_DEL, (int)st->h[i], NULL);
}

static void run(int edge) {
  wl_state st;
  struct epoll_event evs[8];
  int ep = epoll_create1(EPOLL_CLOEXEC);
  int waits = 0, idle = 0, child_fd = -1, pidfd_fired = 0, reaped_after_pidfd = 0, r, i;
  CU_ASSERT_FATAL(ep >= 0);
  if (wl_start(&st, N) == PIPC_OK && ep_add_all(ep, &st, edge ? EPOLLET : 0) == 0) {
    child_fd = wl_child_handle(&st);
    for (;;) {
      /* rearm until 0, acting on what is ready (also before the first wait) */
      while ((r = pipc_watch_rearm(st.w)) > 0) {
        int was_reaped = st.reaped;
        st.rearms++;
        if (wl_act(&st) && !edge) { /* level: finished items leave the watch */
          ep_del_all(ep, &st);
          if (wl_rebuild(&st) != PIPC_OK || ep_add_all(ep, &st, 0) != 0) break;
          if (wl_child_handle(&st) >= 0) child_fd = wl_child_handle(&st);
        }
        if (st.reaped && !was_reaped) reaped_after_pidfd = pidfd_fired;
      }
      st.rearms++;
      if (r < 0) wl_fail(&st, "pipc_watch_rearm: %s", pipc_strerror(r));
      if (r != 0 || wl_done(&st) || st.failed) break;
      wl_armed(&st);
      /* a bounded wait: 30 s without any event is a hang; where an item
         has no handle (no pidfd) the loop rearms every 10 ms instead */
      r = epoll_wait(ep, evs, 8, st.needs_timer ? 10 : 30000);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        wl_fail(&st, "epoll_wait: %s", strerror(errno));
        break;
      }
      if (r == 0 && (!st.needs_timer || ++idle > 3000)) {
        wl_fail(&st, "no event in 30 s: the loop hung");
        break;
      }
      if (r > 0) idle = 0, waits++;
      for (i = 0; i < r; i++)
        if (child_fd >= 0 && evs[i].data.fd == child_fd) pidfd_fired++;
    }
    if (edge && !st.failed) {
      /* an edge of the pidfd still queued (the child's end was seen by a
         rearm another wake-up made) is taken now: it must be there */
      r = epoll_wait(ep, evs, 8, 0);
      for (i = 0; i < r; i++)
        if (child_fd >= 0 && evs[i].data.fd == child_fd) pidfd_fired++;
    }
  }
  printf("\n  %s: %d epoll_wait wake-ups, %d rearms (%d with something ready)%s",
         edge ? "EPOLLET" : "level", waits, st.rearms, st.ready_rearms,
         st.had_no_handle ? ", rearm timer on" : "");
  printf("\n  ");
  CU_ASSERT_EQUAL(st.failed, 0);
  CU_ASSERT_EQUAL(st.qgot, N);
  CU_ASSERT_EQUAL(st.sgot, N);
  CU_ASSERT_EQUAL(st.pgot, N);
  CU_ASSERT(st.closed);
  CU_ASSERT(st.reaped);
  CU_ASSERT_EQUAL(st.exit_code, WL_CHILD_CODE);
  CU_ASSERT(waits > 0); /* it waited on the handles */
  if (!st.had_no_handle) {
    CU_ASSERT(child_fd >= 0);
    CU_ASSERT(pidfd_fired > 0); /* the child's end fired its handle */
    /* level-triggered, the child is the watch's only item by then: the
       wake-up that showed its end was the pidfd's */
    if (!edge) CU_ASSERT(reaped_after_pidfd > 0);
  }
  CU_ASSERT_EQUAL(wl_finish(&st), 0);
  close(ep);
}

static void test_level_triggered(void) { run(0); }
static void test_edge_triggered(void) { run(1); }

int main(int argc, char **argv) {
  static const char *const cases[] = {"level_triggered", "edge_triggered"};
  static CU_TestFunc const fns[] = {test_level_triggered, test_edge_triggered};
  return wl_main(argc, argv, "epoll", cases, fns, (int)(sizeof fns / sizeof fns[0]));
}
