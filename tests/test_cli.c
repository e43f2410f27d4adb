/* test_cli.c - the `pipc` command, run as a separate process on every
   platform: it must do what it says to the objects the test holds, and
   answer bad usage with exit code 2, failed operations with 1. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* build/<preset>/tools/pipc[.exe], beside this binary's tests/ directory */
static const char *cli_path(void) {
  static char path[4200];
  char self[4096], *slash, *b;
  if (pipc_self_exe(self, sizeof self) != PIPC_OK) return NULL;
  slash = strrchr(self, '/');
  b = strrchr(self, '\\');
  if (b > slash) slash = b;
  if (slash == NULL) return NULL;
  *slash = 0;
#ifdef _WIN32
  snprintf(path, sizeof path, "%s\\..\\tools\\pipc.exe", self);
#else
  snprintf(path, sizeof path, "%s/../tools/pipc", self);
#endif
  return path;
}

/* Run pipc with up to 5 arguments (NULL-terminated): its exit code. */
static int cli(const char *a, ...) {
  const char *argv[8];
  va_list ap;
  pipc_process *p = NULL;
  int n = 0, code = -1000;
  argv[n++] = cli_path();
  argv[n++] = a;
  va_start(ap, a);
  while (n < 7 && (argv[n] = va_arg(ap, const char *)) != NULL) n++;
  va_end(ap);
  argv[n] = NULL;
  if (argv[0] == NULL || pipc_process_spawn(argv, &p) != PIPC_OK) return -1001;
  if (pipc_process_wait(p, 30000, &code) != PIPC_OK) {
    pipc_process_kill(p);
    pipc_process_wait(p, PIPC_FOREVER, NULL);
    code = -1002;
  }
  pipc_process_free(p);
  return code;
}

void test_cli_queue_send_recv_info(void) {
  char name[80], buf[32];
  pipc_queue *q = NULL;
  pipc_queue_stat_t st;
  size_t len;
  t_name(name, sizeof name, "cliq");
  T_RC(pipc_queue_create(name, 4, 32, &q), PIPC_OK);
  CU_ASSERT_FATAL(q != NULL);
  CU_ASSERT_EQUAL(cli("send", name, "hello", NULL), 0);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 5 && memcmp(buf, "hello", 5) == 0);
  T_RC(pipc_queue_put(q, "world", 5, 0), PIPC_OK);
  CU_ASSERT_EQUAL(cli("info", name, NULL), 0);
  CU_ASSERT_EQUAL(cli("recv", name, "-t", "5000", NULL), 0);
  T_RC(pipc_queue_stat(q, &st), PIPC_OK);
  CU_ASSERT_EQUAL(st.depth, 0); /* it took the message */
  CU_ASSERT_EQUAL(cli("recv", name, "-t", "0", NULL), 1); /* empty: PIPC_EAGAIN */
  /* a full queue: send fails in time */
  while (pipc_queue_put(q, "x", 1, 0) == PIPC_OK) {
  }
  CU_ASSERT_EQUAL(cli("send", name, "more", "-t", "50", NULL), 1);
  CU_ASSERT_EQUAL(cli("send", name, "this message is longer than thirty-two bytes", NULL), 1);
  pipc_queue_unlink(name);
  pipc_queue_close(q);
}

void test_cli_rm_and_info_of_every_kind(void) {
  char sn[80], mn[80], ln[80];
  pipc_shm *s = NULL;
  pipc_sem *m = NULL, *m2 = NULL;
  pipc_lock *l = NULL;
  t_name(sn, sizeof sn, "clishm");
  t_name(mn, sizeof mn, "clisem");
  t_name(ln, sizeof ln, "clilock");
  T_RC(pipc_shm_create(sn, 4096, &s), PIPC_OK);
  T_RC(pipc_sem_create(mn, 2, 0, &m), PIPC_OK);
  T_RC(pipc_lock_create(ln, &l), PIPC_OK);
  CU_ASSERT_FATAL(s && m && l);
  CU_ASSERT_EQUAL(cli("info", sn, NULL), 0);
  CU_ASSERT_EQUAL(cli("info", mn, NULL), 0);
  CU_ASSERT_EQUAL(cli("info", ln, NULL), 0);
  CU_ASSERT_EQUAL(cli("rm", sn, mn, ln, NULL), 0);
  T_RC(pipc_sem_open(mn, &m2), PIPC_ENOENT); /* the names are gone */
  CU_ASSERT_EQUAL(cli("info", mn, NULL), 1);
  CU_ASSERT_EQUAL(cli("rm", mn, NULL), 1); /* already gone */
  T_RC(pipc_sem_post(m), PIPC_OK);         /* open handles keep working */
  pipc_shm_close(s);
  pipc_sem_close(m);
  pipc_lock_close(l);
}

