/* test_apr.c - include/pipc_apr.h with a real APR: error mapping both ways,
 * a pipe end as an apr_file_t, an apr_pollset event loop talking to
 * another process (this binary again, as `--child sender ...`), and an
 * apr_pollset loop over a pipc_watch of a Queue, a Semaphore and a pipe end
 * fed by another process (`--child feeder ...`).
 *   pipc-apr-tests              the suite
 *   pipc-apr-tests --child sender LISTENER SEM N
 *   pipc-apr-tests --child feeder QUEUE SEM PIPE-TOKEN N
 * Built where APR is found (POSIX; APR's Windows pollset takes sockets
 * only, see pipc_apr.h). */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipc_apr.h"

#define BIG (4u << 20)

static char self_exe[4096];

static void pattern(unsigned char *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) b[i] = (unsigned char)(i * 7u + (i >> 12));
}

/* ---------------------------------------------------------------- child */

static int child_sender(const char *listener, const char *semname, int n) {
  pipc_pipe *p = NULL;
  pipc_sem *s = NULL;
  unsigned char *big = (unsigned char *)malloc(BIG), *want = (unsigned char *)malloc(BIG);
  size_t len;
  char m[32];
  int i;
  if (big == NULL || want == NULL) return 10;
  if (pipc_pipe_connect(listener, &p, 10000) != PIPC_OK) return 11;
  if (pipc_sem_open(semname, &s) != PIPC_OK) return 12;
  for (i = 0; i < n; i++) {
    int k = snprintf(m, sizeof m, "m%d", i);
    if (pipc_pipe_send(p, m, (size_t)k, 10000) != PIPC_OK) return 13;
  }
  if (pipc_sem_post(s) != PIPC_OK) return 14; /* all n are in the socket */
  if (pipc_pipe_recv(p, big, BIG, &len, 30000) != PIPC_OK) return 15;
  pattern(want, BIG);
  if (len != BIG || memcmp(big, want, BIG) != 0) return 16;
  if (pipc_pipe_send(p, "ok", 2, 10000) != PIPC_OK) return 17;
  pipc_pipe_close(p);
  pipc_sem_close(s);
  free(big);
  free(want);
  return 0;
}

/* N rounds of: put "qI" into the queue, post the semaphore, send "pI" on
   the inherited pipe end; then close the end (the parent sees its end). */
static int child_feeder(const char *qname, const char *semname, const char *token, int n) {
  pipc_queue *q = NULL;
  pipc_sem *s = NULL;
  pipc_pipe *p = NULL;
  char m[32];
  size_t len;
  int i, k;
  if (pipc_queue_open(qname, &q) != PIPC_OK) return 20;
  if (pipc_sem_open(semname, &s) != PIPC_OK) return 21;
  if (pipc_pipe_import(token, &p) != PIPC_OK) return 22;
  /* Nothing before the parent's "go": it is armed and about to poll then,
     so its loop waits for at least one event however slow it runs. */
  if (pipc_pipe_recv(p, m, sizeof m, &len, 30000) != PIPC_OK || len != 2 || memcmp(m, "go", 2))
    return 23;
  for (i = 0; i < n; i++) {
    k = snprintf(m, sizeof m, "q%d", i);
    if (pipc_queue_put(q, m, (size_t)k, 30000) != PIPC_OK) return 23; /* waits while full */
    if (pipc_sem_post(s) != PIPC_OK) return 24;
    k = snprintf(m, sizeof m, "p%d", i);
    if (pipc_pipe_send(p, m, (size_t)k, 30000) != PIPC_OK) return 25;
  }
  if (pipc_pipe_close(p) != PIPC_OK) return 26;
  pipc_queue_close(q);
  pipc_sem_close(s);
  return 0;
}

/* ---------------------------------------------------------------- tests */

