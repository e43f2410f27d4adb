/* test_remote.c - remote queues (pipc serve / SCHEME://ENDPOINT/NAME) on
 * this machine: loopback TCP and ipc:// sockets.  A build without nng
 * checks that remote names are refused with PIPC_ENOTSUP and skips the
 * rest, counted, with the reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pipc_testing.h"

#include "os.h"

#define NO_NNG "built without nng: remote names are PIPC_ENOTSUP here"

static const pipc_remote_opts quick = {.connect_timeout_ms = 2000, .link_timeout_ms = 1500};

/* A local queue served at tcp://127.0.0.1:<port>; url gets its remote name. */
typedef struct served {
  char name[80], url[160];
  pipc_queue *local;
  pipc_server *srv;
} served;

/* A new local queue served at scheme://127.0.0.1:<any port> with o's
   settings (queues filled in here). */
static int serve_at(served *sv, const char *tag, size_t cap, size_t max, const char *scheme,
                    pipc_serve_opts *o) {
  const char *names[1];
  char url[64];
  int port = -1;
  memset(sv, 0, sizeof *sv);
  t_name(sv->name, sizeof sv->name, tag);
  if (pipc_queue_create(sv->name, cap, max, &sv->local) != PIPC_OK) return 0;
  names[0] = sv->name;
  o->queues = names;
  o->nqueues = 1;
  snprintf(url, sizeof url, "%s://127.0.0.1:0", scheme);
  if (pipc_serve_start(url, o, &sv->srv) != PIPC_OK) return 0;
  if (pipc_serve_port(sv->srv, &port) != PIPC_OK || port <= 0) return 0;
  snprintf(sv->url, sizeof sv->url, "%s://127.0.0.1:%d/%s", scheme, port, sv->name);
  return 1;
}

static int serve_tcp(served *sv, const char *tag, size_t cap, size_t max) {
  pipc_serve_opts o;
  memset(&o, 0, sizeof o);
  o.allow_plain = 1;
  return serve_at(sv, tag, cap, max, "tcp", &o);
}

static void unserve(served *sv) {
  if (sv->srv) pipc_serve_stop(sv->srv);
  if (sv->local) pipc_queue_close(sv->local);
  pipc_queue_unlink(sv->name);
}

void test_remote_names_and_support(void) {
  static const char *bad[] = {
      "tcp://", "tcp:///q", "tcp://127.0.0.1:7450", "tcp://127.0.0.1:7450/",
      "tcp://127.0.0.1:7450/a/b/../c?", "tcp://127.0.0.1/q", "tcp://host name:1/q",
      "udp://127.0.0.1:7450/q", "tls+tcp://127.0.0.1/q", "tls://127.0.0.1:7450/q", "ipc:///q", "://x/q",
      "tcp://127.0.0.1:7450/bad name", "ipc://relative.sock/", NULL};
  pipc_queue *q = NULL;
  char longurl[400];
  int i;
  for (i = 0; bad[i]; i++) {
    int rc = pipc_queue_open(bad[i], &q);
    if (rc != PIPC_EINVAL) fprintf(stderr, "%s: %s\n", bad[i], pipc_strerror(rc));
    CU_ASSERT_EQUAL(rc, PIPC_EINVAL);
    CU_ASSERT_PTR_NULL(q);
  }
  memset(longurl, 'h', sizeof longurl);
  memcpy(longurl, "tcp://", 6);
  strcpy(longurl + sizeof longurl - 10, ":1/name");
  T_RC(pipc_queue_open(longurl, &q), PIPC_EINVAL);
  /* a URL is no object name: create, unlink, name_check refuse it */
  T_RC(pipc_name_check("tcp://127.0.0.1:7450/q"), PIPC_EINVAL);
  T_RC(pipc_queue_create("tcp://127.0.0.1:7450/q", 4, 8, &q), PIPC_EINVAL);
  T_RC(pipc_queue_unlink("tcp://127.0.0.1:7450/q"), PIPC_EINVAL);
  T_RC(pipc_queue_open_remote("local-name", NULL, &q), PIPC_EINVAL);
  T_RC(pipc_queue_open_remote(NULL, NULL, &q), PIPC_EINVAL);
  T_RC(pipc_queue_open_remote("tcp://127.0.0.1:1/q", NULL, NULL), PIPC_EINVAL);
  {
    pipc_remote_opts neg = {.connect_timeout_ms = -1};
    T_RC(pipc_queue_open_remote("tcp://127.0.0.1:1/q", &neg, &q), PIPC_EINVAL);
  }
  if (pipc_remote_support() != NULL) { /* the build without nng says so */
    pipc_server *s = NULL;
    pipc_serve_opts o;
    const char *names[1] = {"q"};
    memset(&o, 0, sizeof o);
    o.queues = names, o.nqueues = 1, o.allow_plain = 1;
    CU_ASSERT(strstr(pipc_remote_support(), "nng") != NULL);
    T_RC(pipc_queue_open("tcp://127.0.0.1:7450/q", &q), PIPC_ENOTSUP);
    T_RC(pipc_serve_start("tcp://127.0.0.1:0", &o, &s), PIPC_ENOTSUP);
    CU_ASSERT_PTR_NULL(s);
    return;
  }
  /* nobody there: PIPC_ENOENT once the connect timeout is over */
  {
    int64_t t0 = t_now_ms();
    pipc_remote_opts o = {.connect_timeout_ms = 300};
    T_RC(pipc_queue_open_remote("tcp://127.0.0.1:1/q", &o, &q), PIPC_ENOENT);
    CU_ASSERT(t_now_ms() - t0 >= 250);
    CU_ASSERT_PTR_NULL(q);
  }
}

void test_remote_serve_bad_arguments(void) {
  pipc_server *s = NULL;
  pipc_serve_opts o;
  const char *names[2];
  char name[80];
  pipc_queue *q = NULL;
  int port;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  t_name(name, sizeof name, "rsbad");
  T_RC(pipc_queue_create(name, 4, 16, &q), PIPC_OK);
  memset(&o, 0, sizeof o);
  names[0] = name, names[1] = name;
  o.queues = names, o.nqueues = 1;
  T_RC(pipc_serve_start("tcp://127.0.0.1:0", &o, &s), PIPC_EINVAL); /* plain, not allowed */
  o.allow_plain = 1;
  T_RC(pipc_serve_start("tcp://127.0.0.1:0", NULL, &s), PIPC_EINVAL);
  T_RC(pipc_serve_start("tcp://127.0.0.1:0", &o, NULL), PIPC_EINVAL);
  T_RC(pipc_serve_start(NULL, &o, &s), PIPC_EINVAL);
  T_RC(pipc_serve_start("tcp://127.0.0.1:0/q", &o, &s), PIPC_EINVAL); /* a path */
  T_RC(pipc_serve_start("udp://127.0.0.1:0", &o, &s), PIPC_EINVAL);
  o.nqueues = 2; /* the same name twice */
  T_RC(pipc_serve_start("tcp://127.0.0.1:0", &o, &s), PIPC_EINVAL);
  o.nqueues = 0;
  T_RC(pipc_serve_start("tcp://127.0.0.1:0", &o, &s), PIPC_EINVAL);
  names[0] = "t-no-such-queue-here";
  o.nqueues = 1;
  T_RC(pipc_serve_start("tcp://127.0.0.1:0", &o, &s), PIPC_ENOENT);
  names[0] = "bad name";
  T_RC(pipc_serve_start("tcp://127.0.0.1:0", &o, &s), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(s);
  names[0] = name;
  T_RC(pipc_serve_start("tcp://127.0.0.1:0", &o, &s), PIPC_OK);
  T_RC(pipc_serve_port(s, &port), PIPC_OK);
  { /* the same address again: in use */
    pipc_server *s2 = NULL;
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    T_RC(pipc_serve_start(url, &o, &s2), PIPC_EEXIST);
    CU_ASSERT_PTR_NULL(s2);
  }
  T_RC(pipc_serve_port(NULL, &port), PIPC_EINVAL);
  T_RC(pipc_serve_port(s, NULL), PIPC_EINVAL);
  T_RC(pipc_serve_stop(s), PIPC_OK);
  T_RC(pipc_serve_stop(NULL), PIPC_EINVAL);
  pipc_queue_close(q);
  pipc_queue_unlink(name);
}

void test_remote_put_get_both_ways(void) {
  served sv;
  pipc_queue *r = NULL;
  char buf[64], big[65];
  size_t len = 0, depth = 9;
  pipc_queue_stat_t st;
  const void *msg;
  void *slot;
  pipc_waitable it;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  CU_ASSERT_FATAL(serve_tcp(&sv, "rpg", 4, 64));
  T_RC(pipc_queue_open_remote(sv.url, &quick, &r), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL);
  CU_ASSERT_STRING_EQUAL(pipc_queue_name(r), sv.url);
  /* remote put -> local get, in order, empty and full-size messages */
  memset(big, 'b', sizeof big);
  T_RC(pipc_queue_put(r, "one", 3, 1000), PIPC_OK);
  T_RC(pipc_queue_put(r, "", 0, 0), PIPC_OK);
  T_RC(pipc_queue_put(r, big, 64, PIPC_FOREVER), PIPC_OK);
  T_RC(pipc_queue_put(r, big, 65, 0), PIPC_EMSGSIZE); /* before any wait */
  T_RC(pipc_queue_size(r, &depth), PIPC_OK);
  CU_ASSERT_EQUAL(depth, 3);
  T_RC(pipc_queue_get(sv.local, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 3 && memcmp(buf, "one", 3) == 0);
  T_RC(pipc_queue_get(sv.local, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT_EQUAL(len, 0);
  T_RC(pipc_queue_get(sv.local, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 64 && memcmp(buf, big, 64) == 0);
  /* local put -> remote get; a buffer too small keeps the message */
  T_RC(pipc_queue_put(sv.local, "hello", 5, 0), PIPC_OK);
  T_RC(pipc_queue_get(r, buf, 2, &len, 0), PIPC_EMSGSIZE);
  CU_ASSERT_EQUAL(len, 5);
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 5 && memcmp(buf, "hello", 5) == 0);
  T_RC(pipc_queue_stat(r, &st), PIPC_OK);
  CU_ASSERT(st.capacity == 4 && st.max_msg_size == 64 && st.depth == 0 && !st.closed &&
            !st.poisoned);
  /* what a remote handle has not: said, not faked */
  T_RC(pipc_queue_reserve(r, 4, &slot, 0), PIPC_ENOTSUP);
  T_RC(pipc_queue_peek(r, &msg, &len, 0), PIPC_ENOTSUP);
  T_RC(pipc_queue_commit(r, 0), PIPC_EINVAL);
  T_RC(pipc_queue_release(r), PIPC_EINVAL);
  it = pipc_wait_on_queue(r, PIPC_WAIT_IN);
  T_RC(pipc_wait(&it, 1, 0), PIPC_ENOTSUP);
  /* bad arguments, as locally */
  T_RC(pipc_queue_put(r, NULL, 3, 0), PIPC_EINVAL);
  T_RC(pipc_queue_get(r, NULL, 3, &len, 0), PIPC_EINVAL);
  T_RC(pipc_queue_get(r, buf, sizeof buf, NULL, 0), PIPC_EINVAL);
  T_RC(pipc_queue_put(r, "x", 1, -2), PIPC_EINVAL);
  T_RC(pipc_queue_close(r), PIPC_OK);
  unserve(&sv);
}

/* A local put of "late" after late_ms, from a thread. */
static pipc_queue *late_q;
static int late_ms;
static void late_put(void *arg) {
  (void)arg;
  pipc_sleep_ms(late_ms);
  pipc_queue_put(late_q, "late", 4, 0);
}

void test_remote_timeouts_as_local(void) {
  served sv;
  pipc_queue *r = NULL;
  char buf[16];
  size_t len = 0, depth = 0;
  int64_t t0;
  t_thread *th;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  CU_ASSERT_FATAL(serve_tcp(&sv, "rto", 2, 16));
  T_RC(pipc_queue_open_remote(sv.url, &quick, &r), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL);
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  t0 = t_now_ms();
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, 200), PIPC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 190);
  T_RC(pipc_queue_put(r, "a", 1, 0), PIPC_OK);
  T_RC(pipc_queue_put(r, "b", 1, 0), PIPC_OK);
  T_RC(pipc_queue_put(r, "c", 1, 0), PIPC_EAGAIN); /* full */
  t0 = t_now_ms();
  T_RC(pipc_queue_put(r, "c", 1, 200), PIPC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 190);
  T_RC(pipc_queue_size(sv.local, &depth), PIPC_OK);
  CU_ASSERT_EQUAL(depth, 2); /* the timed-out puts stored nothing */
  T_RC(pipc_queue_get(sv.local, buf, sizeof buf, &len, 0), PIPC_OK);
  T_RC(pipc_queue_get(sv.local, buf, sizeof buf, &len, 0), PIPC_OK);
  /* a remote get that waits forever is woken by a local put */
  late_q = sv.local;
  late_ms = 300;
  th = t_thread_start(late_put, NULL);
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, PIPC_FOREVER), PIPC_OK);
  CU_ASSERT(len == 4 && memcmp(buf, "late", 4) == 0);
  t_thread_join(th);
  pipc_queue_close(r);
  unserve(&sv);
}

void test_remote_shutdown_drains(void) {
  served sv;
  pipc_queue *r = NULL;
  char buf[16];
  size_t len = 0;
  pipc_queue_stat_t st;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  CU_ASSERT_FATAL(serve_tcp(&sv, "rsd", 4, 16));
  T_RC(pipc_queue_open_remote(sv.url, &quick, &r), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL);
  T_RC(pipc_queue_put(sv.local, "x", 1, 0), PIPC_OK);
  T_RC(pipc_queue_shutdown(r), PIPC_OK);
  T_RC(pipc_queue_put(sv.local, "y", 1, 0), PIPC_ECLOSED);
  T_RC(pipc_queue_put(r, "y", 1, 0), PIPC_ECLOSED);
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, PIPC_FOREVER), PIPC_OK); /* drains */
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, PIPC_FOREVER), PIPC_ECLOSED);
  T_RC(pipc_queue_stat(r, &st), PIPC_OK);
  CU_ASSERT(st.closed == 1);
  pipc_queue_close(r);
  unserve(&sv);
}