void test_cli_pipe_send_and_recv(void) {
  char name[80], name2[80], buf[32];
  pipc_listener *li = NULL;
  pipc_pipe *p = NULL;
  pipc_process *r;
  const char *argv[6];
  size_t len;
  int code = -1;
  /* send to a listener the test holds */
  t_name(name, sizeof name, "clip");
  T_RC(pipc_listener_create(name, &li), PIPC_OK);
  CU_ASSERT_FATAL(li != NULL);
  argv[0] = cli_path();
  argv[1] = "send";
  argv[2] = name;
  argv[3] = "over the pipe";
  argv[4] = NULL;
  T_RC(pipc_process_spawn(argv, &r), PIPC_OK);
  T_RC(pipc_listener_accept(li, &p, 30000), PIPC_OK);
  if (p) {
    T_RC(pipc_pipe_recv(p, buf, sizeof buf, &len, 30000), PIPC_OK);
    CU_ASSERT(len == 13 && memcmp(buf, "over the pipe", 13) == 0);
    pipc_pipe_close(p);
    p = NULL;
  }
  T_RC(pipc_process_wait(r, 30000, &code), PIPC_OK);
  CU_ASSERT_EQUAL(code, 0);
  pipc_process_free(r);
  pipc_listener_close(li);
  /* recv: the tool listens, the test connects and sends */
  t_name(name2, sizeof name2, "clir");
  argv[1] = "recv";
  argv[2] = name2;
  argv[3] = "-t";
  argv[4] = "30000";
  argv[5] = NULL;
  T_RC(pipc_process_spawn(argv, &r), PIPC_OK);
  T_RC(pipc_pipe_connect(name2, &p, 30000), PIPC_OK); /* waits for its listener */
  if (p) {
    T_RC(pipc_pipe_send(p, "reply\n", 6, 30000), PIPC_OK);
    pipc_pipe_close(p);
  }
  T_RC(pipc_process_wait(r, 30000, &code), PIPC_OK);
  CU_ASSERT_EQUAL(code, 0);
  pipc_process_free(r);
  /* nobody at a name: send fails in time */
  CU_ASSERT_EQUAL(cli("send", name2, "x", "-t", "0", NULL), 1);
}

void test_cli_bad_usage_is_exit_2(void) {
  CU_ASSERT_EQUAL(cli("no-such-verb", NULL), 2);
  CU_ASSERT_EQUAL(cli("send", NULL), 2);
  CU_ASSERT_EQUAL(cli("send", "q", "m", "-t", "soon", NULL), 2);
  CU_ASSERT_EQUAL(cli("recv", "q", "-x", NULL), 2);
  CU_ASSERT_EQUAL(cli("info", NULL), 2);
  CU_ASSERT_EQUAL(cli("rm", NULL), 2);
  CU_ASSERT_EQUAL(cli("path", "a", "b", NULL), 2);
  CU_ASSERT_EQUAL(cli("info", "bad/name", NULL), 1);
  CU_ASSERT_EQUAL(cli("path", ".hidden", NULL), 1);
  CU_ASSERT_EQUAL(cli("info", "--help", NULL), 0);
  CU_ASSERT_EQUAL(cli("--help", NULL), 0);
  CU_ASSERT_EQUAL(cli("path", "some.name", NULL), 0);
}
