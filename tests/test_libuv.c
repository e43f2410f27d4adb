/* test_libuv.c - a pipc_watch in a libuv loop: one uv_poll_t (UV_READABLE)
 * per watch handle; any callback rearms until 0, acting on what is ready
 * with timeout-0 calls.  The watch holds a Queue, a Semaphore (N = 1000
 * messages and posts from a producer thread), a pipe end (N messages, then
 * its end) and a child process, told to end with code 3 once all the rest
 * is in (the shared part: watch_loop.h).  The loop stops by itself once everything
 * arrived: no handle is left active.
 *   pipc-libuv-tests                     the suite
 *   pipc-libuv-tests --child exit-on-sem SEM CODE
 * POSIX (libuv's uv_poll_t takes sockets only on Windows). */
#define _GNU_SOURCE /* readlink, pthread_rwlock_t (uv.h) under -std=c11 */
#include <CUnit/Basic.h>
#include <uv.h>

#include "watch_loop.h"

enum { N = 1000 };

typedef struct uv_watch {
  wl_state st;
  uv_loop_t loop;
  uv_poll_t *polls[8];
  size_t npolls;
  uv_timer_t guard; /* turns a hang into a failure */
  uv_timer_t tick;  /* rearms where an item has no handle (no pidfd) */
  int tick_on, stopped, callbacks;
  int pidfd;        /* the child's handle, where /proc says which it is; else -1 */
  int child_fd;     /* the last pidfd found (kept once the watch loses it) */
  int fired_fd;     /* the handle of the callback running, -1: none */
  int reaped_by_fd; /* the handle whose callback saw the child end */
} uv_watch;

static void free_poll(uv_handle_t *h) { free(h); }

static void on_poll(uv_poll_t *h, int status, int events);
static void on_tick(uv_timer_t *t);

static void polls_stop(uv_watch *u) {
  size_t i;
  for (i = 0; i < u->npolls; i++) uv_close((uv_handle_t *)u->polls[i], free_poll);
  u->npolls = 0;
}

static int polls_start(uv_watch *u) {
  size_t i;
  for (i = 0; i < u->st.nh; i++) {
    uv_poll_t *p = (uv_poll_t *)malloc(sizeof *p);
    int r;
    if (p == NULL) return UV_ENOMEM;
    if ((r = uv_poll_init(&u->loop, p, (int)u->st.h[i])) != 0) {
      free(p);
      wl_fail(&u->st, "uv_poll_init(%d): %s", (int)u->st.h[i], uv_strerror(r));
      return r;
    }
    p->data = u;
    u->polls[u->npolls++] = p;
    if ((r = uv_poll_start(p, UV_READABLE, on_poll)) != 0) {
      wl_fail(&u->st, "uv_poll_start: %s", uv_strerror(r));
      return r;
    }
  }
  if ((u->pidfd = wl_child_handle(&u->st)) >= 0) u->child_fd = u->pidfd;
  if (u->st.needs_timer && !u->tick_on) {
    uv_timer_start(&u->tick, on_tick, 10, 10);
    u->tick_on = 1;
  }
  return 0;
}

/* The end: close every handle, and uv_run returns. */
static void stop(uv_watch *u) {
  if (u->stopped) return;
  u->stopped = 1;
  polls_stop(u);
  uv_close((uv_handle_t *)&u->guard, NULL);
  uv_close((uv_handle_t *)&u->tick, NULL);
}

/* Any handle fired (or the start): rearm until 0, acting on what is ready.
   A finished item (the pipe's end, a reaped child) would keep its handle
   readable for good, so it leaves the watch: a new watch, new polls. */