static void test_errors_map_both_ways(void) {
  static const int codes[] = {PIPC_OK,        PIPC_EINVAL,     PIPC_ENOMEM,   PIPC_EEXIST,
                              PIPC_ENOENT,    PIPC_EACCES,     PIPC_EAGAIN,   PIPC_ETIMEDOUT,
                              PIPC_EMSGSIZE,  PIPC_ECLOSED,    PIPC_EOVERFLOW, PIPC_EOWNERDEAD,
                              PIPC_ECORRUPT,  PIPC_ENOTSUP};
  char buf[128], buf2[128];
  size_t i;
  pipc_shm *sh = NULL;
  for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    apr_status_t st = pipc_apr_status(codes[i]);
    CU_ASSERT_EQUAL(pipc_apr_to_pipc(st), codes[i]);
    if (codes[i] != PIPC_OK) CU_ASSERT(st != APR_SUCCESS);
  }
  /* APR's own tests recognise the mapped codes */
  CU_ASSERT(APR_STATUS_IS_EINVAL(pipc_apr_status(PIPC_EINVAL)));
  CU_ASSERT(APR_STATUS_IS_ENOENT(pipc_apr_status(PIPC_ENOENT)));
  CU_ASSERT(APR_STATUS_IS_EEXIST(pipc_apr_status(PIPC_EEXIST)));
  CU_ASSERT(APR_STATUS_IS_EACCES(pipc_apr_status(PIPC_EACCES)));
  CU_ASSERT(APR_STATUS_IS_EAGAIN(pipc_apr_status(PIPC_EAGAIN)));
  CU_ASSERT(APR_STATUS_IS_TIMEUP(pipc_apr_status(PIPC_ETIMEDOUT)));
  CU_ASSERT(APR_STATUS_IS_EOF(pipc_apr_status(PIPC_ECLOSED)));
  CU_ASSERT(APR_STATUS_IS_ENOTIMPL(pipc_apr_status(PIPC_ENOTSUP)));
  CU_ASSERT_EQUAL(pipc_apr_to_pipc(APR_ETIMEDOUT), PIPC_ETIMEDOUT);
  CU_ASSERT_EQUAL(pipc_apr_to_pipc(APR_EBADF), PIPC_ESYS);
  CU_ASSERT_EQUAL(pipc_apr_status(-999), APR_EGENERAL);
  /* pipc's own codes are named by pipc_apr_strerror, APR's by APR */
  CU_ASSERT(PIPC_APR_IS_PIPC(pipc_apr_status(PIPC_EMSGSIZE)));
  CU_ASSERT(!PIPC_APR_IS_PIPC(pipc_apr_status(PIPC_ENOENT)));
  CU_ASSERT_STRING_EQUAL(pipc_apr_strerror(pipc_apr_status(PIPC_ECORRUPT), buf, sizeof buf),
                         pipc_strerror(PIPC_ECORRUPT));
  CU_ASSERT_STRING_EQUAL(pipc_apr_strerror(pipc_apr_status(PIPC_EOWNERDEAD), buf, sizeof buf),
                         pipc_strerror(PIPC_EOWNERDEAD));
  /* APR's codes keep APR's text */
  CU_ASSERT_STRING_EQUAL(pipc_apr_strerror(APR_TIMEUP, buf, sizeof buf),
                         apr_strerror(APR_TIMEUP, buf2, sizeof buf2));
  /* PIPC_ESYS carries the OS error behind the thread's last failure */
  CU_ASSERT_EQUAL(pipc_shm_open("pipc-apr-no-such-name", &sh), PIPC_ENOENT);
  CU_ASSERT_PTR_NULL(sh);
  if (pipc_last_os_error() != 0) {
    CU_ASSERT_EQUAL(pipc_apr_status(PIPC_ESYS), APR_FROM_OS_ERROR(pipc_last_os_error()));
    CU_ASSERT(APR_STATUS_IS_ENOENT(pipc_apr_status(PIPC_ESYS)));
  } else {
    CU_ASSERT_EQUAL(pipc_apr_status(PIPC_ESYS), APR_EGENERAL);
  }
}