void test_remote_not_served_is_enoent(void) {
  served sv;
  pipc_queue *r = NULL;
  char url[200];
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  CU_ASSERT_FATAL(serve_tcp(&sv, "rns", 4, 16));
  snprintf(url, sizeof url, "%.*sother", (int)(strrchr(sv.url, '/') + 1 - sv.url), sv.url);
  T_RC(pipc_queue_open_remote(url, &quick, &r), PIPC_ENOENT);
  CU_ASSERT_PTR_NULL(r);
  unserve(&sv);
}

/* Replies lost with their connections: nng sends the request again after
   it redials, and the server answers the copy from what it kept - each
   put stored once, each message got once, in order. */
void test_remote_exactly_once_when_replies_are_lost(void) {
  served sv;
  pipc_queue *r = NULL;
  char buf[32];
  size_t len = 0, depth = 0;
  int i, bad = 0;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  CU_ASSERT_FATAL(serve_tcp(&sv, "reo", 256, 32));
  T_RC(pipc_queue_open_remote(sv.url, &quick, &r), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL);
  pipc__store32(&pipc__remote_drop_replies, 10);
  for (i = 0; i < 100; i++) {
    char m[16];
    int n = snprintf(m, sizeof m, "m%d", i);
    if (i % 10 == 3) pipc__add32(&pipc__remote_drop_replies, 1);
    if (pipc_queue_put(r, m, (size_t)n, 5000) != PIPC_OK) bad++;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(pipc__load32(&pipc__remote_drop_replies), 0); /* every drop happened */
  T_RC(pipc_queue_size(sv.local, &depth), PIPC_OK);
  CU_ASSERT_EQUAL(depth, 100);
  /* and back: gets whose replies are lost give each message once */
  pipc__store32(&pipc__remote_drop_replies, 20);
  for (i = 0; i < 100; i++) {
    char want[16];
    int n = snprintf(want, sizeof want, "m%d", i);
    if (pipc_queue_get(r, buf, sizeof buf, &len, 5000) != PIPC_OK || len != (size_t)n ||
        memcmp(buf, want, len) != 0)
      bad++;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(pipc__load32(&pipc__remote_drop_replies), 0);
  T_RC(pipc_queue_get(sv.local, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  pipc__store32(&pipc__remote_drop_replies, 0);
  pipc_queue_close(r);
  unserve(&sv);
}

/* The server goes away: a call gives up after its link allowance with
   PIPC_ECLOSED; back again (a new server, same address), the handle opens
   the queue again by itself. */
void test_remote_server_restarts(void) {
  char name[80], url[300], surl[200], buf[16];
  pipc_queue *local = NULL, *r = NULL;
  pipc_server *s = NULL;
  pipc_serve_opts o;
  const char *names[1];
  size_t len = 0;
  int64_t t0;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  t_name(name, sizeof name, "rrs");
  t_os_ipc_url(surl, sizeof surl, name);
  snprintf(url, sizeof url, "%s/%s", surl, name);
  T_RC(pipc_queue_create(name, 8, 16, &local), PIPC_OK);
  names[0] = name;
  memset(&o, 0, sizeof o);
  o.queues = names, o.nqueues = 1;
  T_RC(pipc_serve_start(surl, &o, &s), PIPC_OK);
  T_RC(pipc_queue_open_remote(url, &quick, &r), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL && s != NULL);
  T_RC(pipc_queue_put(r, "1", 1, 0), PIPC_OK);
  T_RC(pipc_serve_stop(s), PIPC_OK);
  s = NULL;
  t0 = t_now_ms();
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, 100), PIPC_ECLOSED);
  CU_ASSERT(t_now_ms() - t0 >= 1000); /* its timeout + the link allowance */
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, PIPC_FOREVER), PIPC_ECLOSED); /* link down */
  T_RC(pipc_serve_start(surl, &o, &s), PIPC_OK);
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, 5000), PIPC_OK);
  CU_ASSERT(len == 1 && buf[0] == '1');
  T_RC(pipc_queue_put(r, "2", 1, 0), PIPC_OK);
  T_RC(pipc_queue_get(local, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 1 && buf[0] == '2');
  pipc_queue_close(r);
  pipc_serve_stop(s);
  pipc_queue_close(local);
  pipc_queue_unlink(name);
}

/* A server's ipc:// endpoint is its user's only, as every pipc object:
   POSIX the socket file 0600 (umask 0 here: pipc's doing), Windows the
   named pipe's DACL - nng makes it with the default DACL (and refuses the
   permissions option) unless pipc gives it a security descriptor.  Looked
   at last: on Windows that opens a client end of the pipe, and under Wine
   nng 1.5.2's ipc listener accepts nothing more after a client end that
   connected and closed without a word (docs/remote.md). */
void test_remote_ipc_owner_only(void) {
  char name[80], url[300], surl[200], why[300] = "", buf[4];
  pipc_queue *local = NULL, *r = NULL;
  pipc_server *s = NULL;
  pipc_serve_opts o;
  const char *names[1];
  size_t len = 0;
  unsigned saved;
  int owner_only;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  t_name(name, sizeof name, "rio");
  t_os_ipc_url(surl, sizeof surl, name);
  snprintf(url, sizeof url, "%s/%s", surl, name);
  T_RC(pipc_queue_create(name, 4, 16, &local), PIPC_OK);
  names[0] = name;
  memset(&o, 0, sizeof o);
  o.queues = names, o.nqueues = 1;
  saved = t_os_loosen_defaults();
  T_RC(pipc_serve_start(surl, &o, &s), PIPC_OK);
  t_os_restore_defaults(saved);
  CU_ASSERT_FATAL(s != NULL);
  /* its owner uses it */
  T_RC(pipc_queue_open_remote(url, &quick, &r), PIPC_OK);
  T_RC(pipc_queue_put(r, "x", 1, 5000), PIPC_OK);
  T_RC(pipc_queue_get(local, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 1 && buf[0] == 'x');
  owner_only = t_os_ipc_owner_only(surl, why, sizeof why);
  if (owner_only != 1) fprintf(stderr, "\n  %s", why);
  CU_ASSERT_EQUAL(owner_only, 1);
  if (r) pipc_queue_close(r);
  pipc_serve_stop(s);
  pipc_queue_close(local);
  pipc_queue_unlink(name);
}

/* A process of its own puts through a remote handle: `remote_put URL N`. */
int role_remote_put(int argc, char **argv) {
  pipc_queue *r = NULL;
  int i, n;
  if (argc < 3 || pipc_queue_open(argv[1], &r) != PIPC_OK) return 10;
  n = atoi(argv[2]);
  for (i = 0; i < n; i++)
    if (pipc_queue_put(r, &i, sizeof i, 10000) != PIPC_OK) return 11;
  return pipc_queue_close(r) == PIPC_OK ? 0 : 12;
}

/* Three processes and this one's threads put at once: each message once. */
void test_remote_many_producers(void) {
  served sv;
  pipc_process *p[3];
  unsigned char seen[3000];
  int i, bad = 0, got = 0;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  CU_ASSERT_FATAL(serve_tcp(&sv, "rmp", 64, 16));
  for (i = 0; i < 3; i++) p[i] = t_spawn("remote_put", sv.url, "1000", NULL);
  memset(seen, 0, sizeof seen);
  while (got < 3000) {
    int v;
    size_t len;
    int rc = pipc_queue_get(sv.local, &v, sizeof v, &len, 20000);
    if (rc != PIPC_OK || len != sizeof v || v < 0 || v >= 1000) {
      bad++;
      break;
    }
    got++;
    /* producers are not told apart: each value must come 3 times */
    seen[v]++;
  }
  for (i = 0; i < 3; i++) CU_ASSERT_EQUAL(t_join(p[i], 30000), 0);
  for (i = 0; i < 1000; i++)
    if (seen[i] != 3) bad++;
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(got, 3000);
  unserve(&sv);
}

/* ---- many threads on one handle, the server killed and started again
   under them (test_remote_threads_across_serve_kills, below) ---- */

#define MT_THREADS 24 /* more than a handle's 16 lanes */
#define MT_EACH 150

static struct {
  pipc_queue *r;
  unsigned char result[MT_THREADS * MT_EACH]; /* 1 OK, 2 ECLOSED, 3 other */
} mt;

static void mt_putter(void *arg) {
  unsigned base = (unsigned)(uintptr_t)arg * MT_EACH, i;
  for (i = 0; i < MT_EACH; i++) {
    unsigned v = base + i;
    int rc = pipc_queue_put(mt.r, &v, sizeof v, 20000);
    mt.result[v] = rc == PIPC_OK ? 1 : rc == PIPC_ECLOSED ? 2 : 3;
  }
}

/* remote_mt URL SHM: MT_THREADS threads put MT_EACH values each through one
   handle to URL, and each put's result goes into the shared memory SHM
   (mt.result's codes); then the handle asks for the queue's size (it goes
   on with the last server, and that server is past its start).  Exit 10:
   no handle; 11: no size. */
int role_remote_mt(int argc, char **argv) {
  pipc_remote_opts ro = {.connect_timeout_ms = 10000, .link_timeout_ms = 5000};
  t_thread *th[MT_THREADS];
  pipc_shm *shm = NULL;
  size_t depth;
  int k, rc;
  if (argc < 3 || pipc_shm_open(argv[2], &shm) != PIPC_OK) return 10;
  memset(&mt, 0, sizeof mt);
  if (pipc_queue_open_remote(argv[1], &ro, &mt.r) != PIPC_OK) return 10;
  for (k = 0; k < MT_THREADS; k++) th[k] = t_thread_start(mt_putter, (void *)(uintptr_t)k);
  for (k = 0; k < MT_THREADS; k++) t_thread_join(th[k]);
  rc = pipc_queue_size(mt.r, &depth);
  memcpy(pipc_shm_addr(shm), mt.result, sizeof mt.result);
  pipc_shm_close(shm);
  pipc_queue_close(mt.r);
  return rc == PIPC_OK ? 0 : 11;
}

/* Every lane busy: the next call waits for one no longer than its own
   timeout; and a stop answers the waiting calls at once. */
static pipc_queue *busy_r;
static volatile uint32_t busy_got;
static void busy_getter(void *arg) {
  char buf[16];
  size_t len;
  int rc = pipc_queue_get(busy_r, buf, sizeof buf, &len, PIPC_FOREVER);
  (void)arg;
  if (rc == PIPC_ECLOSED) pipc__add32(&busy_got, 1);
}

void test_remote_lanes_busy_and_stop_answers(void) {
  served sv;
  t_thread *th[16];
  int k;
  int64_t t0;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  CU_ASSERT_FATAL(serve_tcp(&sv, "rlb", 4, 16));
  {
    pipc_remote_opts ro = {.connect_timeout_ms = 2000, .link_timeout_ms = 8000};
    T_RC(pipc_queue_open_remote(sv.url, &ro, &busy_r), PIPC_OK);
  }
  CU_ASSERT_FATAL(busy_r != NULL);
  busy_got = 0;
  for (k = 0; k < 16; k++) th[k] = t_thread_start(busy_getter, NULL);
  pipc_sleep_ms(500); /* all 16 lanes wait at the server */
  T_RC(pipc_queue_put(busy_r, "x", 1, 0), PIPC_EAGAIN);
  t0 = t_now_ms();
  T_RC(pipc_queue_put(busy_r, "x", 1, 200), PIPC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 190);
  t0 = t_now_ms();
  T_RC(pipc_serve_stop(sv.srv), PIPC_OK);
  sv.srv = NULL;
  for (k = 0; k < 16; k++) t_thread_join(th[k]);
  CU_ASSERT_EQUAL(busy_got, 16);       /* each told PIPC_ECLOSED ... */
  CU_ASSERT(t_now_ms() - t0 < 4000);   /* ... by the stop, not by a timeout */
  pipc_queue_close(busy_r);
  unserve(&sv);
}

/* A server answers a waiting request once a slice (test: 200 ms) has gone
   by: the client asks again with what is left - a get across many slices
   still gets its message, a timed one still times out on time. */

void test_remote_waits_in_slices(void) {
  served sv;
  pipc_queue *r = NULL;
  char buf[16];
  size_t len = 0;
  int64_t t0;
  t_thread *th;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  pipc__store32(&pipc__remote_slice_ms, 200);
  CU_ASSERT_FATAL(serve_tcp(&sv, "rws", 4, 16));
  T_RC(pipc_queue_open_remote(sv.url, &quick, &r), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL);
  t0 = t_now_ms();
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, 1000), PIPC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 990 && t_now_ms() - t0 < 3000);
  late_q = sv.local;
  late_ms = 900;
  th = t_thread_start(late_put, NULL);
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, PIPC_FOREVER), PIPC_OK);
  CU_ASSERT(len == 4 && memcmp(buf, "late", 4) == 0);
  t_thread_join(th);
  T_RC(pipc_queue_get(sv.local, buf, sizeof buf, &len, 0), PIPC_EAGAIN); /* taken once */
  pipc__store32(&pipc__remote_slice_ms, 0);
  pipc_queue_close(r);
  unserve(&sv);
}

/* A server that keeps more handles than it may forgets the least recently
   used one's session; that handle's next put is not run twice, not lost,
   and not failed: the server says it does not know it, nothing reached a
   server that went, so the handle opens again and puts once. */
void test_remote_forgotten_handle_goes_on(void) {
  served sv;
  pipc_queue *r[3] = {NULL, NULL, NULL};
  size_t depth = 0;
  int k;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  pipc__store32(&pipc__remote_sessions_max, 2);
  CU_ASSERT_FATAL(serve_tcp(&sv, "rfh", 16, 16));
  for (k = 0; k < 3; k++) { /* the third crowds the first out */
    T_RC(pipc_queue_open_remote(sv.url, &quick, &r[k]), PIPC_OK);
    if (r[k]) T_RC(pipc_queue_put(r[k], "a", 1, 0), PIPC_OK);
  }
  if (r[0]) T_RC(pipc_queue_put(r[0], "b", 1, 0), PIPC_OK);
  T_RC(pipc_queue_size(sv.local, &depth), PIPC_OK);
  CU_ASSERT_EQUAL(depth, 4);
  pipc__store32(&pipc__remote_sessions_max, 0);
  for (k = 0; k < 3; k++)
    if (r[k]) pipc_queue_close(r[k]);
  unserve(&sv);
}

/* nng 1.5.2's reaper can wedge a client's socket for good (its dead
   connection never reaped, no redial: docs/remote.md), played here by
   pipc__remote_client_deaf.  A put that finds its handle's socket so goes
   on once the handle has closed the silent connection and no new one came
   within the link allowance: the handle makes a new socket and sends the
   request again there, with its seq - stored once, PIPC_OK within its
   timeout; and the handle goes on from there. */