static void on_ready(uv_watch *u) {
  int r;
  if (u->stopped) return;
  while ((r = pipc_watch_rearm(u->st.w)) > 0) {
    int was_reaped = u->st.reaped;
    u->st.rearms++;
    if (wl_act(&u->st)) {
      if (u->st.reaped && !was_reaped) u->reaped_by_fd = u->fired_fd;
      polls_stop(u);
      if (wl_rebuild(&u->st) != PIPC_OK || polls_start(u) != 0) {
        stop(u);
        return;
      }
    }
  }
  u->st.rearms++;
  if (r < 0) {
    wl_fail(&u->st, "pipc_watch_rearm: %s", pipc_strerror(r));
    stop(u);
  } else if (wl_done(&u->st) || u->st.failed) {
    stop(u);
  } else {
    wl_armed(&u->st); /* back to uv_run, to wait */
  }
}

static void on_poll(uv_poll_t *h, int status, int events) {
  uv_watch *u = (uv_watch *)h->data;
  uv_os_fd_t fd = -1;
  (void)events;
  u->callbacks++;
  if (status < 0) {
    wl_fail(&u->st, "uv_poll callback: %s", uv_strerror(status));
    stop(u);
    return;
  }
  uv_fileno((uv_handle_t *)h, &fd);
  u->fired_fd = fd;
  on_ready(u);
  u->fired_fd = -1;
}

static void on_tick(uv_timer_t *t) { on_ready((uv_watch *)t->data); }

static void on_guard(uv_timer_t *t) {
  uv_watch *u = (uv_watch *)t->data;
  wl_fail(&u->st, "no progress for 30 s: the loop hung");
  stop(u);
}

static void test_uv_poll_loop_over_a_watch(void) {
  uv_watch *u = (uv_watch *)calloc(1, sizeof *u);
  int r;
  CU_ASSERT_FATAL(u != NULL);
  CU_ASSERT_EQUAL_FATAL(uv_loop_init(&u->loop), 0);
  uv_timer_init(&u->loop, &u->guard);
  uv_timer_init(&u->loop, &u->tick);
  u->guard.data = u->tick.data = u;
  u->pidfd = u->child_fd = u->fired_fd = u->reaped_by_fd = -1;
  if (wl_start(&u->st, N) == PIPC_OK && polls_start(u) == 0) {
    uv_timer_start(&u->guard, on_guard, 30000, 0);
    on_ready(u); /* once before the first wait */
    r = uv_run(&u->loop, UV_RUN_DEFAULT);
    CU_ASSERT_EQUAL(r, 0); /* nothing left active */
  } else {
    stop(u);
    uv_run(&u->loop, UV_RUN_DEFAULT);
  }
  printf("\n  %d uv_poll callbacks, %d rearms (%d with something ready)%s", u->callbacks,
         u->st.rearms, u->st.ready_rearms, u->st.had_no_handle ? ", rearm timer on" : "");
  printf("\n  ");
  CU_ASSERT_EQUAL(u->st.failed, 0);
  CU_ASSERT_EQUAL(u->st.qgot, N);
  CU_ASSERT_EQUAL(u->st.sgot, N);
  CU_ASSERT_EQUAL(u->st.pgot, N);
  CU_ASSERT(u->st.closed);
  CU_ASSERT(u->st.reaped);
  CU_ASSERT_EQUAL(u->st.exit_code, WL_CHILD_CODE);
  CU_ASSERT(u->callbacks > 0); /* it waited on the handles */
#ifdef __linux__
  /* the child's end came through its own handle: a uv_poll callback on the
     pidfd, the watch's only handle by then */
  if (!u->st.had_no_handle) {
    CU_ASSERT(u->child_fd >= 0);
    CU_ASSERT(u->reaped_by_fd >= 0 && u->reaped_by_fd == u->child_fd);
  }
#endif
  CU_ASSERT_EQUAL(wl_finish(&u->st), 0);
  CU_ASSERT_EQUAL(uv_loop_close(&u->loop), 0);
  free(u);
}

int main(int argc, char **argv) {
  static const char *const cases[] = {"uv_poll_loop_over_a_watch"};
  static CU_TestFunc const fns[] = {test_uv_poll_loop_over_a_watch};
  return wl_main(argc, argv, "libuv", cases, fns, (int)(sizeof fns / sizeof fns[0]));
}