static void test_file_put_does_not_own_the_pipe(void) {
  pipc_pipe *a = NULL, *b = NULL;
  apr_pool_t *pool = NULL;
  apr_file_t *f = NULL;
  apr_os_file_t fd = -1;
  intptr_t h = -1;
  char buf[8];
  size_t len;
  CU_ASSERT_EQUAL_FATAL(apr_pool_create(&pool, NULL), APR_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(pipc_pipe_pair(&a, &b), PIPC_OK);
  CU_ASSERT_EQUAL(pipc_apr_file_put(NULL, a, pool), APR_EINVAL);
  CU_ASSERT_EQUAL(pipc_apr_file_put(&f, NULL, pool), APR_EINVAL);
  CU_ASSERT_PTR_NULL(f);
  CU_ASSERT_EQUAL(pipc_apr_file_put(&f, a, pool), APR_SUCCESS);
  CU_ASSERT_EQUAL(apr_os_file_get(&fd, f), APR_SUCCESS);
  CU_ASSERT_EQUAL(pipc_pipe_os_handle(a, &h), PIPC_OK);
  CU_ASSERT_EQUAL((intptr_t)fd, h);
  apr_pool_destroy(pool); /* must not close the socket under pipc */
  CU_ASSERT_EQUAL(pipc_pipe_send(a, "x", 1, 1000), PIPC_OK);
  CU_ASSERT_EQUAL(pipc_pipe_recv(b, buf, sizeof buf, &len, 5000), PIPC_OK);
  CU_ASSERT_EQUAL(pipc_pipe_send(b, "y", 1, 1000), PIPC_OK);
  CU_ASSERT_EQUAL(pipc_pipe_recv(a, buf, sizeof buf, &len, 5000), PIPC_OK);
  CU_ASSERT(len == 1 && buf[0] == 'y');
  pipc_pipe_close(a);
  pipc_pipe_close(b);
}

/* Wait on ps; the number of descriptors signalled (0 on APR_TIMEUP). */
static int wait_set(apr_pollset_t *ps, int ms, const apr_pollfd_t **out, apr_int16_t *ev) {
  apr_int32_t n = 0;
  const apr_pollfd_t *d = NULL;
  apr_status_t st = apr_pollset_poll(ps, (apr_interval_time_t)ms * 1000, &n, &d);
  if (APR_STATUS_IS_TIMEUP(st) || APR_STATUS_IS_EINTR(st)) return 0;
  CU_ASSERT_EQUAL(st, APR_SUCCESS);
  if (st != APR_SUCCESS || n < 1) return 0;
  if (out) *out = d;
  if (ev) *ev = d[0].rtnevents;
  return (int)n;
}

/* The event loop of the rules in pipc_apr.h, against another process:
   a burst of N messages, one readiness event for several of them, drain
   until EAGAIN; then a 4 MiB reply sent with timeout 0 and finished by
   flush on APR_POLLOUT; then the peer's end as APR_EOF. */
static void test_pollset_event_loop_with_another_process(void) {
  enum { N = 50 };
  char lname[PIPC_NAME_MAX + 1], sname[PIPC_NAME_MAX + 1], nb[16], buf[64];
  const char *argv[8];
  pipc_listener *l = NULL;
  pipc_pipe *p = NULL;
  pipc_sem *s = NULL;
  pipc_process *child = NULL;
  apr_pool_t *pool = NULL;
  apr_pollset_t *ps = NULL;
  apr_pollfd_t pfd;
  const apr_pollfd_t *sig = NULL;
  apr_int16_t ev = 0;
  unsigned char *big = (unsigned char *)malloc(BIG);
  size_t len;
  int got = 0, wakeups = 0, rc, code = -1, i, flushes = 0;
  CU_ASSERT_FATAL(big != NULL);
  pattern(big, BIG);
  CU_ASSERT_EQUAL_FATAL(apr_pool_create(&pool, NULL), APR_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(apr_pollset_create(&ps, 4, pool, 0), APR_SUCCESS);
  snprintf(nb, sizeof nb, "%d", N);
  /* unique names (NULL): nothing a failed run left behind can collide */
  CU_ASSERT_EQUAL_FATAL(pipc_listener_create(NULL, &l), PIPC_OK);
  CU_ASSERT_EQUAL_FATAL(pipc_sem_create(NULL, 0, 1, &s), PIPC_OK);
  apr_cpystrn(lname, pipc_listener_name(l), sizeof lname);
  apr_cpystrn(sname, pipc_sem_name(s), sizeof sname);
  argv[0] = self_exe; argv[1] = "--child"; argv[2] = "sender";
  argv[3] = lname; argv[4] = sname; argv[5] = nb; argv[6] = NULL;
  CU_ASSERT_EQUAL_FATAL(pipc_process_spawn(argv, &child), PIPC_OK);
  CU_ASSERT_EQUAL_FATAL(pipc_listener_accept(l, &p, 10000), PIPC_OK);
  CU_ASSERT_EQUAL(pipc_apr_pollset_add(NULL, p, APR_POLLIN, NULL, pool, NULL), APR_EINVAL);
  CU_ASSERT_EQUAL_FATAL(pipc_apr_pollset_add(ps, p, APR_POLLIN, p, pool, &pfd), APR_SUCCESS);

  /* all N are in the socket before the first event is taken */
  CU_ASSERT_EQUAL(pipc_sem_wait(s, 10000), PIPC_OK);
  CU_ASSERT_EQUAL(wait_set(ps, 10000, &sig, &ev), 1);
  CU_ASSERT(sig && sig[0].client_data == p && (ev & APR_POLLIN));
  /* The trap the rules avoid: take one message, and the rest sit in
     pipc's buffer - the descriptor is no longer readable. */
  CU_ASSERT_EQUAL(pipc_pipe_recv(p, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 2 && memcmp(buf, "m0", 2) == 0);
  got = 1;
  CU_ASSERT_EQUAL(wait_set(ps, 0, NULL, NULL), 0);
  CU_ASSERT_EQUAL(pipc_pipe_poll(p, 0), 1);
  /* The rule: on readable, receive until PIPC_EAGAIN.  Here the loop also
     resumes from the buffered state (as after the trap above). */
  for (;;) {
    while ((rc = pipc_pipe_recv(p, buf, sizeof buf, &len, 0)) == PIPC_OK) {
      char want[32];
      int k = snprintf(want, sizeof want, "m%d", got);
      CU_ASSERT(len == (size_t)k && memcmp(buf, want, len) == 0);
      got++;
    }
    CU_ASSERT_EQUAL(pipc_apr_status(rc), APR_EAGAIN);
    if (got >= N || rc != PIPC_EAGAIN) break;
    if (wait_set(ps, 10000, NULL, NULL) == 0) break;
    wakeups++;
  }
  CU_ASSERT_EQUAL(got, N);
  CU_ASSERT_EQUAL(wakeups, 0); /* one event brought all of them */

  /* A large reply with timeout 0, finished from the event loop. */
  CU_ASSERT_EQUAL(pipc_pipe_send(p, big, BIG, 0), PIPC_OK);
  CU_ASSERT_EQUAL(apr_pollset_remove(ps, &pfd), APR_SUCCESS);
  CU_ASSERT_EQUAL(pipc_apr_pollset_add(ps, p, APR_POLLIN | APR_POLLOUT, p, pool, &pfd),
                  APR_SUCCESS);
  while ((rc = pipc_pipe_flush(p, 0)) == PIPC_EAGAIN && flushes < 100000) {
    if (wait_set(ps, 10000, NULL, &ev) == 0) break;
    flushes++;
  }
  CU_ASSERT_EQUAL(rc, PIPC_OK);
  CU_ASSERT_EQUAL(apr_pollset_remove(ps, &pfd), APR_SUCCESS);
  CU_ASSERT_EQUAL(pipc_apr_pollset_add(ps, p, APR_POLLIN, p, pool, &pfd), APR_SUCCESS);

  /* "ok", then the peer's end as APR_EOF */
  for (i = 0, rc = PIPC_EAGAIN; i < 100 && rc != PIPC_ECLOSED; i++) {
    if (wait_set(ps, 10000, NULL, NULL) == 0) break;
    while ((rc = pipc_pipe_recv(p, buf, sizeof buf, &len, 0)) == PIPC_OK)
      CU_ASSERT(len == 2 && memcmp(buf, "ok", 2) == 0);
  }
  CU_ASSERT(APR_STATUS_IS_EOF(pipc_apr_status(rc)));
  CU_ASSERT_EQUAL(pipc_process_wait(child, 30000, &code), PIPC_OK);
  CU_ASSERT_EQUAL(code, 0);
  if (code != 0) pipc_process_kill(child), pipc_process_wait(child, PIPC_FOREVER, NULL);
  pipc_process_free(child);
  pipc_pipe_close(p);
  pipc_listener_close(l);
  pipc_sem_close(s);
  pipc_sem_unlink(sname);
  apr_pool_destroy(pool);
  free(big);
}

/* Receive what is there (timeout-0 calls until PIPC_EAGAIN), checking that
   message number *got is "<tag><*got>": each one once, in order. */
static int drain_queue(pipc_queue *q, int *got, int n) {
  char buf[64], want[32];
  size_t len;
  int rc, k;
  while ((rc = pipc_queue_get(q, buf, sizeof buf, &len, 0)) == PIPC_OK) {
    k = snprintf(want, sizeof want, "q%d", *got);
    if (len != (size_t)k || memcmp(buf, want, len) != 0 || *got >= n) {
      printf("\n  queue: message %d is \"%.*s\"\n", *got, (int)len, buf);
      CU_FAIL("queue message out of order, twice or extra");
    }
    (*got)++;
  }
  return rc;
}

static int drain_pipe(pipc_pipe *p, int *got, int n) {
  char buf[64], want[32];
  size_t len;
  int rc, k;
  while ((rc = pipc_pipe_recv(p, buf, sizeof buf, &len, 0)) == PIPC_OK) {
    k = snprintf(want, sizeof want, "p%d", *got);
    if (len != (size_t)k || memcmp(buf, want, len) != 0 || *got >= n) {
      printf("\n  pipe: message %d is \"%.*s\"\n", *got, (int)len, buf);
      CU_FAIL("pipe message out of order, twice or extra");
    }
    (*got)++;
  }
  return rc;
}

/* pipc_apr_watch_add's loop (pipc_apr.h): a watch of a Queue, a Semaphore
   and a pipe end in an apr_pollset, fed by another process; everything
   arrives through events (each poll bounded at 10 s, a hang is a
   failure), every message once and in order. */
static void test_pollset_loop_over_a_watch(void) {
  enum { N = 500 };
  char token[64], nb[16], qname[PIPC_NAME_MAX + 1], sname[PIPC_NAME_MAX + 1];
  const char *argv[9];
  pipc_queue *q = NULL;
  pipc_sem *s = NULL;
  pipc_pipe *a = NULL, *b = NULL;
  pipc_process *child = NULL;
  pipc_waitable it[3];
  pipc_watch *w = NULL;
  apr_pool_t *pool = NULL;
  apr_pollset_t *ps = NULL;
  apr_pollfd_t *pfds = NULL;
  apr_size_t npfd = 0, i, pipe_pfd;
  intptr_t pipe_fd = -1;
  int qgot = 0, sgot = 0, pgot = 0, closed = 0, polls = 0, rc, code = -1;
  CU_ASSERT_EQUAL_FATAL(apr_pool_create(&pool, NULL), APR_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(apr_pollset_create(&ps, 8, pool, 0), APR_SUCCESS);
  /* a small queue: the feeder waits for room, the loop must keep up */
  CU_ASSERT_EQUAL_FATAL(pipc_queue_create(NULL, 8, 32, &q), PIPC_OK);
  CU_ASSERT_EQUAL_FATAL(pipc_sem_create(NULL, 0, 0, &s), PIPC_OK);
  CU_ASSERT_EQUAL_FATAL(pipc_pipe_pair(&a, &b), PIPC_OK);
  apr_cpystrn(qname, pipc_queue_name(q), sizeof qname);
  apr_cpystrn(sname, pipc_sem_name(s), sizeof sname);
  it[0] = pipc_wait_on_queue(q, PIPC_WAIT_IN);
  it[1] = pipc_wait_on_sem(s);
  it[2] = pipc_wait_on_pipe(a);
  CU_ASSERT_EQUAL_FATAL(pipc_watch_create(it, 3, &w), PIPC_OK);
  CU_ASSERT_EQUAL(pipc_apr_watch_add(NULL, w, NULL, pool, &pfds, &npfd), APR_EINVAL);
  CU_ASSERT_EQUAL(pipc_apr_watch_add(ps, NULL, NULL, pool, &pfds, &npfd), APR_EINVAL);
  CU_ASSERT_EQUAL(pipc_apr_watch_remove(NULL, pfds, 1), APR_EINVAL);
  CU_ASSERT_EQUAL_FATAL(pipc_apr_watch_add(ps, w, w, pool, &pfds, &npfd), APR_SUCCESS);
  CU_ASSERT_EQUAL(npfd, 2); /* the notifier, the pipe end */
  /* which descriptor is the pipe end's, to take it out at its end */
  CU_ASSERT_EQUAL(pipc_pipe_os_handle(a, &pipe_fd), PIPC_OK);
  for (pipe_pfd = npfd, i = 0; i < npfd; i++) {
    apr_os_file_t fd = -1;
    CU_ASSERT_EQUAL(apr_os_file_get(&fd, pfds[i].desc.f), APR_SUCCESS);
    CU_ASSERT_PTR_EQUAL(pfds[i].client_data, w);
    if ((intptr_t)fd == pipe_fd) pipe_pfd = i;
  }
  CU_ASSERT_FATAL(pipe_pfd < npfd);

  CU_ASSERT_EQUAL_FATAL(pipc_pipe_export(b, token, sizeof token), PIPC_OK);
  snprintf(nb, sizeof nb, "%d", N);
  argv[0] = self_exe; argv[1] = "--child"; argv[2] = "feeder"; argv[3] = qname;
  argv[4] = sname; argv[5] = token; argv[6] = nb; argv[7] = NULL;
  CU_ASSERT_EQUAL_FATAL(pipc_process_spawn(argv, &child), PIPC_OK);
  pipc_pipe_close(b); /* the child's now */

  CU_ASSERT_EQUAL(pipc_watch_rearm(w), 0); /* armed, nothing yet: the feeder waits for us */
  CU_ASSERT_EQUAL(pipc_pipe_send(a, "go", 2, 30000), PIPC_OK);
  for (;;) { /* wait for an event, then rearm until 0 */
    apr_int32_t nsig = 0;
    const apr_pollfd_t *sig = NULL;
    apr_status_t st = apr_pollset_poll(ps, (apr_interval_time_t)10000 * 1000, &nsig, &sig);
    if (APR_STATUS_IS_EINTR(st)) continue;
    if (st != APR_SUCCESS) {
      printf("\n  after %d polls: queue %d, sem %d, pipe %d of %d, closed %d\n", polls, qgot,
             sgot, pgot, N, closed);
      CU_FAIL("apr_pollset_poll: no event in 10 s (or an error)");
      break;
    }
    CU_ASSERT(nsig >= 1 && sig != NULL && sig[0].client_data == w);
    polls++;
    while ((rc = pipc_watch_rearm(w)) > 0) {
      CU_ASSERT_EQUAL(it[0].revents & PIPC_WAIT_ERR, 0);
      CU_ASSERT_EQUAL(it[1].revents & PIPC_WAIT_ERR, 0);
      CU_ASSERT_EQUAL(it[2].revents & PIPC_WAIT_ERR, 0);
      if (it[0].revents & PIPC_WAIT_IN) CU_ASSERT_EQUAL(drain_queue(q, &qgot, N), PIPC_EAGAIN);
      if (it[1].revents & PIPC_WAIT_IN)
        while (pipc_sem_wait(s, 0) == PIPC_OK) sgot++;
      if (it[2].revents & PIPC_WAIT_IN) {
        int prc = drain_pipe(a, &pgot, N);
        if (prc == PIPC_ECLOSED) { /* the end: readable for good, take it out */
          closed = 1;
          it[2].events = 0;
          CU_ASSERT_EQUAL(apr_pollset_remove(ps, &pfds[pipe_pfd]), APR_SUCCESS);
        } else {
          CU_ASSERT_EQUAL(prc, PIPC_EAGAIN);
        }
      }
    }
    CU_ASSERT_EQUAL(rc, 0);
    if (rc < 0 || (qgot >= N && sgot >= N && closed)) break;
  }
  CU_ASSERT_EQUAL(qgot, N);
  CU_ASSERT_EQUAL(sgot, N);
  CU_ASSERT_EQUAL(pgot, N);
  CU_ASSERT(closed);
  CU_ASSERT(polls >= 1); /* it waited for events: the feeder began only after
                            the loop had armed with nothing ready and polled */
  /* nothing left over */
  CU_ASSERT_EQUAL(pipc_sem_wait(s, 0), PIPC_EAGAIN);
  CU_ASSERT_EQUAL(drain_queue(q, &qgot, N), PIPC_EAGAIN);
  CU_ASSERT_EQUAL(pipc_process_wait(child, 30000, &code), PIPC_OK);
  CU_ASSERT_EQUAL(code, 0);
  if (code != 0) pipc_process_kill(child), pipc_process_wait(child, PIPC_FOREVER, NULL);
  pipc_process_free(child);
  /* out of the set, the pipe end's already (it was taken out above) */
  for (i = 0; i < npfd; i++)
    if (i != pipe_pfd) CU_ASSERT_EQUAL(apr_pollset_remove(ps, &pfds[i]), APR_SUCCESS);
  CU_ASSERT(APR_STATUS_IS_NOTFOUND(pipc_apr_watch_remove(ps, pfds, npfd)));
  CU_ASSERT_EQUAL(pipc_watch_close(w), PIPC_OK);
  pipc_pipe_close(a);
  pipc_queue_close(q);
  pipc_queue_unlink(qname);
  pipc_sem_close(s);
  pipc_sem_unlink(sname);
  apr_pool_destroy(pool);
}

/* pipc_apr_watch_add / _remove: all handles in, all out, in a NOCOPY set. */
static void test_watch_add_and_remove(void) {
  pipc_sem *s = NULL;
  pipc_pipe *a = NULL, *b = NULL;
  pipc_waitable it[2];
  pipc_watch *w = NULL;
  apr_pool_t *pool = NULL;
  apr_pollset_t *ps = NULL;
  apr_pollfd_t *pfds = NULL;
  apr_size_t n = 99;
  char sname[PIPC_NAME_MAX + 1];
  apr_int32_t nsig = 0;
  const apr_pollfd_t *sig = NULL;
  CU_ASSERT_EQUAL_FATAL(apr_pool_create(&pool, NULL), APR_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(apr_pollset_create(&ps, 4, pool, APR_POLLSET_NOCOPY), APR_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(pipc_sem_create(NULL, 0, 0, &s), PIPC_OK);
  apr_cpystrn(sname, pipc_sem_name(s), sizeof sname);
  CU_ASSERT_EQUAL_FATAL(pipc_pipe_pair(&a, &b), PIPC_OK);
  it[0] = pipc_wait_on_sem(s);
  it[1] = pipc_wait_on_pipe(a);
  CU_ASSERT_EQUAL_FATAL(pipc_watch_create(it, 2, &w), PIPC_OK);
  CU_ASSERT_EQUAL_FATAL(pipc_apr_watch_add(ps, w, NULL, pool, &pfds, &n), APR_SUCCESS);
  CU_ASSERT_EQUAL(n, 2);
  CU_ASSERT_EQUAL(pipc_watch_rearm(w), 0);
  CU_ASSERT(APR_STATUS_IS_TIMEUP(apr_pollset_poll(ps, 0, &nsig, &sig))); /* armed, quiet */
  CU_ASSERT_EQUAL(pipc_sem_post(s), PIPC_OK);
  CU_ASSERT_EQUAL(apr_pollset_poll(ps, (apr_interval_time_t)10000 * 1000, &nsig, &sig),
                  APR_SUCCESS);
  CU_ASSERT_EQUAL(pipc_watch_rearm(w), 1);
  CU_ASSERT_EQUAL(it[0].revents, PIPC_WAIT_IN);
  CU_ASSERT_EQUAL(pipc_sem_wait(s, 0), PIPC_OK);
  CU_ASSERT_EQUAL(pipc_watch_rearm(w), 0);
  CU_ASSERT_EQUAL(pipc_apr_watch_remove(ps, pfds, n), APR_SUCCESS);
  CU_ASSERT_EQUAL(pipc_sem_post(s), PIPC_OK);
  CU_ASSERT(APR_STATUS_IS_TIMEUP(apr_pollset_poll(ps, 0, &nsig, &sig))); /* none left in */
  CU_ASSERT_EQUAL(pipc_watch_close(w), PIPC_OK);
  pipc_pipe_close(a);
  pipc_pipe_close(b);
  pipc_sem_close(s);
  pipc_sem_unlink(sname);
  apr_pool_destroy(pool);
}

int main(int argc, char **argv) {
  CU_pSuite suite;
  unsigned failures;
  if (pipc_self_exe(self_exe, sizeof self_exe) != PIPC_OK) return 3;
  if (argc == 6 && strcmp(argv[1], "--child") == 0 && strcmp(argv[2], "sender") == 0)
    return child_sender(argv[3], argv[4], atoi(argv[5]));
  if (argc == 7 && strcmp(argv[1], "--child") == 0 && strcmp(argv[2], "feeder") == 0)
    return child_feeder(argv[3], argv[4], argv[5], atoi(argv[6]));
  if (apr_initialize() != APR_SUCCESS) return 3;
  if (CU_initialize_registry() != CUE_SUCCESS) return 3;
  suite = CU_add_suite("apr", NULL, NULL);
  if (suite == NULL ||
      !CU_add_test(suite, "errors_map_both_ways", test_errors_map_both_ways) ||
      !CU_add_test(suite, "file_put_does_not_own_the_pipe", test_file_put_does_not_own_the_pipe) ||
      !CU_add_test(suite, "pollset_event_loop_with_another_process",
                   test_pollset_event_loop_with_another_process) ||
      !CU_add_test(suite, "watch_add_and_remove", test_watch_add_and_remove) ||
      !CU_add_test(suite, "pollset_loop_over_a_watch", test_pollset_loop_over_a_watch))
    return 3;
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  apr_terminate();
  return failures ? 1 : 0;
}