void test_remote_wedged_socket_replaced(void) {
  served sv;
  pipc_queue *r = NULL;
  char buf[8];
  size_t len, depth = 0;
  int64_t t0, took;
  int rc;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  CU_ASSERT_FATAL(serve_tcp(&sv, "rws", 16, 16));
  T_RC(pipc_queue_open_remote(sv.url, &quick, &r), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL);
  T_RC(pipc_queue_put(r, "a", 1, 1000), PIPC_OK);
  pipc__store32(&pipc__remote_client_deaf, pipc__load32(&pipc__remote_client_socks));
  t0 = t_now_ms();
  /* silent for a slice (5 s) plus the link allowance (1.5 s): the
     connection closed; none for 1.5 s more: a new socket */
  rc = pipc_queue_put(r, "b", 1, 12000);
  took = t_now_ms() - t0;
  pipc__store32(&pipc__remote_client_deaf, 0);
  T_RC(rc, PIPC_OK);
  CU_ASSERT(took >= 7000 && took < 12000);
  T_RC(pipc_queue_put(r, "c", 1, 1000), PIPC_OK); /* at once: the new socket */
  T_RC(pipc_queue_size(sv.local, &depth), PIPC_OK);
  CU_ASSERT_EQUAL(depth, 3);
  T_RC(pipc_queue_get(sv.local, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 1 && buf[0] == 'a');
  T_RC(pipc_queue_get(sv.local, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 1 && buf[0] == 'b');
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, 1000), PIPC_OK);
  CU_ASSERT(len == 1 && buf[0] == 'c');
  pipc_queue_close(r);
  unserve(&sv);
}

/* ---- TLS: certificates made here with openssl (a CA, a rogue CA, a
   server certificate for pipc-b.test, a client one of each CA), or taken
   from PIPC_TEST_TLS_DIR (tests/make-certs.sh, the same commands) ---- */

static char tls_dir[200];
static int tls_given; /* tls_dir is PIPC_TEST_TLS_DIR: kept, not ours to remove */

static int make_certs(void) {
  static const char *script =
      "set -e; cd \"$1\"\n"
      "k() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
      "-subj /CN=$1 -keyout $1.key -out $1.crt 2>/dev/null; }\n"
      "k ca; k rogue\n"
      "s() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=$2 "
      "-keyout $1.key -out $1.csr 2>/dev/null\n"
      "  printf 'subjectAltName=DNS:%s\\nextendedKeyUsage=%s\\n' $2 $4 > $1.ext\n"
      "  openssl x509 -req -in $1.csr -CA $3.crt -CAkey $3.key -CAcreateserial -days 1 "
      "-extfile $1.ext -out $1.crt 2>/dev/null; }\n"
      "s server pipc-b.test ca serverAuth\n"
      "s client pipc-a.test ca clientAuth\n"
      "s rclient pipc-a.test rogue clientAuth\n";
  const char *argv[] = {"sh", "-c", script, "sh", tls_dir, NULL};
  const char *probe[] = {"sh", "-c", "openssl version >/dev/null", NULL};
  pipc_process *p;
  int code = -1;
  char name[80];
  const char *given = getenv("PIPC_TEST_TLS_DIR");
  if (given && *given) { /* made by the ctest fixture tls.certs (tests/make-certs.sh) */
    snprintf(tls_dir, sizeof tls_dir, "%s/rclient.crt", given);
    if (!t_os_path_exists(tls_dir)) return 0;
    snprintf(tls_dir, sizeof tls_dir, "%s", given);
    tls_given = 1;
    return 1;
  }
  if (pipc_process_spawn(probe, &p) != PIPC_OK) return 0; /* no openssl here */
  pipc_process_wait(p, 10000, &code);
  pipc_process_free(p);
  if (code != 0) return 0;
  t_name(name, sizeof name, "tls");
  snprintf(tls_dir, sizeof tls_dir, "/tmp/pipc-%s", name);
  {
    const char *mk[] = {"mkdir", "-p", tls_dir, NULL};
    if (pipc_process_spawn(mk, &p) != PIPC_OK) return 0;
    pipc_process_wait(p, 10000, &code);
    pipc_process_free(p);
  }
  if (pipc_process_spawn(argv, &p) != PIPC_OK) return 0;
  code = -1;
  pipc_process_wait(p, 60000, &code);
  pipc_process_free(p);
  return code == 0;
}

static void drop_certs(void) {
  const char *rm[] = {"rm", "-rf", tls_dir, NULL};
  pipc_process *p;
  int code;
  if (tls_given) return;
  if (tls_dir[0] && pipc_process_spawn(rm, &p) == PIPC_OK) {
    pipc_process_wait(p, 10000, &code);
    pipc_process_free(p);
  }
}

static char *tls_file(const char *base) {
  static char bufs[8][260];
  static int n;
  char *b = bufs[n++ % 8];
  snprintf(b, 260, "%s/%s", tls_dir, base);
  return b;
}

/* Served over tls+tcp with the server's certificate: clients must have
   one the CA signed. */
static int serve_tls(served *sv, const char *tag) {
  pipc_serve_opts o;
  memset(&o, 0, sizeof o);
  o.cert_file = tls_file("server.crt");
  o.key_file = tls_file("server.key");
  o.ca_file = tls_file("ca.crt");
  return serve_at(sv, tag, 16, 64, "tls+tcp", &o);
}

static pipc_remote_opts client_opts(const char *cert, const char *key, const char *ca,
                                    const char *server_name) {
  pipc_remote_opts o;
  memset(&o, 0, sizeof o);
  o.connect_timeout_ms = 2000;
  o.link_timeout_ms = 1500;
  o.cert_file = cert;
  o.key_file = key;
  o.ca_file = ca;
  o.server_name = server_name;
  return o;
}

