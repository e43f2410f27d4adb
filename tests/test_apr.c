/* test_apr.c - include/pipc_apr.h with a real APR: error mapping both ways,
 * a pipe end as an apr_file_t, and an apr_pollset event loop talking to
 * another process (this binary again, as `--child sender ...`).
 *   pipc-apr-tests              the suite
 *   pipc-apr-tests --child sender LISTENER SEM N
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

int main(int argc, char **argv) {
  CU_pSuite suite;
  unsigned failures;
  if (pipc_self_exe(self_exe, sizeof self_exe) != PIPC_OK) return 3;
  if (argc == 6 && strcmp(argv[1], "--child") == 0 && strcmp(argv[2], "sender") == 0)
    return child_sender(argv[3], argv[4], atoi(argv[5]));
  if (apr_initialize() != APR_SUCCESS) return 3;
  if (CU_initialize_registry() != CUE_SUCCESS) return 3;
  suite = CU_add_suite("apr", NULL, NULL);
  if (suite == NULL ||
      !CU_add_test(suite, "errors_map_both_ways", test_errors_map_both_ways) ||
      !CU_add_test(suite, "file_put_does_not_own_the_pipe", test_file_put_does_not_own_the_pipe) ||
      !CU_add_test(suite, "pollset_event_loop_with_another_process",
                   test_pollset_event_loop_with_another_process))
    return 3;
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  apr_terminate();
  return failures ? 1 : 0;
}