void test_remote_tls_both_sides_checked(void) {
  served sv;
  pipc_queue *r = NULL;
  pipc_remote_opts o;
  char buf[16];
  size_t len = 0, depth = 9;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  if (!make_certs()) {
    drop_certs();
    T_SKIP("no openssl to make certificates with");
  }
  CU_ASSERT_FATAL(serve_tls(&sv, "rtls"));
  /* the right certificates both ways */
  o = client_opts(tls_file("client.crt"), tls_file("client.key"), tls_file("ca.crt"), "pipc-b.test");
  T_RC(pipc_queue_open_remote(sv.url, &o, &r), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL);
  T_RC(pipc_queue_put(r, "secret", 6, 1000), PIPC_OK);
  T_RC(pipc_queue_get(sv.local, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 6 && memcmp(buf, "secret", 6) == 0);
  pipc_queue_close(r);
  r = NULL;
  /* refused: a client certificate another CA signed, none at all, the
     server's certificate not carrying the name asked for, a CA that did
     not sign the server's */
  o = client_opts(tls_file("rclient.crt"), tls_file("rclient.key"), tls_file("ca.crt"), "pipc-b.test");
  T_RC(pipc_queue_open_remote(sv.url, &o, &r), PIPC_EACCES);
  o = client_opts(NULL, NULL, tls_file("ca.crt"), "pipc-b.test");
  T_RC(pipc_queue_open_remote(sv.url, &o, &r), PIPC_EACCES);
  o = client_opts(tls_file("client.crt"), tls_file("client.key"), tls_file("ca.crt"), "other.test");
  T_RC(pipc_queue_open_remote(sv.url, &o, &r), PIPC_EACCES);
  o = client_opts(tls_file("client.crt"), tls_file("client.key"), tls_file("rogue.crt"), "pipc-b.test");
  T_RC(pipc_queue_open_remote(sv.url, &o, &r), PIPC_EACCES);
  o = client_opts(tls_file("client.crt"), tls_file("client.key"), tls_file("ca.crt"), NULL);
  T_RC(pipc_queue_open_remote(sv.url, &o, &r), PIPC_EACCES); /* 127.0.0.1 is not its name */
  CU_ASSERT_PTR_NULL(r);
  T_RC(pipc_queue_size(sv.local, &depth), PIPC_OK);
  CU_ASSERT_EQUAL(depth, 0); /* nothing got through */
  /* plain tcp to a TLS server: no answer it understands */
  {
    char plain[200];
    pipc_remote_opts q2 = {.connect_timeout_ms = 500, .link_timeout_ms = 500};
    snprintf(plain, sizeof plain, "%s", sv.url + 4); /* "tcp://..." */
    CU_ASSERT_NOT_EQUAL(pipc_queue_open_remote(plain, &q2, &r), PIPC_OK);
    CU_ASSERT_PTR_NULL(r);
  }
  unserve(&sv);
  drop_certs();
}

void test_remote_tls_settings(void) {
  served sv;
  pipc_queue *r = NULL;
  pipc_server *s = NULL;
  pipc_serve_opts so;
  pipc_remote_opts o;
  const char *names[1];
  char buf[8];
  size_t len;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  if (!make_certs()) {
    drop_certs();
    T_SKIP("no openssl to make certificates with");
  }
  CU_ASSERT_FATAL(serve_tls(&sv, "rtlss"));
  /* the server needs all three files, each a PEM file that exists */
  names[0] = sv.name;
  memset(&so, 0, sizeof so);
  so.queues = names, so.nqueues = 1;
  T_RC(pipc_serve_start("tls+tcp://127.0.0.1:0", &so, &s), PIPC_EINVAL);
  so.cert_file = tls_file("server.crt"), so.key_file = tls_file("server.key");
  T_RC(pipc_serve_start("tls+tcp://127.0.0.1:0", &so, &s), PIPC_EINVAL);
  so.ca_file = tls_file("no-such.crt");
  T_RC(pipc_serve_start("tls+tcp://127.0.0.1:0", &so, &s), PIPC_ENOENT);
  so.ca_file = tls_file("server.csr"); /* PEM, but no certificate */
  T_RC(pipc_serve_start("tls+tcp://127.0.0.1:0", &so, &s), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(s);
  /* (a key that is not the certificate's is taken here and fails every
     handshake: nng 1.5 does not compare them) */
  /* a client: no CA is PIPC_EINVAL, a key without a certificate too */
  t_os_setenv("PIPC_TLS_CA", NULL);
  o = client_opts(tls_file("client.crt"), tls_file("client.key"), NULL, "pipc-b.test");
  T_RC(pipc_queue_open_remote(sv.url, &o, &r), PIPC_EINVAL);
  o = client_opts(NULL, tls_file("client.key"), tls_file("ca.crt"), "pipc-b.test");
  T_RC(pipc_queue_open_remote(sv.url, &o, &r), PIPC_EINVAL);
  o = client_opts(tls_file("missing.crt"), tls_file("client.key"), tls_file("ca.crt"), "pipc-b.test");
  T_RC(pipc_queue_open_remote(sv.url, &o, &r), PIPC_ENOENT);
  /* the environment: a plain pipc_queue_open(url) uses TLS */
  t_os_setenv("PIPC_TLS_CERT", tls_file("client.crt"));
  t_os_setenv("PIPC_TLS_KEY", tls_file("client.key"));
  t_os_setenv("PIPC_TLS_CA", tls_file("ca.crt"));
  t_os_setenv("PIPC_TLS_SERVER_NAME", "pipc-b.test");
  T_RC(pipc_queue_open(sv.url, &r), PIPC_OK);
  if (r) {
    T_RC(pipc_queue_put(r, "env", 3, 1000), PIPC_OK);
    T_RC(pipc_queue_get(sv.local, buf, sizeof buf, &len, 0), PIPC_OK);
    pipc_queue_close(r);
    r = NULL;
  }
  /* an option wins over its variable */
  o = client_opts(NULL, NULL, NULL, "other.test");
  T_RC(pipc_queue_open_remote(sv.url, &o, &r), PIPC_EACCES);
  t_os_setenv("PIPC_TLS_CERT", NULL);
  t_os_setenv("PIPC_TLS_KEY", NULL);
  t_os_setenv("PIPC_TLS_CA", NULL);
  t_os_setenv("PIPC_TLS_SERVER_NAME", NULL);
  unserve(&sv);
  drop_certs();
}

/* ==== suite netns: two hosts made with network namespaces and a veth
   pair (root, Linux, iproute2): host A 10.77.18.1, host B 10.77.18.2 on a
   /30 that exists only inside them.  Nothing else is ever addressed.
   /dev/shm is the same in both (one mount namespace's tmpfs), so the
   checks count through shared memory. ==== */

#define NET_A "10.77.18.1"
#define NET_B "10.77.18.2"
#define NET_PORT "17450"

static char ns_a[32], ns_b[32], veth_a[16], veth_b[16];

static int sh(const char *script) {
  const char *argv[] = {"sh", "-c", script, NULL};
  pipc_process *p;
  int code = -1;
  if (pipc_process_spawn(argv, &p) != PIPC_OK) return -1;
  if (pipc_process_wait(p, 60000, &code) != PIPC_OK) {
    pipc_process_kill(p);
    pipc_process_wait(p, PIPC_FOREVER, NULL);
  }
  pipc_process_free(p);
  return code;
}

static void net_down(void) {
  char cmd[200];
  if (!ns_a[0]) return;
  snprintf(cmd, sizeof cmd, "ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; true", ns_a,
           ns_b);
  sh(cmd);
  ns_a[0] = ns_b[0] = 0;
}

/* The two hosts, or the reason they cannot be made here (NULL: made). */
static const char *net_up(void) {
#ifndef __linux__ /* Windows, macOS (and the posix-darwin configuration) */
  (void)veth_b; /* (only Linux makes the pair) */
  return "network namespaces are Linux's";
#else
  char cmd[1200];
  unsigned long id = (unsigned long)(pipc__test_entropy() % 100000u);
  if (pipc_remote_support()) return NO_NNG;
  if (sh("test \"$(id -u)\" = 0") != 0) return "not root: network namespaces need root";
  if (sh("command -v ip >/dev/null") != 0) return "no ip command (Debian: iproute2)";
  {
    static int once;
    if (!once++) atexit(net_down); /* a case that fails half way leaves nothing */
  }
  snprintf(ns_a, sizeof ns_a, "pipcA%lu", id);
  snprintf(ns_b, sizeof ns_b, "pipcB%lu", id);
  snprintf(veth_a, sizeof veth_a, "pva%lu", id);
  snprintf(veth_b, sizeof veth_b, "pvb%lu", id);
  snprintf(cmd, sizeof cmd,
           "set -e; ip netns add %s; ip netns add %s\n"
           "ip link add %s type veth peer name %s\n"
           "ip link set %s netns %s; ip link set %s netns %s\n"
           "ip -n %s addr add " NET_A "/30 dev %s; ip -n %s addr add " NET_B "/30 dev %s\n"
           "ip -n %s link set lo up; ip -n %s link set %s up\n"
           "ip -n %s link set lo up; ip -n %s link set %s up\n"
           "ip netns exec %s ping -c1 -W2 " NET_B " >/dev/null 2>&1 || true\n",
           ns_a, ns_b, veth_a, veth_b, veth_a, ns_a, veth_b, ns_b, ns_a, veth_a, ns_b, veth_b, ns_a,
           ns_a, veth_a, ns_b, ns_b, veth_b, ns_a);
  if (sh(cmd) != 0) {
    net_down();
    return "ip netns add / veth failed here (a container without the rights?)";
  }
  return NULL;
#endif
}

/* Run argv (NULL-terminated) inside namespace ns. */
static pipc_process *ns_spawn(const char *ns, const char *const *argv) {
  const char *full[24];
  int n = 0;
  pipc_process *p = NULL;
  full[n++] = "ip", full[n++] = "netns", full[n++] = "exec", full[n++] = ns;
  while (*argv && n < 23) full[n++] = *argv++;
  full[n] = NULL;
  if (pipc_process_spawn(full, &p) != PIPC_OK) return NULL;
  return p;
}

static const char *self_path(void) {
  static char self[4096];
  return pipc_self_exe(self, sizeof self) == PIPC_OK ? self : NULL;
}

/* build/<preset>/tools/pipc beside this binary's tests/ directory */
static const char *pipc_cli_path(void) {
  static char path[4200];
  char self[4096], *slash;
  if (pipc_self_exe(self, sizeof self) != PIPC_OK || (slash = strrchr(self, '/')) == NULL)
    return NULL;
  *slash = 0;
  snprintf(path, sizeof path, "%s/../tools/pipc", self);
  return path;
}

/* The state file of the server of queue `name` (in the test's TLS
   directory, removed with it). */
static const char *state_of(const char *name) {
  static char path[300];
  snprintf(path, sizeof path, "%s/%s.state", tls_dir, name);
  return path;
}

/* pipc serve in host B, for queue `name`, over TLS at NET_B:NET_PORT,
   with a state file. */
static pipc_process *serve_in_b(const char *name) {
  char state[300];
  const char *argv[] = {pipc_cli_path(), "serve", "tls+tcp://" NET_B ":" NET_PORT, "--queue", name,
                        "--cert", tls_file("server.crt"), "--key", tls_file("server.key"),
                        "--ca", tls_file("ca.crt"), "--state", state, NULL};
  snprintf(state, sizeof state, "%s", state_of(name));
  return ns_spawn(ns_b, argv);
}

/* What the producer and consumers share: seen[n] (u32 each), result[n]
   (u8: 1 put returned PIPC_OK, 2 PIPC_ECLOSED - in doubt, 3 another
   error), and progress (u32: puts done). */
typedef struct net_counts {
  pipc_shm *shm;
  volatile uint32_t *seen, *progress;
  volatile unsigned char *result;
} net_counts;

static int counts_map(pipc_shm *shm, unsigned n, net_counts *c) {
  unsigned char *base = (unsigned char *)pipc_shm_addr(shm);
  if (base == NULL || pipc_shm_size(shm) < (size_t)n * 5 + 64) return 0;
  c->shm = shm;
  c->progress = (volatile uint32_t *)base;
  c->seen = (volatile uint32_t *)(base + 64);
  c->result = base + 64 + (size_t)n * 4;
  return 1;
}

/* netns_produce URL N SHM: put 0..N-1 (4-byte values) through the remote
   name, each once, recording each put's outcome. */
int role_netns_produce(int argc, char **argv) {
  pipc_queue *r = NULL;
  pipc_shm *shm = NULL;
  net_counts c;
  unsigned i, n;
  int rc;
  if (argc < 4) return 10;
  n = (unsigned)atoi(argv[2]);
  if (pipc_shm_open(argv[3], &shm) != PIPC_OK) return 11;
  if (!counts_map(shm, n, &c)) {
    pipc_shm_close(shm);
    return 11;
  }
  if ((rc = pipc_queue_open(argv[1], &r)) != PIPC_OK) {
    fprintf(stderr, "netns_produce: open %s: %s\n", argv[1], pipc_strerror(rc));
    pipc_shm_close(shm);
    return 12;
  }
  for (i = 0; i < n; i++) {
    rc = pipc_queue_put(r, &i, sizeof i, PIPC_FOREVER);
    c.result[i] = rc == PIPC_OK ? 1 : rc == PIPC_ECLOSED ? 2 : 3;
    if (rc != PIPC_OK && rc != PIPC_ECLOSED) fprintf(stderr, "put %u: %s\n", i, pipc_strerror(rc));
    pipc__add32(c.progress, 1);
  }
  pipc_queue_close(r);
  pipc_shm_close(shm);
  return 0;
}

/* netns_consume QUEUE N SHM [alo]: take values until the queue is shut
   down and drained; count each in seen[].  QUEUE may be a remote name:
   with "alo", its gets are at least once. */
int role_netns_consume(int argc, char **argv) {
  pipc_queue *q = NULL;
  pipc_shm *shm = NULL;
  net_counts c;
  unsigned n, v;
  size_t len;
  int rc;
  if (argc < 4) return 10;
  n = (unsigned)atoi(argv[2]);
  if (pipc_shm_open(argv[3], &shm) != PIPC_OK) return 11;
  if (argc > 4 && strcmp(argv[4], "alo") == 0) {
    pipc_remote_opts o;
    memset(&o, 0, sizeof o);
    o.flags = PIPC_REMOTE_AT_LEAST_ONCE;
    rc = pipc_queue_open_remote(argv[1], &o, &q);
  } else {
    rc = pipc_queue_open(argv[1], &q);
  }
  if (!counts_map(shm, n, &c) || rc != PIPC_OK) {
    if (rc != PIPC_OK) fprintf(stderr, "netns_consume: open %s: %s\n", argv[1], pipc_strerror(rc));
    pipc_shm_close(shm);
    return 12;
  }
  while ((rc = pipc_queue_get(q, &v, sizeof v, &len, PIPC_FOREVER)) == PIPC_OK) {
    if (len != sizeof v || v >= n) {
      rc = 13;
      break;
    }
    pipc__add32(&c.seen[v], 1);
  }
  if (rc != PIPC_ECLOSED && rc != 13) fprintf(stderr, "netns_consume: get: %s\n", pipc_strerror(rc));
  pipc_queue_close(q);
  pipc_shm_close(shm);
  return rc == PIPC_ECLOSED ? 0 : rc == 13 ? 13 : 14;
}

/* A served queue in B, its consumers in B, a producer in A over TLS;
   `mid` runs once the producer is a third of the way (NULL: nothing).
   Checks: each value stored at most once; every put that returned
   PIPC_OK exactly once; *doubt gets the puts in doubt.  alo: the four
   consumers are in A too, with at-least-once gets over TLS: then every
   put that returned PIPC_OK is got at least once, and *twice says how
   many came more than once. */
static void net_run_as(unsigned n, void (*mid)(pipc_process **serve, const char *qname),
                       unsigned *doubt, int alo, unsigned *twice_out) {
  char qname[80], sname[80], ns[16];
  pipc_queue *q = NULL;
  pipc_shm *shm = NULL;
  pipc_process *serve, *prod, *cons[4];
  net_counts c;
  unsigned i, bad = 0, twice = 0, lost = 0;
  int k;
  char url[200];
  *doubt = 0;
  memset(&c, 0, sizeof c);
  t_name(qname, sizeof qname, "nq");
  t_name(sname, sizeof sname, "ns");
  T_RC(pipc_queue_create(qname, 256, 16, &q), PIPC_OK);
  T_RC(pipc_shm_create(sname, (size_t)n * 5 + 64, &shm), PIPC_OK);
  CU_ASSERT_FATAL(q != NULL && shm != NULL && counts_map(shm, n, &c));
  serve = serve_in_b(qname);
  snprintf(ns, sizeof ns, "%u", n);
  snprintf(url, sizeof url, "tls+tcp://" NET_B ":" NET_PORT "/%s", qname);
  t_os_setenv("PIPC_TLS_CERT", tls_file("client.crt"));
  t_os_setenv("PIPC_TLS_KEY", tls_file("client.key"));
  t_os_setenv("PIPC_TLS_CA", tls_file("ca.crt"));
  t_os_setenv("PIPC_TLS_SERVER_NAME", "pipc-b.test");
  for (k = 0; k < 4; k++) {
    const char *argv[] = {self_path(), "--child", "netns_consume", alo ? url : qname, ns, sname,
                          alo ? "alo" : NULL, NULL};
    cons[k] = ns_spawn(alo ? ns_a : ns_b, argv);
  }
  {
    const char *argv[] = {self_path(), "--child", "netns_produce", url, ns, sname, NULL};
    prod = ns_spawn(ns_a, argv);
  }
  if (mid) {
    int64_t t0 = t_now_ms();
    while (pipc__load32(c.progress) < n / 3 && t_now_ms() - t0 < 60000) pipc_sleep_ms(5);
    mid(&serve, qname);
  }
  CU_ASSERT_EQUAL(t_join(prod, 300000), 0);
  t_os_setenv("PIPC_TLS_CERT", NULL);
  t_os_setenv("PIPC_TLS_KEY", NULL);
  t_os_setenv("PIPC_TLS_CA", NULL);
  t_os_setenv("PIPC_TLS_SERVER_NAME", NULL);
  T_RC(pipc_queue_shutdown(q), PIPC_OK);
  for (k = 0; k < 4; k++) CU_ASSERT_EQUAL(t_join(cons[k], 60000), 0);
  if (serve) {
    pipc_process_terminate(serve);
    CU_ASSERT_EQUAL(t_join(serve, 30000), 0);
  }
  for (i = 0; i < n; i++) {
    uint32_t s = c.seen[i];
    unsigned char r = c.result[i];
    if (s > 1) twice++;
    if (r == 1 && s == 0) lost++;
    if (r == 2) (*doubt)++;
    if (r == 0 || r == 3) bad++;
  }
  if ((twice && !alo) || lost || bad)
    fprintf(stderr, "\n  %u values twice, %u lost after PIPC_OK, %u puts failed", twice, lost, bad);
  if (alo) *twice_out = twice;
  else CU_ASSERT_EQUAL(twice, 0);
  CU_ASSERT_EQUAL(lost, 0);
  CU_ASSERT_EQUAL(bad, 0);
  pipc_shm_close(shm);
  pipc_shm_unlink(sname);
  pipc_queue_close(q);
  pipc_queue_unlink(qname);
  remove(state_of(qname));
}

static void net_run(unsigned n, void (*mid)(pipc_process **serve, const char *qname),
                    unsigned *doubt) {
  net_run_as(n, mid, doubt, 0, NULL);
}

/* Messages per netns run: 20,000; fewer where every instruction costs
   tens of times more (the sanitizers: tests/CMakeLists.txt; valgrind). */
#ifndef T_NETNS_MSGS
#define T_NETNS_MSGS 20000
#endif
static unsigned net_msgs(void) { return t_os_why_no_exec_errors() ? 2000 : T_NETNS_MSGS; }

static const char *net_setup(void) {
  const char *why = net_up();
  if (why) return why;
  if (!make_certs()) {
    drop_certs();
    net_down();
    return "no openssl to make certificates with";
  }
  return NULL;
}

static void net_teardown(void) {
  net_down();
  drop_certs();
}

void test_netns_producer_a_consumers_b_exactly_once(void) {
  unsigned doubt;
  const char *why = net_setup();
  if (why) T_SKIP(why);
  net_run(net_msgs(), NULL, &doubt);
  CU_ASSERT_EQUAL(doubt, 0); /* nothing went wrong: nothing in doubt */
  net_teardown();
}

static void link_drop(pipc_process **serve, const char *qname) {
  char cmd[200];
  (void)serve, (void)qname;
  snprintf(cmd, sizeof cmd, "ip -n %s link set %s down; sleep 2; ip -n %s link set %s up", ns_a,
           veth_a, ns_a, veth_a);
  CU_ASSERT_EQUAL(sh(cmd), 0);
}

void test_netns_link_down_2s_loses_nothing(void) {
  unsigned doubt;
  const char *why = net_setup();
  if (why) T_SKIP(why);
  net_run(net_msgs(), link_drop, &doubt);
  CU_ASSERT_EQUAL(doubt, 0); /* the connection outlived 2 s: nothing in doubt */
  net_teardown();
}

/* At-least-once consumers across the link while it is down for 2 s:
   nothing lost (checked in net_run_as); what came twice is printed. */
void test_netns_link_down_2s_at_least_once(void) {
  unsigned doubt, twice = 0;
  const char *why = net_setup();
  if (why) T_SKIP(why);
  net_run_as(net_msgs() / 2, link_drop, &doubt, 1, &twice);
  CU_ASSERT_EQUAL(doubt, 0);
  fprintf(stderr, " (%u twice) ", twice);
  net_teardown();
}

static void serve_killed(pipc_process **serve, const char *qname) {
  pipc_process_kill(*serve);
  CU_ASSERT_EQUAL(t_join(*serve, 30000), -9);
  pipc_sleep_ms(300);
  *serve = serve_in_b(qname); /* the same address again */
}

void test_netns_serve_killed_and_restarted(void) {
  unsigned doubt;
  const char *why = net_setup();
  if (why) T_SKIP(why);
  net_run(net_msgs(), serve_killed, &doubt);
  /* the server keeps a state file: restarted, it answers the put that was
     in flight - none in doubt, none twice or lost (checked) */
  CU_ASSERT_EQUAL(doubt, 0);
  net_teardown();
}

/* `pipc serve` SIGKILLed and started again while at-least-once consumers
   in the other host take: what it held for them goes back to its queue
   (orphans of the dead server, adopted by the next server's first
   deliveries) - nothing lost. */
void test_netns_serve_killed_at_least_once(void) {
  unsigned doubt, twice = 0;
  const char *why = net_setup();
  if (why) T_SKIP(why);
  net_run_as(net_msgs() / 2, serve_killed, &doubt, 1, &twice);
  CU_ASSERT_EQUAL(doubt, 0);
  fprintf(stderr, " (%u twice) ", twice);
  net_teardown();
}

/* netns_open URL WANT: open with the TLS files in the environment; exit 0
   when the result is WANT's code. */
int role_netns_open(int argc, char **argv) {
  pipc_queue *r = NULL;
  int rc;
  if (argc < 3) return 10;
  rc = pipc_queue_open(argv[1], &r);
  if (r) pipc_queue_close(r);
  if (rc != atoi(argv[2])) fprintf(stderr, "netns_open: %s\n", pipc_strerror(rc));
  return rc == atoi(argv[2]) ? 0 : 11;
}

void test_netns_wrong_or_no_certificate_refused(void) {
  char qname[80], url[200], want[16];
  pipc_queue *q = NULL;
  pipc_process *serve;
  const char *why = net_setup();
  if (why) T_SKIP(why);
  t_name(qname, sizeof qname, "nc");
  T_RC(pipc_queue_create(qname, 4, 16, &q), PIPC_OK);
  serve = serve_in_b(qname);
  snprintf(url, sizeof url, "tls+tcp://" NET_B ":" NET_PORT "/%s", qname);
  t_os_setenv("PIPC_TLS_CA", tls_file("ca.crt"));
  t_os_setenv("PIPC_TLS_SERVER_NAME", "pipc-b.test");
  { /* the right one first: the server is up */
    const char *argv[] = {self_path(), "--child", "netns_open", url, "0", NULL};
    t_os_setenv("PIPC_TLS_CERT", tls_file("client.crt"));
    t_os_setenv("PIPC_TLS_KEY", tls_file("client.key"));
    CU_ASSERT_EQUAL(t_join(ns_spawn(ns_a, argv), 60000), 0);
  }
  snprintf(want, sizeof want, "%d", PIPC_EACCES);
  { /* a certificate the rogue CA signed */
    const char *argv[] = {self_path(), "--child", "netns_open", url, want, NULL};
    t_os_setenv("PIPC_TLS_CERT", tls_file("rclient.crt"));
    t_os_setenv("PIPC_TLS_KEY", tls_file("rclient.key"));
    CU_ASSERT_EQUAL(t_join(ns_spawn(ns_a, argv), 60000), 0);
    t_os_setenv("PIPC_TLS_CERT", NULL); /* none */
    t_os_setenv("PIPC_TLS_KEY", NULL);
    CU_ASSERT_EQUAL(t_join(ns_spawn(ns_a, argv), 60000), 0);
  }
  t_os_setenv("PIPC_TLS_CA", NULL);
  t_os_setenv("PIPC_TLS_SERVER_NAME", NULL);
  pipc_process_terminate(serve);
  CU_ASSERT_EQUAL(t_join(serve, 30000), 0);
  pipc_queue_close(q);
  pipc_queue_unlink(qname);
  net_teardown();
}

/* serve_state URL QUEUE FILE POINT COUNT: serve QUEUE at URL with state
   file FILE, dying at the COUNT-th pass of fault POINT (0: never); runs
   until killed.  Exit 11: the file is another running server's
   (PIPC_EAGAIN); 12: another error. */
int role_serve_state(int argc, char **argv) {
  pipc_serve_opts o;
  pipc_server *s = NULL;
  const char *names[1];
  int rc;
  if (argc < 6) return 10;
  memset(&o, 0, sizeof o);
  names[0] = argv[2];
  o.queues = names, o.nqueues = 1, o.state_file = argv[3];
  /* armed before the dispatcher thread starts (its puts pass the points) */
  if (atoi(argv[4]) != 0) pipc__fault_arm(atoi(argv[4]), atol(argv[5]));
  if ((rc = pipc_serve_start(argv[1], &o, &s)) != PIPC_OK) return rc == PIPC_EAGAIN ? 11 : 12;
  for (;;) pipc_sleep_ms(1000);
}

static struct {
  pipc_queue *r;
  uint64_t next;
  int bad;
} sf;

static void sf_putter(void *arg) {
  int i;
  (void)arg;
  for (i = 0; i < 10; i++, sf.next++) {
    int rc = pipc_queue_put(sf.r, &sf.next, sizeof sf.next, 30000);
    if (rc != PIPC_OK) {
      fprintf(stderr, "\n  put %llu: %s", (unsigned long long)sf.next, pipc_strerror(rc));
      sf.bad++;
    }
  }
}

/* With a state file, a server that dies inside a put - before it ran, with
   the bytes copied, committed, returned, recorded - and is started again
   leaves no put in doubt: the client's copy of the one in flight is
   answered (stored: its result; not stored: run now), every put returns
   PIPC_OK and the queue has each value once, in order.  Then a second
   server on the same file is refused. */
void test_remote_state_file_no_put_in_doubt(void) {
  static const int points[] = {PIPC__FAULT_SERVE_JOURNALED, PIPC__FAULT_PUT_COPIED,
                               PIPC__FAULT_PUT_COMMITTED, PIPC__FAULT_SERVE_PUT_RETURNED,
                               PIPC__FAULT_SERVE_RECORDED};
  char name[80], surl[200], url[300], path[120], pt[8], cnt[8];
  pipc_queue *local = NULL;
  pipc_process *serve;
  pipc_remote_opts ro = {.connect_timeout_ms = 10000, .link_timeout_ms = 10000};
  uint64_t v, want = 0;
  size_t len, k;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  if (t_os_why_no_exec_errors()) /* (the state file itself: suite serve_state, under valgrind too) */
    T_SKIP("valgrind: nng 1.5.2 loses the 112-byte copy of a request whose connection died "
           "with its server (the leak threads_across_serve_kills skips for): this case runs "
           "natively and under the sanitizers");
  t_name(name, sizeof name, "rsf");
  t_os_ipc_url(surl, sizeof surl, name);
  snprintf(url, sizeof url, "%s/%s", surl, name);
  snprintf(path, sizeof path, "%s.state", name);
  T_RC(pipc_queue_create(name, 256, 16, &local), PIPC_OK);
  serve = t_spawn("serve_state", surl, name, path, "0", "0", NULL);
  memset(&sf, 0, sizeof sf);
  T_RC(pipc_queue_open_remote(url, &ro, &sf.r), PIPC_OK);
  CU_ASSERT_FATAL(sf.r != NULL);
  T_RC(pipc_queue_put(sf.r, &sf.next, sizeof sf.next, 5000), PIPC_OK);
  sf.next++;
  for (k = 0; k < sizeof points / sizeof points[0]; k++) {
    t_thread *th;
    int code;
    /* the one serving now goes; the next dies at the point, at the
       (k+2)-th pass: inside one of the 10 puts below */
    pipc_process_kill(serve);
    CU_ASSERT_EQUAL(t_join(serve, 30000), -9);
    snprintf(pt, sizeof pt, "%d", points[k]);
    snprintf(cnt, sizeof cnt, "%u", (unsigned)k + 2);
    serve = t_spawn("serve_state", surl, name, path, pt, cnt, NULL);
    th = t_thread_start(sf_putter, NULL);
    code = t_join(serve, 30000);
    if (code != -9) fprintf(stderr, "\n  point %d: the server ended with %d", points[k], code);
    CU_ASSERT_EQUAL(code, -9);
    serve = t_spawn("serve_state", surl, name, path, "0", "0", NULL);
    t_thread_join(th);
  }
  CU_ASSERT_EQUAL(sf.bad, 0);
  { /* one server per file */
    char other[200], name2[100];
    snprintf(name2, sizeof name2, "%s-2", name);
    t_os_ipc_url(other, sizeof other, name2);
    CU_ASSERT_EQUAL(t_join(t_spawn("serve_state", other, name, path, "0", "0", NULL), 30000), 11);
  }
  pipc_process_kill(serve);
  t_join(serve, 30000);
  while (pipc_queue_get(local, &v, sizeof v, &len, 0) == PIPC_OK) {
    if (len != sizeof v || v != want) {
      fprintf(stderr, "\n  got %llu, wanted %llu", (unsigned long long)v, (unsigned long long)want);
      CU_FAIL("a put lost or stored twice");
      break;
    }
    want++;
  }
  CU_ASSERT(want == sf.next);
  pipc_queue_close(sf.r);
  pipc_queue_close(local);
  pipc_queue_unlink(name);
  remove(path);
}

/* ---- pipc bridge ---- */

/* Wait (up to 20 s) until the bridge has ended; its end code, or 1. */
static int bridge_end(pipc_bridge *b) {
  int64_t t0 = t_now_ms();
  int ended = 0;
  while (pipc_bridge_status(b, NULL, &ended) == PIPC_OK && ended == 0 && t_now_ms() - t0 < 20000)
    pipc_sleep_ms(10);
  return ended ? ended : 1;
}

/* Arguments refused; one bridge per pair; messages forwarded in order and
   released here; a stopped bridge leaves the rest here and the next run
   forwards them; a local queue shut down ends it once drained; a message
   longer than the far queue takes ends it, the message kept (an orphan). */
void test_remote_bridge_forwards_in_order(void) {
  served sv;
  char lname[80], l2[80];
  pipc_queue *lq = NULL, *lq2 = NULL;
  pipc_bridge *b = NULL, *b2 = NULL;
  pipc_bridge_opts bad;
  uint64_t i, v, fw = 0;
  size_t len, n = 0;
  int64_t t0;
  if (pipc_remote_support()) {
    t_name(lname, sizeof lname, "rbx");
    T_RC(pipc_queue_create(lname, 4, 16, &lq), PIPC_OK);
    T_RC(pipc_bridge_start(lname, "tcp://127.0.0.1:1/q", NULL, &b), PIPC_ENOTSUP);
    pipc_queue_close(lq);
    pipc_queue_unlink(lname);
    T_SKIP(NO_NNG);
  }
  CU_ASSERT_FATAL(serve_tcp(&sv, "rbf", 4096, 16));
  t_name(lname, sizeof lname, "rbl");
  T_RC(pipc_queue_create(lname, 4096, 16, &lq), PIPC_OK);
  memset(&bad, 0, sizeof bad);
  bad.remote.link_timeout_ms = -1;
  T_RC(pipc_bridge_start(lname, sv.url, NULL, NULL), PIPC_EINVAL);
  T_RC(pipc_bridge_start(NULL, sv.url, NULL, &b), PIPC_EINVAL);
  T_RC(pipc_bridge_start("bad name", sv.url, NULL, &b), PIPC_EINVAL);
  T_RC(pipc_bridge_start(lname, "not-a-url", NULL, &b), PIPC_EINVAL);
  T_RC(pipc_bridge_start(lname, NULL, NULL, &b), PIPC_EINVAL);
  T_RC(pipc_bridge_start(lname, sv.url, &bad, &b), PIPC_EINVAL);
  T_RC(pipc_bridge_start("no-such-queue-here", sv.url, NULL, &b), PIPC_ENOENT);
  CU_ASSERT(b == NULL);
  T_RC(pipc_bridge_status(NULL, &fw, NULL), PIPC_EINVAL);
  T_RC(pipc_bridge_stop(NULL), PIPC_EINVAL);
  T_RC(pipc_bridge_start(lname, sv.url, NULL, &b), PIPC_OK);
  CU_ASSERT_FATAL(b != NULL);
  T_RC(pipc_bridge_start(lname, sv.url, NULL, &b2), PIPC_EAGAIN); /* one per pair */
  for (i = 0; i < 2000; i++) T_RC(pipc_queue_put(lq, &i, sizeof i, 0), PIPC_OK);
  for (i = 0; i < 2000; i++) {
    if (pipc_queue_get(sv.local, &v, sizeof v, &len, 20000) != PIPC_OK || v != i) break;
  }
  CU_ASSERT_EQUAL(i, 2000);
  t0 = t_now_ms(); /* released here once stored there */
  while (pipc_bridge_status(b, &fw, NULL) == PIPC_OK && fw < 2000 && t_now_ms() - t0 < 20000)
    pipc_sleep_ms(5);
  CU_ASSERT_EQUAL(fw, 2000);
  T_RC(pipc_queue_size(lq, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  T_RC(pipc_bridge_stop(b), PIPC_OK);
  for (i = 2000; i < 2100; i++) T_RC(pipc_queue_put(lq, &i, sizeof i, 0), PIPC_OK);
  T_RC(pipc_queue_get(sv.local, &v, sizeof v, &len, 200), PIPC_ETIMEDOUT); /* stopped: stays */
  T_RC(pipc_queue_size(lq, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 100);
  b = NULL;
  T_RC(pipc_bridge_start(lname, sv.url, NULL, &b), PIPC_OK);
  CU_ASSERT_FATAL(b != NULL);
  for (i = 2000; i < 2100; i++) {
    if (pipc_queue_get(sv.local, &v, sizeof v, &len, 20000) != PIPC_OK || v != i) break;
  }
  CU_ASSERT_EQUAL(i, 2100);
  T_RC(pipc_queue_shutdown(lq), PIPC_OK); /* drained and shut: the bridge ends */
  T_RC(bridge_end(b), PIPC_ECLOSED);
  T_RC(pipc_bridge_stop(b), PIPC_ECLOSED);
  /* a message too long for the far queue (16 bytes): the bridge ends, the
     message stays held - an orphan for pipc recv --adopt */
  t_name(l2, sizeof l2, "rbm");
  T_RC(pipc_queue_create(l2, 4, 64, &lq2), PIPC_OK);
  T_RC(pipc_queue_put(lq2, "0123456789abcdef0123456789abcdef", 32, 0), PIPC_OK);
  b = NULL;
  T_RC(pipc_bridge_start(l2, sv.url, NULL, &b), PIPC_OK);
  CU_ASSERT_FATAL(b != NULL);
  T_RC(bridge_end(b), PIPC_EMSGSIZE);
  T_RC(pipc_bridge_stop(b), PIPC_EMSGSIZE);
  T_RC(pipc_queue_orphans(lq2, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 1);
  pipc_queue_close(lq2);
  pipc_queue_unlink(l2);
  pipc_queue_close(lq);
  pipc_queue_unlink(lname);
  unserve(&sv);
}

/* bridge LOCAL URL POINT COUNT: run a bridge until it ends; with POINT
   (not 0), die at the COUNT-th pass of that fault point. */
int role_bridge(int argc, char **argv) {
  pipc_bridge *b = NULL;
  int ended = 0, rc;
  if (argc < 5) return 10;
  if (atoi(argv[3]) != 0) pipc__fault_arm(atoi(argv[3]), atol(argv[4]));
  if ((rc = pipc_bridge_start(argv[1], argv[2], NULL, &b)) != PIPC_OK) {
    fprintf(stderr, "bridge: %s\n", pipc_strerror(rc));
    return 11;
  }
  while (pipc_bridge_status(b, NULL, &ended) == PIPC_OK && ended == 0) pipc_sleep_ms(20);
  return pipc_bridge_stop(b) == PIPC_ECLOSED ? 0 : 12;
}

/* The server forgets the bridge (crowded out here; a restart without a
   state file does the same) while the bridge is dead holding a message
   it had stored there: the next run cannot know - it ends PIPC_ENOENT and
   keeps the message (an orphan), never sends it twice.  And a far queue
   shut down ends a bridge PIPC_ECLOSED, the message kept. */
void test_remote_bridge_forgotten_or_far_shut(void) {
  served sv;
  char lname[80], pt[8];
  pipc_queue *lq = NULL, *other = NULL;
  pipc_bridge *b = NULL;
  const void *msg;
  uint64_t i, v;
  size_t len, n = 0;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  CU_ASSERT_FATAL(serve_tcp(&sv, "rbg", 16, 8));
  t_name(lname, sizeof lname, "rbgl");
  T_RC(pipc_queue_create(lname, 16, 8, &lq), PIPC_OK);
  for (i = 0; i < 3; i++) T_RC(pipc_queue_put(lq, &i, sizeof i, 0), PIPC_OK);
  snprintf(pt, sizeof pt, "%d", PIPC__FAULT_BRIDGE_FORWARDED);
  /* 0 forwarded; 1 stored there, the bridge dead before its release */
  CU_ASSERT_EQUAL(t_join(t_spawn("bridge", lname, sv.url, pt, "2", NULL), 60000), -9);
  T_RC(pipc_queue_get(sv.local, &v, sizeof v, &len, 5000), PIPC_OK);
  CU_ASSERT(v == 0);
  T_RC(pipc_queue_get(sv.local, &v, sizeof v, &len, 5000), PIPC_OK);
  CU_ASSERT(v == 1);
  pipc__store32(&pipc__remote_sessions_max, 1); /* another handle crowds the bridge's out */
  T_RC(pipc_queue_open_remote(sv.url, &quick, &other), PIPC_OK);
  pipc_queue_close(other);
  pipc__store32(&pipc__remote_sessions_max, 0);
  T_RC(pipc_bridge_start(lname, sv.url, NULL, &b), PIPC_OK);
  CU_ASSERT_FATAL(b != NULL);
  T_RC(bridge_end(b), PIPC_ENOENT);
  T_RC(pipc_bridge_stop(b), PIPC_ENOENT);
  T_RC(pipc_queue_get(sv.local, &v, sizeof v, &len, 300), PIPC_ETIMEDOUT); /* not twice */
  T_RC(pipc_queue_orphans(lq, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 1);
  /* what a person does then: look, and take it (pipc recv --adopt) */
  T_RC(pipc_queue_peek_ex(lq, PIPC_PEEK_ORPHAN, &msg, &len, 0), PIPC_EOWNERDEAD);
  CU_ASSERT(len == sizeof v && memcmp(msg, &(uint64_t){1}, sizeof v) == 0);
  T_RC(pipc_queue_release(lq), PIPC_OK);
  b = NULL; /* the rest goes on */
  T_RC(pipc_bridge_start(lname, sv.url, NULL, &b), PIPC_OK);
  CU_ASSERT_FATAL(b != NULL);
  T_RC(pipc_queue_get(sv.local, &v, sizeof v, &len, 20000), PIPC_OK);
  CU_ASSERT(v == 2);
  /* the far queue shut down: the bridge ends, the next message kept */
  T_RC(pipc_queue_shutdown(sv.local), PIPC_OK);
  i = 3;
  T_RC(pipc_queue_put(lq, &i, sizeof i, 0), PIPC_OK);
  T_RC(bridge_end(b), PIPC_ECLOSED);
  T_RC(pipc_bridge_stop(b), PIPC_ECLOSED);
  T_RC(pipc_queue_orphans(lq, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 1);
  pipc_queue_close(lq);
  pipc_queue_unlink(lname);
  unserve(&sv);
}

#ifndef T_BRIDGE_MSGS
#define T_BRIDGE_MSGS 5000 /* (the netns case forwards 100,000) */
#endif
#define BRIDGE_KILLS 50

/* The bridge's far end so far: values must come as next, next + 1, ...
   (each once, in order); 0 if one did not. */
static int bridge_drain(pipc_queue *far, uint64_t *next, int wait_ms) {
  uint64_t v;
  size_t len;
  while (pipc_queue_get(far, &v, sizeof v, &len, wait_ms) == PIPC_OK) {
    if (len != sizeof v || v != *next) {
      fprintf(stderr, "\n  got %llu, wanted %llu", (unsigned long long)v,
              (unsigned long long)*next);
      return 0;
    }
    ++*next;
  }
  return 1;
}

/* Kill bridge p once `more` values more have reached the far end (each
   checked: once, in order) and a moment after (0-4 ms): so the kill comes
   while it forwards, on a fast machine too.  0 if a value came wrong. */
static int kill_after(pipc_process *p, pipc_queue *far, uint64_t *next, uint64_t more,
                      uint32_t *rng) {
  uint64_t goal = *next + more, v;
  int64_t t0 = t_now_ms();
  size_t len;
  int ok = 1;
  while (ok && *next < goal && t_now_ms() - t0 < 30000)
    if (pipc_queue_get(far, &v, sizeof v, &len, 20) == PIPC_OK) {
      ok = len == sizeof v && v == *next;
      if (!ok)
        fprintf(stderr, "\n  got %llu, wanted %llu", (unsigned long long)v,
                (unsigned long long)*next);
      ++*next;
    }
  pipc_sleep_ms((int)(t_rand(rng) % 5));
  pipc_process_kill(p);
  return ok;
}

/* A bridge process killed 50 times while it forwards: at random moments,
   and at its two fault points (holding a message not yet sent; stored
   there, not yet released here) while it forwards 5,000 values.  Each
   value arrives once, in order. */
void test_remote_bridge_killed_at_random(void) {
  served sv;
  char lname[80], pt[8], cnt[8];
  pipc_queue *lq = NULL;
  uint64_t i, next = 0, n = t_os_why_no_exec_errors() ? 2000 : T_BRIDGE_MSGS;
  uint32_t rng = 4242;
  int k, ok = 1, faults = 0;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  CU_ASSERT_FATAL(serve_tcp(&sv, "rbk", (size_t)n, 8));
  t_name(lname, sizeof lname, "rbkl");
  T_RC(pipc_queue_create(lname, (size_t)n, 8, &lq), PIPC_OK);
  for (i = 0; i < n; i++) T_RC(pipc_queue_put(lq, &i, sizeof i, 0), PIPC_OK);
  for (k = 0; k < BRIDGE_KILLS && ok; k++) {
    pipc_process *p;
    int point = k % 5 == 1 ? PIPC__FAULT_BRIDGE_FORWARDED : k % 5 == 3 ? PIPC__FAULT_BRIDGE_PEEKED : 0;
    int code;
    snprintf(pt, sizeof pt, "%d", point);
    snprintf(cnt, sizeof cnt, "%u", 1 + t_rand(&rng) % 50);
    p = t_spawn("bridge", lname, sv.url, pt, cnt, NULL);
    if (point == 0) ok = kill_after(p, sv.local, &next, 1 + t_rand(&rng) % (n / 100), &rng);
    code = t_join(p, 60000);
    if (point != 0 && code == -9) faults++;
    if (code != -9) {
      fprintf(stderr, "\n  run %d: the bridge ended with %d", k, code);
      ok = 0;
    }
    ok = ok && bridge_drain(sv.local, &next, 0);
  }
  CU_ASSERT(ok);
  CU_ASSERT(faults > 0);
  CU_ASSERT(next < n); /* the kills came while it forwarded */
  { /* the last run forwards the rest, and ends when the queue is shut */
    pipc_process *p = t_spawn("bridge", lname, sv.url, "0", "0", NULL);
    ok = bridge_drain(sv.local, &next, 30000) && next == n;
    if (!ok) fprintf(stderr, "\n  %llu of %llu arrived", (unsigned long long)next, (unsigned long long)n);
    CU_ASSERT(ok);
    T_RC(pipc_queue_shutdown(lq), PIPC_OK);
    CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  }
  pipc_queue_close(lq);
  pipc_queue_unlink(lname);
  unserve(&sv);
}

/* ---- at-least-once gets (PIPC_REMOTE_AT_LEAST_ONCE) ---- */

static const pipc_remote_opts alo = {.connect_timeout_ms = 2000, .link_timeout_ms = 1500,
                                     .flags = PIPC_REMOTE_AT_LEAST_ONCE};

/* The gets of an at-least-once handle behave as local ones (order,
   timeouts, PIPC_EMSGSIZE with the message kept, shutdown); replies lost
   with their connections (PEEK's and ACK's) lose nothing and double
   nothing; nothing stays held at the server afterwards. */
void test_remote_at_least_once_get(void) {
  served sv;
  pipc_queue *r = NULL;
  pipc_remote_opts bad = alo;
  char buf[32];
  size_t len = 0, n = 9;
  int i, wrong = 0;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  CU_ASSERT_FATAL(serve_tcp(&sv, "ral", 256, 32));
  bad.flags = 2;
  T_RC(pipc_queue_open_remote(sv.url, &bad, &r), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(r);
  T_RC(pipc_queue_open_remote(sv.url, &alo, &r), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL);
  T_RC(pipc_queue_put(sv.local, "hello", 5, 0), PIPC_OK);
  T_RC(pipc_queue_put(r, "bb", 2, 0), PIPC_OK);
  T_RC(pipc_queue_put(sv.local, "ccc", 3, 0), PIPC_OK);
  T_RC(pipc_queue_get(r, buf, 2, &len, 1000), PIPC_EMSGSIZE);
  CU_ASSERT_EQUAL(len, 5);
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, 1000), PIPC_OK); /* kept: first in line */
  CU_ASSERT(len == 5 && memcmp(buf, "hello", 5) == 0);
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, 1000), PIPC_OK);
  CU_ASSERT(len == 2 && memcmp(buf, "bb", 2) == 0);
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, 1000), PIPC_OK);
  CU_ASSERT(len == 3 && memcmp(buf, "ccc", 3) == 0);
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, 100), PIPC_ETIMEDOUT);
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, -2), PIPC_EINVAL);
  T_RC(pipc_queue_orphans(sv.local, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  T_RC(pipc_queue_size(sv.local, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0); /* each taken off once its ACK came */
  /* replies lost: the PEEK's copy gets the held message again, the ACK's
     copy its kept answer - each message once, in order */
  for (i = 0; i < 100; i++) {
    char m[16];
    int k = snprintf(m, sizeof m, "m%d", i);
    T_RC(pipc_queue_put(sv.local, m, (size_t)k, 0), PIPC_OK);
  }
  pipc__store32(&pipc__remote_drop_replies, 30);
  for (i = 0; i < 100; i++) {
    char want[16];
    int k = snprintf(want, sizeof want, "m%d", i);
    int rc = pipc_queue_get(r, buf, sizeof buf, &len, 5000);
    if (rc != PIPC_OK || len != (size_t)k || memcmp(buf, want, len) != 0) {
      if (wrong++ < 5)
        fprintf(stderr, "\n  get %d: %s, %.*s", i, pipc_strerror(rc), rc ? 0 : (int)len, buf);
    }
  }
  CU_ASSERT_EQUAL(wrong, 0);
  CU_ASSERT_EQUAL(pipc__load32(&pipc__remote_drop_replies), 0); /* every drop happened */
  /* the same with each copy ahead of the server's news of the lost
     connection: it is answered from the delivery still held */
  for (i = 0; i < 50; i++) {
    char m[16];
    int k = snprintf(m, sizeof m, "n%d", i);
    T_RC(pipc_queue_put(sv.local, m, (size_t)k, 0), PIPC_OK);
  }
  pipc__store32(&pipc__remote_late_gone, 1);
  pipc__store32(&pipc__remote_drop_replies, 15);
  for (i = 0; i < 50; i++) {
    char want[16];
    int k = snprintf(want, sizeof want, "n%d", i);
    int rc = pipc_queue_get(r, buf, sizeof buf, &len, 5000);
    if (rc != PIPC_OK || len != (size_t)k || memcmp(buf, want, len) != 0) {
      if (wrong++ < 5)
        fprintf(stderr, "\n  get n%d: %s, %.*s", i, pipc_strerror(rc), rc ? 0 : (int)len, buf);
    }
  }
  CU_ASSERT_EQUAL(wrong, 0);
  CU_ASSERT_EQUAL(pipc__load32(&pipc__remote_drop_replies), 0);
  pipc__store32(&pipc__remote_drop_replies, 0);
  pipc__store32(&pipc__remote_late_gone, 0);
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  T_RC(pipc_queue_orphans(sv.local, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  T_RC(pipc_queue_size(sv.local, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  /* shutdown: drained, then PIPC_ECLOSED */
  T_RC(pipc_queue_put(sv.local, "z", 1, 0), PIPC_OK);
  T_RC(pipc_queue_shutdown(sv.local), PIPC_OK);
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, PIPC_FOREVER), PIPC_OK);
  CU_ASSERT(len == 1 && buf[0] == 'z');
  T_RC(pipc_queue_get(r, buf, sizeof buf, &len, PIPC_FOREVER), PIPC_ECLOSED);
  pipc_queue_close(r);
  unserve(&sv);
}

/* remote_alo_get URL COUNTDOWN SHM N: at-least-once gets, counting each
   value returned in the shared seen[N] (u32 each), until the fault point
   between a message's arrival and its acknowledgement kills this process
   at the COUNTDOWN-th arrival (or the queue stays empty for 3 s: 0). */
int role_remote_alo_get(int argc, char **argv) {
  pipc_queue *r = NULL;
  pipc_shm *shm = NULL;
  volatile uint32_t *seen;
  uint32_t v, n;
  size_t len;
  int rc;
  if (argc < 5) return 10;
  n = (uint32_t)atoi(argv[4]);
  if (pipc_shm_open(argv[3], &shm) != PIPC_OK || pipc_shm_size(shm) < (size_t)n * 4) return 11;
  seen = (volatile uint32_t *)pipc_shm_addr(shm);
  if ((rc = pipc_queue_open_remote(argv[1], &alo, &r)) != PIPC_OK) {
    fprintf(stderr, "remote_alo_get: %s\n", pipc_strerror(rc));
    return 12;
  }
  pipc__fault_arm(PIPC__FAULT_REMOTE_RECEIVED, atol(argv[2]));
  while ((rc = pipc_queue_get(r, &v, sizeof v, &len, 3000)) == PIPC_OK && len == sizeof v && v < n)
    pipc__add32(&seen[v], 1);
  pipc_queue_close(r);
  pipc_shm_close(shm);
  return rc == PIPC_ETIMEDOUT ? 0 : 13;
}

/* remote_alo_wait URL SEM [plain]: an at-least-once get (plain: a
   default one) that waits (nothing there), after posting semaphore SEM;
   the test kills it meanwhile. */
int role_remote_alo_wait(int argc, char **argv) {
  pipc_queue *r = NULL;
  pipc_sem *sem = NULL;
  char buf[16];
  size_t len;
  if (argc < 3 || pipc_sem_open(argv[2], &sem) != PIPC_OK) return 10;
  if (pipc_queue_open_remote(argv[1], argc > 3 ? &quick : &alo, &r) != PIPC_OK) return 11;
  pipc_sem_post(sem);
  pipc_queue_get(r, buf, sizeof buf, &len, PIPC_FOREVER);
  return 12; /* (killed before anything comes) */
}

/* Clients killed while their gets wait at the server (at least once, and
   plain): the message put afterwards must not be taken for them (the
   reply would go nowhere: the message held for good, or lost) - another
   client gets it. */
void test_remote_at_least_once_waiting_client_killed(void) {
  served sv;
  char sname[80];
  pipc_sem *sem = NULL;
  pipc_queue *r = NULL;
  pipc_process *p;
  uint32_t v = 42;
  size_t len = 0, n = 9;
  int k;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  CU_ASSERT_FATAL(serve_tcp(&sv, "raw", 16, 8));
  t_name(sname, sizeof sname, "raws");
  T_RC(pipc_sem_create(sname, 0, 0, &sem), PIPC_OK);
  CU_ASSERT_FATAL(sem != NULL);
  for (k = 0; k < 3; k++) { /* three waiting clients killed */
    p = t_spawn("remote_alo_wait", sv.url, sname, k == 1 ? "plain" : NULL, NULL);
    T_RC(pipc_sem_wait(sem, 10000), PIPC_OK);
    pipc_sleep_ms(300); /* its get is waiting at the server */
    pipc_process_kill(p);
    CU_ASSERT_EQUAL(t_join(p, 10000), -9);
  }
  pipc_sleep_ms(500); /* the server has heard of the lost connections */
  T_RC(pipc_queue_put(sv.local, &v, sizeof v, 0), PIPC_OK);
  T_RC(pipc_queue_open_remote(sv.url, &alo, &r), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL);
  v = 0;
  T_RC(pipc_queue_get(r, &v, sizeof v, &len, 4000), PIPC_OK);
  CU_ASSERT(len == sizeof v && v == 42);
  T_RC(pipc_queue_orphans(sv.local, &n), PIPC_OK);
  CU_ASSERT_EQUAL(n, 0);
  pipc_queue_close(r);
  pipc_sem_close(sem);
  pipc_sem_unlink(sname);
  unserve(&sv);
}

/* Clients killed between a message's arrival and its acknowledgement, 12
   times: the server gives each such message back when the connection
   goes, and the next at-least-once get receives it - every value once
   (the killed clients never returned theirs), none left held. */
void test_remote_at_least_once_client_killed(void) {
  served sv;
  char sname[80], cnt[16], ns[16];
  pipc_shm *shm = NULL;
  pipc_queue *r = NULL;
  volatile uint32_t *seen;
  uint32_t i, v, n = 120, rng = 77;
  size_t len, left = 9;
  int k, kills = 0, lost = 0, twice = 0;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  CU_ASSERT_FATAL(serve_tcp(&sv, "rak", 256, 8));
  t_name(sname, sizeof sname, "raks");
  T_RC(pipc_shm_create(sname, (size_t)n * 4, &shm), PIPC_OK);
  CU_ASSERT_FATAL(shm != NULL);
  seen = (volatile uint32_t *)pipc_shm_addr(shm);
  for (i = 0; i < n; i++) T_RC(pipc_queue_put(sv.local, &i, sizeof i, 0), PIPC_OK);
  snprintf(ns, sizeof ns, "%u", (unsigned)n);
  for (k = 0; k < 12; k++) {
    pipc_process *p;
    snprintf(cnt, sizeof cnt, "%u", 1 + t_rand(&rng) % 6);
    p = t_spawn("remote_alo_get", sv.url, cnt, sname, ns, NULL);
    if (t_join(p, 60000) == -9) kills++;
  }
  CU_ASSERT_EQUAL(kills, 12);
  T_RC(pipc_queue_open_remote(sv.url, &alo, &r), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL);
  while (pipc_queue_get(r, &v, sizeof v, &len, 2000) == PIPC_OK)
    if (len == sizeof v && v < n) pipc__add32(&seen[v], 1);
  for (i = 0; i < n; i++) {
    uint32_t c = pipc__load32(&seen[i]);
    if (c == 0) lost++;
    if (c > 1) twice++;
  }
  if (lost || twice) fprintf(stderr, "\n  %d values lost, %d twice", lost, twice);
  CU_ASSERT_EQUAL(lost, 0);
  CU_ASSERT_EQUAL(twice, 0);
  T_RC(pipc_queue_orphans(sv.local, &left), PIPC_OK);
  CU_ASSERT_EQUAL(left, 0);
  T_RC(pipc_queue_size(sv.local, &left), PIPC_OK);
  CU_ASSERT_EQUAL(left, 0);
  pipc_queue_close(r);
  pipc_shm_close(shm);
  pipc_shm_unlink(sname);
  unserve(&sv);
}

/* ---- remote Pipes (pipc serve --listener) ---- */

/* A local listener served at tcp://127.0.0.1:<port>; url: its remote name. */
typedef struct served_pipe {
  char lname[80], url[160];
  pipc_listener *l;
  pipc_server *srv;
} served_pipe;

static int serve_listener(served_pipe *sp, const char *tag) {
  const char *names[1];
  pipc_serve_opts o;
  int port = -1;
  memset(sp, 0, sizeof *sp);
  memset(&o, 0, sizeof o);
  t_name(sp->lname, sizeof sp->lname, tag);
  if (pipc_listener_create(sp->lname, &sp->l) != PIPC_OK) return 0;
  names[0] = sp->lname;
  o.listeners = names;
  o.nlisteners = 1;
  o.allow_plain = 1;
  if (pipc_serve_start("tcp://127.0.0.1:0", &o, &sp->srv) != PIPC_OK) return 0;
  if (pipc_serve_port(sp->srv, &port) != PIPC_OK || port <= 0) return 0;
  snprintf(sp->url, sizeof sp->url, "tcp://127.0.0.1:%d/%s", port, sp->lname);
  return 1;
}

static void unserve_listener(served_pipe *sp) {
  if (sp->srv) pipc_serve_stop(sp->srv);
  if (sp->l) pipc_listener_close(sp->l);
}

/* An echo on the accepted local end: each message back, until the end. */
static int echo_end; /* what ended it */
static void echo_main(void *arg) {
  pipc_pipe *p = (pipc_pipe *)arg;
  char buf[4096];
  size_t len;
  while ((echo_end = pipc_pipe_recv(p, buf, sizeof buf, &len, 20000)) == PIPC_OK)
    if ((echo_end = pipc_pipe_send(p, buf, len, 5000)) != PIPC_OK) break;
}

static pipc_pipe *big_from;
static const char *big_buf;
static size_t big_len;
static int big_rc;
/* Send and flush in one thread: on Windows a write still in flight when
   the thread that started it ends is cancelled with it (issue 20). */
static void push_main(void *arg) {
  (void)arg;
  big_rc = pipc_pipe_send(big_from, big_buf, big_len, 5000);
  if (big_rc == PIPC_OK) big_rc = pipc_pipe_flush(big_from, 10000);
}

/* A remote end works as a local one: messages both ways (empty, big),
   PIPC_EMSGSIZE with the message kept, timeouts, poll, what it lacks
   (PIPC_ENOTSUP), bad arguments, a listener not served or not there, and
   the end of the connection seen on each side. */
void test_remote_pipe_as_local(void) {
  served_pipe sp;
  pipc_pipe *r = NULL, *local = NULL, *bad = NULL;
  pipc_remote_opts o;
  pipc_waitable w;
  pipc_peer peer;
  char buf[300000], url[200], tok[64];
  intptr_t h;
  size_t len = 0;
  t_thread *echo, *pusher;
  if (pipc_remote_support()) {
    T_RC(pipc_pipe_connect("tcp://127.0.0.1:1/x", &r, 100), PIPC_ENOTSUP);
    T_SKIP(NO_NNG);
  }
  CU_ASSERT_FATAL(serve_listener(&sp, "rpl"));
  T_RC(pipc_pipe_connect(sp.url, &r, 2000), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL);
  T_RC(pipc_listener_accept(sp.l, &local, 2000), PIPC_OK);
  CU_ASSERT_FATAL(local != NULL);
  /* nothing yet: poll 0, recv timeouts */
  CU_ASSERT_EQUAL(pipc_pipe_poll(r, 0), 0);
  T_RC(pipc_pipe_poll(r, 100), 0);
  T_RC(pipc_pipe_recv(r, buf, sizeof buf, &len, 0), PIPC_EAGAIN);
  T_RC(pipc_pipe_recv(r, buf, sizeof buf, &len, 100), PIPC_ETIMEDOUT);
  T_RC(pipc_pipe_recv(r, buf, sizeof buf, &len, -2), PIPC_EINVAL);
  T_RC(pipc_pipe_send(r, "x", 1, -2), PIPC_EINVAL);
  /* both ways, in order */
  T_RC(pipc_pipe_send(r, "hello", 5, 2000), PIPC_OK);
  T_RC(pipc_pipe_send(r, "", 0, 2000), PIPC_OK);
  T_RC(pipc_pipe_recv(local, buf, sizeof buf, &len, 2000), PIPC_OK);
  CU_ASSERT(len == 5 && memcmp(buf, "hello", 5) == 0);
  T_RC(pipc_pipe_recv(local, buf, sizeof buf, &len, 2000), PIPC_OK);
  CU_ASSERT_EQUAL(len, 0);
  T_RC(pipc_pipe_send(local, "world!", 6, 2000), PIPC_OK);
  CU_ASSERT_EQUAL(pipc_pipe_poll(r, 2000), 1);
  T_RC(pipc_pipe_recv(r, buf, 3, &len, 2000), PIPC_EMSGSIZE); /* kept */
  CU_ASSERT_EQUAL(len, 6);
  T_RC(pipc_pipe_recv(r, buf, sizeof buf, &len, 2000), PIPC_OK);
  CU_ASSERT(len == 6 && memcmp(buf, "world!", 6) == 0);
  T_RC(pipc_pipe_send(local, "", 0, 2000), PIPC_OK);
  T_RC(pipc_pipe_recv(r, buf, sizeof buf, &len, 2000), PIPC_OK);
  CU_ASSERT_EQUAL(len, 0);
  { /* 300,000 bytes each way */
    size_t i;
    for (i = 0; i < sizeof buf; i++) buf[i] = (char)(i * 7);
    T_RC(pipc_pipe_send(r, buf, sizeof buf, 5000), PIPC_OK);
    memset(buf, 0, sizeof buf);
    T_RC(pipc_pipe_recv(local, buf, sizeof buf, &len, 5000), PIPC_OK);
    CU_ASSERT_EQUAL(len, sizeof buf);
    for (i = 0; i < sizeof buf && buf[i] == (char)(i * 7); i++) {
    }
    CU_ASSERT_EQUAL(i, sizeof buf);
    /* (a local send may leave part of it in the end's own buffer, pushed
       by later calls on that end: a thread flushes it while we read) */
    big_from = local;
    big_len = sizeof buf;
    big_buf = buf;
    pusher = t_thread_start(push_main, NULL);
    {
      static char in[300000];
      T_RC(pipc_pipe_recv(r, in, sizeof in, &len, 10000), PIPC_OK);
      t_thread_join(pusher);
      CU_ASSERT_EQUAL(big_rc, PIPC_OK);
      memcpy(buf, in, sizeof in);
    }
    CU_ASSERT_EQUAL(len, sizeof buf);
    for (i = 0; i < sizeof buf && buf[i] == (char)(i * 7); i++) {
    }
    CU_ASSERT_EQUAL(i, sizeof buf);
  }
  /* what a remote end lacks */
  T_RC(pipc_pipe_export(r, tok, sizeof tok), PIPC_ENOTSUP);
  T_RC(pipc_pipe_os_handle(r, &h), PIPC_ENOTSUP);
  T_RC(pipc_pipe_peer(r, &peer), PIPC_ENOTSUP);
  T_RC(pipc_pipe_flush(r, 0), PIPC_OK);
  w = pipc_wait_on_pipe(r);
  T_RC(pipc_wait(&w, 1, 0), PIPC_ENOTSUP);
  /* the local peer closes: what it sent, then PIPC_ECLOSED */
  T_RC(pipc_pipe_send(local, "last", 4, 2000), PIPC_OK);
  pipc_pipe_close(local);
  T_RC(pipc_pipe_recv(r, buf, sizeof buf, &len, 2000), PIPC_OK);
  CU_ASSERT(len == 4 && memcmp(buf, "last", 4) == 0);
  T_RC(pipc_pipe_recv(r, buf, sizeof buf, &len, 2000), PIPC_ECLOSED);
  CU_ASSERT_EQUAL(pipc_pipe_poll(r, 0), 1); /* the end is "something" */
  pipc_pipe_close(r);
  /* the remote end closes: the local peer sees what it sent, then the end */
  T_RC(pipc_pipe_connect(sp.url, &r, 2000), PIPC_OK);
  T_RC(pipc_listener_accept(sp.l, &local, 2000), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL && local != NULL);
  echo = t_thread_start(echo_main, local);
  T_RC(pipc_pipe_send(r, "ping", 4, 2000), PIPC_OK);
  T_RC(pipc_pipe_recv(r, buf, sizeof buf, &len, 5000), PIPC_OK);
  CU_ASSERT(len == 4 && memcmp(buf, "ping", 4) == 0);
  T_RC(pipc_pipe_send(r, "bye", 3, 2000), PIPC_OK);
  pipc_pipe_close(r);
  t_thread_join(echo);
  T_RC(echo_end, PIPC_ECLOSED); /* the end, not a timeout */
  pipc_pipe_close(local);
  /* names: a listener not served, one served but not listening, bad options */
  snprintf(url, sizeof url, "%.*sother", (int)(strrchr(sp.url, '/') + 1 - sp.url), sp.url);
  T_RC(pipc_pipe_connect(url, &bad, 2000), PIPC_ENOENT);
  CU_ASSERT_PTR_NULL(bad);
  memset(&o, 0, sizeof o);
  o.flags = PIPC_REMOTE_AT_LEAST_ONCE;
  T_RC(pipc_pipe_connect_remote(sp.url, &o, &bad, 2000), PIPC_EINVAL);
  T_RC(pipc_pipe_connect_remote("calc", NULL, &bad, 2000), PIPC_EINVAL);
  T_RC(pipc_pipe_connect_remote(sp.url, NULL, NULL, 2000), PIPC_EINVAL);
  T_RC(pipc_pipe_connect_remote(sp.url, NULL, &bad, -2), PIPC_EINVAL);
  {
    pipc_attr a;
    memset(&a, 0, sizeof a);
    T_RC(pipc_pipe_connect_ex(sp.url, &a, &bad, 2000), PIPC_EINVAL);
  }
  pipc_listener_close(sp.l);
  sp.l = NULL;
  T_RC(pipc_pipe_connect(sp.url, &bad, 2000), PIPC_ENOENT);
  CU_ASSERT_PTR_NULL(bad);
  unserve_listener(&sp);
}

/* Replies lost with their connections, both ways: each message sent once
   and received once, in order. */
void test_remote_pipe_replies_lost(void) {
  served_pipe sp;
  pipc_pipe *r = NULL, *local = NULL;
  char buf[32];
  size_t len;
  int i, bad = 0;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  CU_ASSERT_FATAL(serve_listener(&sp, "rpr"));
  T_RC(pipc_pipe_connect(sp.url, &r, 2000), PIPC_OK);
  T_RC(pipc_listener_accept(sp.l, &local, 2000), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL && local != NULL);
  pipc__store32(&pipc__remote_drop_replies, 20);
  for (i = 0; i < 100; i++) {
    char m[16];
    int n = snprintf(m, sizeof m, "s%d", i);
    if (pipc_pipe_send(r, m, (size_t)n, 5000) != PIPC_OK) bad++;
  }
  CU_ASSERT_EQUAL(bad, 0);
  for (i = 0; i < 100; i++) {
    char want[16];
    int n = snprintf(want, sizeof want, "s%d", i);
    if (pipc_pipe_recv(local, buf, sizeof buf, &len, 5000) != PIPC_OK || len != (size_t)n ||
        memcmp(buf, want, len) != 0)
      bad++;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(pipc_pipe_poll(local, 200), 0); /* none twice */
  for (i = 0; i < 100; i++) {
    char m[16];
    int n = snprintf(m, sizeof m, "r%d", i);
    T_RC(pipc_pipe_send(local, m, (size_t)n, 5000), PIPC_OK);
  }
  pipc__store32(&pipc__remote_drop_replies, 20);
  for (i = 0; i < 100; i++) {
    char want[16];
    int n = snprintf(want, sizeof want, "r%d", i);
    if (pipc_pipe_recv(r, buf, sizeof buf, &len, 5000) != PIPC_OK || len != (size_t)n ||
        memcmp(buf, want, len) != 0)
      bad++;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(pipc__load32(&pipc__remote_drop_replies), 0);
  pipc__store32(&pipc__remote_drop_replies, 0);
  pipc_pipe_close(r);
  pipc_pipe_close(local);
  unserve_listener(&sp);
}

/* remote_pipe_die URL: connect, send "x", then die without closing. */
int role_remote_pipe_die(int argc, char **argv) {
  pipc_pipe *r = NULL;
  if (argc < 2 || pipc_pipe_connect(argv[1], &r, 5000) != PIPC_OK) return 10;
  if (pipc_pipe_send(r, "x", 1, 5000) != PIPC_OK) return 11;
  pipc__fault_arm(PIPC__FAULT_REMOTE_RECEIVED, 1); /* (any point: die now) */
  pipc__fault_hit();
  return 12;
}

/* A client killed: the server closes its end of the relay once the
   connection has been gone for the grace (test: 300 ms), so the local
   peer sees the message, then PIPC_ECLOSED - never waits forever. */
void test_remote_pipe_client_killed(void) {
  served_pipe sp;
  pipc_pipe *local = NULL;
  pipc_process *p;
  char buf[16];
  size_t len;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
  pipc__store32(&pipc__remote_pipe_grace_ms, 300);
  CU_ASSERT_FATAL(serve_listener(&sp, "rpk"));
  p = t_spawn("remote_pipe_die", sp.url, NULL);
  T_RC(pipc_listener_accept(sp.l, &local, 10000), PIPC_OK);
  CU_ASSERT_FATAL(local != NULL);
  CU_ASSERT_EQUAL(t_join(p, 20000), -9);
  T_RC(pipc_pipe_recv(local, buf, sizeof buf, &len, 5000), PIPC_OK);
  CU_ASSERT(len == 1 && buf[0] == 'x');
  T_RC(pipc_pipe_recv(local, buf, sizeof buf, &len, 10000), PIPC_ECLOSED);
  pipc_pipe_close(local);
  unserve_listener(&sp);
  pipc__store32(&pipc__remote_pipe_grace_ms, 0);
}

/* 24 threads on one handle (more than its 16 lanes) put while `pipc serve
   --state FILE` is SIGKILLed and started again three times on the same
   ipc:// path: no value twice, none lost after PIPC_OK, none in doubt (the
   restarted server answers what was in flight from its state file).  (A
   server killed, not stopped: nng 1.5's own close can wedge under such
   churn - docs/remote.md - and a crash is what this is about.)  The client
   is a child process (role remote_mt): nng 1.5.2's reaper wedge, which
   this case meets about one run in ten, is process-wide - once it struck,
   every connection of the process that dies is never reaped, so each
   later server kill costs a handle one socket of the 4 it may leave
   behind, and the cases after this one would inherit it. */
void test_remote_threads_across_serve_kills(void) {
  char name[80], surl[200], url[300], state[120], sname[80];
  pipc_queue *local = NULL;
  pipc_shm *shm = NULL;
  pipc_process *serve, *client;
  unsigned seen[MT_THREADS * MT_EACH], v, i, twice = 0, lost = 0, other = 0, doubt = 0;
  const unsigned char *result;
  size_t len, depth = 0;
  int kills, code;
  int64_t t0;
  if (pipc_remote_support()) T_SKIP(NO_NNG);
#ifdef _WIN32
  T_SKIP("the served path is a POSIX socket file here");
#endif
  if (t_os_why_no_exec_errors())
    T_SKIP("valgrind: 24 threads across three server kills take many minutes here, and one "
           "run showed a 112-byte request copy lost inside nng (not seen by ASan's leak "
           "check): this case runs natively");
  /* Its hangs were nng 1.5.2's reaper wedge in the client (gdb,
     2026-12-02: after a server SIGKILL under 24 writing threads, the
     client's nng:reap2 waits forever, the dead connection is never reaped
     and the dialer never dials the restarted server; about one run in
     eight).  A handle now replaces such a socket by itself and sends what
     was in flight again there (remote/wedged_socket_replaced plays it):
     this case checks that the promise holds through it. */
  t_name(name, sizeof name, "rmt");
  t_name(sname, sizeof sname, "rmts");
  snprintf(surl, sizeof surl, "ipc:///tmp/pipc-test-%s.sock", name);
  snprintf(url, sizeof url, "%s/%s", surl, name);
  snprintf(state, sizeof state, "%s.state", name);
  T_RC(pipc_queue_create(name, 8192, 16, &local), PIPC_OK);
  T_RC(pipc_shm_create(sname, sizeof mt.result, &shm), PIPC_OK);
  CU_ASSERT_FATAL(local != NULL && shm != NULL);
  {
    const char *argv[] = {pipc_cli_path(), "serve", surl, "--queue", name, "--state", state, NULL};
    CU_ASSERT_FATAL((serve = NULL, pipc_process_spawn(argv, &serve)) == PIPC_OK);
  }
  client = t_spawn("remote_mt", url, sname, NULL);
  CU_ASSERT_FATAL(client != NULL);
  t0 = t_now_ms(); /* the client puts */
  while (pipc_queue_size(local, &depth) == PIPC_OK && depth == 0 && t_now_ms() - t0 < 20000)
    pipc_sleep_ms(5);
  CU_ASSERT(depth > 0);
  for (kills = 0; kills < 3; kills++) {
    const char *argv[] = {pipc_cli_path(), "serve", surl, "--queue", name, "--state", state, NULL};
    pipc_sleep_ms(150);
    if (kills == 0) { /* the first kill lands while the threads put */
      T_RC(pipc_queue_size(local, &depth), PIPC_OK);
      CU_ASSERT(depth < MT_THREADS * MT_EACH);
    }
    pipc_process_kill(serve);
    CU_ASSERT_EQUAL(t_join(serve, 30000), -9);
    serve = NULL;
    CU_ASSERT_FATAL(pipc_process_spawn(argv, &serve) == PIPC_OK);
  }
  code = t_join(client, 120000);
  CU_ASSERT_EQUAL(code, 0);
  pipc_sleep_ms(200); /* (the size came: the last server is up; its handler set) */
  pipc_process_terminate(serve);
  CU_ASSERT_EQUAL(t_join(serve, 30000), 0);
  memset(seen, 0, sizeof seen);
  while (pipc_queue_get(local, &v, sizeof v, &len, 0) == PIPC_OK)
    if (len == sizeof v && v < MT_THREADS * MT_EACH) seen[v]++;
  result = (const unsigned char *)pipc_shm_addr(shm);
  for (i = 0; i < MT_THREADS * MT_EACH; i++) {
    if (seen[i] > 1) twice++;
    if (result[i] == 1 && seen[i] != 1) lost++;
    if (result[i] == 3 || result[i] == 0) other++;
    if (result[i] == 2) doubt++;
  }
  if (twice || lost || other)
    fprintf(stderr, "\n  %u twice, %u lost after PIPC_OK, %u other errors", twice, lost, other);
  CU_ASSERT_EQUAL(twice, 0);
  CU_ASSERT_EQUAL(lost, 0);
  CU_ASSERT_EQUAL(other, 0);
  CU_ASSERT_EQUAL(doubt, 0); /* the state file: every put in flight answered */
  pipc_shm_close(shm);
  pipc_shm_unlink(sname);
  pipc_queue_close(local);
  pipc_queue_unlink(name);
  remove(state);
}

/* The bridge case: host A's producers put 100,000 values into a
   local queue; `pipc bridge` in A forwards it over TLS to the queue `pipc
   serve --state` serves in B, and is SIGKILLed 50 times at random moments
   while it does.  At the far end every value arrives once, in order.
   100,000 in the default configuration (T_BRIDGE_FULL: ~2 min here; the
   transport is the same code in every POSIX one), 10,000 in the others,
   fewer under the sanitizers, and under valgrind 2,000 and 10 kills. */
#ifndef T_BRIDGE_FULL
#define T_BRIDGE_FULL 0
#endif
void test_netns_bridge_killed_50_times(void) {
  char lname[80], qname[80], url[200];
  pipc_queue *lq = NULL, *far = NULL;
  pipc_process *serve;
  uint64_t i, next = 0,
                n = t_os_why_no_exec_errors() ? 2000
                    : T_BRIDGE_FULL           ? 100000
                                              : (net_msgs() < 10000 ? net_msgs() : 10000);
  uint32_t rng = 5150;
  int k, ok = 1, kills = t_os_why_no_exec_errors() ? 10 : BRIDGE_KILLS;
  const char *why = net_setup();
  if (why) T_SKIP(why);
  t_name(lname, sizeof lname, "nbl");
  t_name(qname, sizeof qname, "nbq");
  T_RC(pipc_queue_create(lname, (size_t)n, 8, &lq), PIPC_OK);
  T_RC(pipc_queue_create(qname, (size_t)n, 8, &far), PIPC_OK);
  CU_ASSERT_FATAL(lq != NULL && far != NULL);
  for (i = 0; i < n; i++) T_RC(pipc_queue_put(lq, &i, sizeof i, 0), PIPC_OK);
  serve = serve_in_b(qname);
  snprintf(url, sizeof url, "tls+tcp://" NET_B ":" NET_PORT "/%s", qname);
  t_os_setenv("PIPC_TLS_CERT", tls_file("client.crt"));
  t_os_setenv("PIPC_TLS_KEY", tls_file("client.key"));
  t_os_setenv("PIPC_TLS_CA", tls_file("ca.crt"));
  t_os_setenv("PIPC_TLS_SERVER_NAME", "pipc-b.test");
  for (k = 0; k < kills && ok; k++) {
    const char *argv[] = {pipc_cli_path(), "bridge", lname, url, NULL};
    pipc_process *p = ns_spawn(ns_a, argv);
    int code;
    ok = kill_after(p, far, &next, 1 + t_rand(&rng) % (n / 100), &rng);
    code = t_join(p, 60000);
    if (code != -9) {
      fprintf(stderr, "\n  run %d: the bridge ended with %d", k, code);
      ok = 0;
    }
    ok = ok && bridge_drain(far, &next, 0);
  }
  CU_ASSERT(ok);
  CU_ASSERT(next < n); /* the kills came while it forwarded */
  { /* the last run forwards the rest and ends once the queue is shut */
    const char *argv[] = {pipc_cli_path(), "bridge", lname, url, NULL};
    pipc_process *p = ns_spawn(ns_a, argv);
    ok = bridge_drain(far, &next, 60000) && next == n;
    if (!ok)
      fprintf(stderr, "\n  %llu of %llu arrived", (unsigned long long)next, (unsigned long long)n);
    CU_ASSERT(ok);
    T_RC(pipc_queue_shutdown(lq), PIPC_OK);
    CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  }
  fprintf(stderr, "(%llu values, %d kills) ", (unsigned long long)n, k);
  t_os_setenv("PIPC_TLS_CERT", NULL);
  t_os_setenv("PIPC_TLS_KEY", NULL);
  t_os_setenv("PIPC_TLS_CA", NULL);
  t_os_setenv("PIPC_TLS_SERVER_NAME", NULL);
  pipc_process_terminate(serve);
  CU_ASSERT_EQUAL(t_join(serve, 30000), 0);
  remove(state_of(qname));
  pipc_queue_close(lq);
  pipc_queue_unlink(lname);
  pipc_queue_close(far);
  pipc_queue_unlink(qname);
  net_teardown();
}
