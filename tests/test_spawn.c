/* test_spawn.c - managed children (pipc_process_spawn_ex): arguments,
   environment, working directory, standard streams, graceful stop, exit
   reasons, dying with the host, what is inherited, and every way a spawn
   can fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "os.h"

extern const char *t_self_exe(void);

/* argv for this binary as `--child role args...` (NULL-terminated) */
static const char **child_argv(const char **argv, const char *role, const char *const *args) {
  int n = 0;
  argv[n++] = t_self_exe();
  argv[n++] = "--child";
  argv[n++] = role;
  while (args && *args && n < 62) argv[n++] = *args++;
  argv[n] = NULL;
  return argv;
}

static int spawn_role(const char *role, const char *const *args, const pipc_spawn_opts *o,
                      pipc_process **p) {
  const char *argv[64];
  return pipc_process_spawn_ex(child_argv(argv, role, args), o, p);
}

/* Everything from s until its end (or timeout_ms in all), NUL-terminated,
   into a malloc'd buffer; *len its length.  Returns the last read's code:
   PIPC_ECLOSED at the end. */
static int read_all(pipc_stream *s, char **out, size_t *len, int timeout_ms) {
  size_t cap = 4096, n = 0;
  char *buf = (char *)malloc(cap + 1);
  int64_t end = t_now_ms() + timeout_ms;
  int rc = PIPC_OK;
  while (buf) {
    size_t got = 0;
    int64_t left = end - t_now_ms();
    if (left <= 0) {
      rc = PIPC_ETIMEDOUT;
      break;
    }
    if (n == cap) {
      char *nb = (char *)realloc(buf, cap * 2 + 1);
      if (nb == NULL) break;
      buf = nb;
      cap *= 2;
    }
    rc = pipc_stream_read(s, buf + n, cap - n, &got, (int)left);
    if (rc != PIPC_OK) break;
    n += got;
  }
  if (buf) buf[n] = 0;
  *out = buf;
  *len = n;
  return rc;
}

/* One line from s (up to and without its '\n') into buf[cap], by
   timeout_ms: a byte stream may hand it over in pieces. */
static int read_line(pipc_stream *s, char *buf, size_t cap, int timeout_ms) {
  int64_t end = t_now_ms() + timeout_ms;
  size_t n = 0;
  while (n + 1 < cap) {
    size_t got = 0;
    int64_t left = end - t_now_ms();
    int rc = pipc_stream_read(s, buf + n, 1, &got, left > 0 ? (int)left : 0);
    if (rc != PIPC_OK) {
      buf[n] = 0;
      return rc;
    }
    if (buf[n] == '\n') break;
    n += got;
  }
  buf[n] = 0;
  return PIPC_OK;
}

static int wait_reason(pipc_process *p, pipc_exit *how) {
  int rc = pipc_process_wait_ex(p, 30000, how);
  if (rc != PIPC_OK) {
    pipc_process_kill(p);
    pipc_process_wait_ex(p, PIPC_FOREVER, how);
  }
  return rc;
}

/* ---- roles ---- */

/* Each argument: "N=V" N is V; "!N" N is unset; "#N=len" N is len bytes
   long.  0, or 10 + the first argument that does not hold. */
int role_env(int argc, char **argv) {
  int i;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    char name[256];
    size_t n;
    int len = -1;
    if (a[0] == '!') {
      if (getenv(a + 1) != NULL) return 10 + i;
      continue;
    }
    if (a[0] == '#') {
      a++;
      len = atoi(strchr(a, '=') + 1);
    }
    n = (size_t)(strchr(a, '=') - a);
    if (n >= sizeof name) return 9;
    memcpy(name, a, n);
    name[n] = 0;
    v = getenv(name);
    if (v == NULL) return 10 + i;
    if (len >= 0 ? strlen(v) != (size_t)len : strcmp(v, a + n + 1) != 0) return 10 + i;
  }
  return 0;
}

/* 0 if "marker.txt" is in the working directory. */
int role_cwd(int argc, char **argv) {
  FILE *f = fopen("marker.txt", "rb");
  (void)argc;
  (void)argv;
  if (f == NULL) return 1;
  fclose(f);
  return 0;
}

/* argv[1] lines "o<i>" to stdout and "e<i>" to stderr, in turn, each
   flushed. */
int role_talk(int argc, char **argv) {
  int i, n = argc > 1 ? atoi(argv[1]) : 10;
  t_os_stdio_binary();
  for (i = 0; i < n; i++) {
    printf("o%d\n", i);
    fflush(stdout);
    fprintf(stderr, "e%d\n", i);
    fflush(stderr);
  }
  return 0;
}

/* Copy stdin to stdout until the end of input. */
int role_cat(int argc, char **argv) {
  static char buf[65536];
  size_t n;
  (void)argc;
  (void)argv;
  t_os_stdio_binary();
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
    if (fwrite(buf, 1, n, stdout) != n) return 2;
  return fflush(stdout) == 0 ? 0 : 3;
}

/* Close stdout at once, then read stdin to its end. */
int role_close_out(int argc, char **argv) {
  char buf[256];
  (void)argc;
  (void)argv;
  t_os_stdio_binary();
  fclose(stdout);
  while (fread(buf, 1, sizeof buf, stdin) > 0) {
  }
  return 0;
}

/* argv[1] "handle": exit 0 on the stop request; "ignore": ignore it.
   Says "ready" on stdout once set up. */
int role_term(int argc, char **argv) {
  int ignore = argc > 1 && strcmp(argv[1], "ignore") == 0, stop = 0;
  int64_t end = t_now_ms() + 60000;
  t_os_stdio_binary();
  if (t_os_on_terminate(ignore) != 0) return 5;
  printf("ready\n");
  fflush(stdout);
  while (!stop && t_now_ms() < end) stop = t_os_terminate_requested(5);
  return stop ? 0 : 4;
}

int role_abort(int argc, char **argv) {
  (void)argc;
  (void)argv;
  abort();
}

typedef struct host_spawn {
  pipc_process *child;
  int rc;
} host_spawn;

static void host_spawn_thread(void *arg) {
  host_spawn *h = (host_spawn *)arg;
  pipc_spawn_opts o;
  const char *args[] = {"60000", NULL};
  memset(&o, 0, sizeof o);
  o.flags = PIPC_SPAWN_DIE_WITH_HOST;
  h->rc = spawn_role("sleep", args, &o, &h->child);
}

/* Start `sleep 60000` dying with this process (argv[1] "thread": from a
   thread that then ends), say "up" (or "notsup") on stdout - which the
   sleeper shares - and sleep. */
int role_host(int argc, char **argv) {
  host_spawn h;
  t_os_stdio_binary();
  memset(&h, 0, sizeof h);
  if (argc > 1 && strcmp(argv[1], "thread") == 0)
    t_thread_join(t_thread_start(host_spawn_thread, &h));
  else
    host_spawn_thread(&h);
  if (h.rc == PIPC_ENOTSUP) {
    printf("notsup\n");
    fflush(stdout);
    return 0;
  }
  if (h.rc != PIPC_OK) return 3;
  /* the spawning thread has ended ("thread"): the sleeper must outlive it */
  pipc_sleep_ms(300);
  if (pipc_process_alive(h.child) != 1) {
    printf("died with the thread\n");
    fflush(stdout);
    return 4;
  }
  printf("up\n");
  fflush(stdout);
  pipc_sleep_ms(60000);
  return 0;
}

/* Start `sleep 60000` (plain: it shares this process's stdout and
   group), say "up" and sleep. */
int role_tree(int argc, char **argv) {
  const char *args[] = {"60000", NULL};
  pipc_process *p = NULL;
  (void)argc;
  (void)argv;
  t_os_stdio_binary();
  if (spawn_role("sleep", args, NULL, &p) != PIPC_OK) return 3;
  printf("up\n");
  fflush(stdout);
  pipc_sleep_ms(60000);
  return 0;
}

/* argv[1]: a token to import and say "hi" on. */
int role_pass(int argc, char **argv) {
  pipc_pipe *p = NULL;
  if (argc < 2 || pipc_pipe_import(argv[1], &p) != PIPC_OK) return 2;
  if (pipc_pipe_send(p, "hi", 2, 30000) != PIPC_OK) return 3;
  pipc_sleep_ms(argc > 2 ? atoi(argv[2]) : 0); /* keep what it has open */
  pipc_pipe_close(p);
  return 0;
}

/* ---- cases ---- */

void test_spawn_bad_arguments(void) {
  pipc_spawn_opts o;
  pipc_process *p = (pipc_process *)1;
  pipc_stream *s = NULL;
  pipc_pipe *a = NULL, *b = NULL;
  const char *argv[64];
  const char *bad_env1[] = {"=x", NULL}, *bad_env2[] = {"", NULL};
  const char *no_eq[] = {"A=1", "B", NULL};
  pipc_pipe *none[1] = {NULL};
  char buf[8];
  size_t n;
  intptr_t h;

  child_argv(argv, "exit", NULL);
  memset(&o, 0, sizeof o);
  T_RC(pipc_process_spawn_ex(NULL, &o, &p), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(p);
  T_RC(pipc_process_spawn_ex(argv, &o, NULL), PIPC_EINVAL);
  o.flags = 0x100;
  T_RC(pipc_process_spawn_ex(argv, &o, &p), PIPC_EINVAL);
  memset(&o, 0, sizeof o);
  o.cwd = "";
  T_RC(pipc_process_spawn_ex(argv, &o, &p), PIPC_EINVAL);
  memset(&o, 0, sizeof o);
  o.env = bad_env1;
  T_RC(pipc_process_spawn_ex(argv, &o, &p), PIPC_EINVAL);
  o.env = bad_env2;
  T_RC(pipc_process_spawn_ex(argv, &o, &p), PIPC_EINVAL);
  o.env = no_eq;
  o.env_exact = 1;
  T_RC(pipc_process_spawn_ex(argv, &o, &p), PIPC_EINVAL);
  o.env = NULL; /* exact needs its list */
  T_RC(pipc_process_spawn_ex(argv, &o, &p), PIPC_EINVAL);
  memset(&o, 0, sizeof o);
  o.io[1].mode = (pipc_stdio_mode)99;
  T_RC(pipc_process_spawn_ex(argv, &o, &p), PIPC_EINVAL);
  o.io[1].mode = PIPC_STDIO_STDOUT; /* stderr only */
  T_RC(pipc_process_spawn_ex(argv, &o, &p), PIPC_EINVAL);
  o.io[1].mode = PIPC_STDIO_FILE; /* no path */
  T_RC(pipc_process_spawn_ex(argv, &o, &p), PIPC_EINVAL);
  o.io[1].mode = PIPC_STDIO_STREAM; /* no place for it */
  T_RC(pipc_process_spawn_ex(argv, &o, &p), PIPC_EINVAL);
  o.io[1].stream = &s; /* one place for two */
  o.io[2].mode = PIPC_STDIO_STREAM;
  o.io[2].stream = &s;
  T_RC(pipc_process_spawn_ex(argv, &o, &p), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(s);
  memset(&o, 0, sizeof o);
  o.npass = 1;
  T_RC(pipc_process_spawn_ex(argv, &o, &p), PIPC_EINVAL);
  o.pass = none;
  T_RC(pipc_process_spawn_ex(argv, &o, &p), PIPC_EINVAL);
  T_RC(pipc_pipe_pair(&a, &b), PIPC_OK);
  o.pass = &b; /* not exported */
  T_RC(pipc_process_spawn_ex(argv, &o, &p), PIPC_EINVAL);
  CU_ASSERT_PTR_NULL(p);
  pipc_pipe_close(a);
  pipc_pipe_close(b);

  T_RC(pipc_process_terminate(NULL), PIPC_EINVAL);
  T_RC(pipc_process_alive(NULL), PIPC_EINVAL);
  T_RC(pipc_process_handle(NULL, &h), PIPC_EINVAL);
  CU_ASSERT_EQUAL(h, -1);
  T_RC(pipc_process_wait_ex(NULL, 0, NULL), PIPC_EINVAL);
  T_RC(pipc_stream_read(NULL, buf, sizeof buf, &n, 0), PIPC_EINVAL);
  T_RC(pipc_stream_write(NULL, buf, 1, &n, 0), PIPC_EINVAL);
  T_RC(pipc_stream_close(NULL), PIPC_EINVAL);

  /* a stream is one way: reading what the child reads, writing what it
     writes, are argument errors */
  memset(&o, 0, sizeof o);
  o.io[1].mode = PIPC_STDIO_STREAM;
  o.io[1].stream = &s;
  T_RC(spawn_role("exit", NULL, &o, &p), PIPC_OK);
  CU_ASSERT_FATAL(s != NULL);
  T_RC(pipc_stream_write(s, "x", 1, &n, 0), PIPC_EINVAL);
  T_RC(pipc_stream_read(s, buf, 0, &n, 0), PIPC_EINVAL);
  T_RC(pipc_stream_read(s, NULL, 1, &n, 0), PIPC_EINVAL);
  T_RC(pipc_stream_read(s, buf, 1, NULL, 0), PIPC_EINVAL);
  {
    pipc_waitable w = pipc_wait_on_stream(s, PIPC_WAIT_OUT);
    T_RC(pipc_wait(&w, 1, 0), PIPC_EINVAL);
  }
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  pipc_stream_close(s);
}

void test_spawn_arguments_exact(void) {
  pipc_spawn_opts o;
  pipc_process *p = NULL;
  memset(&o, 0, sizeof o);
  o.io[0].mode = PIPC_STDIO_NULL; /* the managed path, not the plain one */
  T_RC(spawn_role("args", t_tricky_args, &o, &p), PIPC_OK);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  T_RC(spawn_role("args", t_tricky_args, NULL, &p), PIPC_OK);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
}

void test_spawn_environment(void) {
  pipc_spawn_opts o;
  pipc_process *p = NULL;
  static char big[32001 + 8];
  const char *changes[] = {"T_PIPC_A", "T_PIPC_B=22", "T_PIPC_C=3", "T_PIPC_D=x=y", NULL};
  const char *checks[] = {"!T_PIPC_A", "T_PIPC_B=22", "T_PIPC_C=3", "T_PIPC_D=x=y",
                          "T_PIPC_KEEP=kept", NULL};
  const char *exact[4] = {"ONLY=1", big, NULL, NULL};
  const char *exact_checks[] = {"ONLY=1", "#BIG=32000", "!T_PIPC_KEEP", "!T_PIPC_B", NULL};
  char sysroot[600];
  const char *sr = getenv("SystemRoot");

  CU_ASSERT_FATAL(t_os_setenv("T_PIPC_A", "1") == 0);
  CU_ASSERT_FATAL(t_os_setenv("T_PIPC_B", "2") == 0);
  CU_ASSERT_FATAL(t_os_setenv("T_PIPC_KEEP", "kept") == 0);
  memset(&o, 0, sizeof o);
  o.env = changes;
  T_RC(spawn_role("env", checks, &o, &p), PIPC_OK);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  /* control: without the changes, the child sees this process's values */
  {
    const char *plain[] = {"T_PIPC_A=1", "T_PIPC_B=2", "!T_PIPC_C", NULL};
    o.env = NULL;
    o.io[0].mode = PIPC_STDIO_NULL;
    T_RC(spawn_role("env", plain, &o, &p), PIPC_OK);
    CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  }
  /* exactly the given list, with a 32 KB value */
  memcpy(big, "BIG=", 4);
  memset(big + 4, 'v', 32000);
  big[32004] = 0;
  if (sr) { /* Windows programs need it to start at all */
    snprintf(sysroot, sizeof sysroot, "SystemRoot=%s", sr);
    exact[2] = sysroot;
  }
  memset(&o, 0, sizeof o);
  o.env = exact;
  o.env_exact = 1;
  T_RC(spawn_role("env", exact_checks, &o, &p), PIPC_OK);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  t_os_setenv("T_PIPC_A", NULL);
  t_os_setenv("T_PIPC_B", NULL);
  t_os_setenv("T_PIPC_KEEP", NULL);
}

void test_spawn_working_directory(void) {
  pipc_spawn_opts o;
  pipc_process *p = NULL;
  char dir[256], marker[300];
  snprintf(dir, sizeof dir, "t%ld dir \xc3\xa9\xe2\x82\xac", pipc_self_pid());
  snprintf(marker, sizeof marker, "%s/marker.txt", dir);
  CU_ASSERT_FATAL(t_os_mkdir(dir) == 0);
  CU_ASSERT_FATAL(t_os_write_file(marker, "m", 1) == 0);
  memset(&o, 0, sizeof o);
  o.cwd = dir;
  T_RC(spawn_role("cwd", NULL, &o, &p), PIPC_OK);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  /* control: not there without it */
  o.cwd = NULL;
  o.io[0].mode = PIPC_STDIO_NULL;
  T_RC(spawn_role("cwd", NULL, &o, &p), PIPC_OK);
  CU_ASSERT_EQUAL(t_join(p, 30000), 1);
  t_os_remove(marker);
  t_os_rmdir(dir);
}

static void expect_lines(const char *got, char tag, int n, int merged) {
  char want[8192];
  size_t w = 0;
  int i;
  for (i = 0; i < n && w < sizeof want - 32; i++) {
    if (merged || tag == 'o') w += (size_t)snprintf(want + w, sizeof want - w, "o%d\n", i);
    if (merged || tag == 'e') w += (size_t)snprintf(want + w, sizeof want - w, "e%d\n", i);
  }
  CU_ASSERT_STRING_EQUAL(got, want);
}

void test_spawn_stdout_stderr_captured(void) {
  pipc_spawn_opts o;
  pipc_process *p = NULL;
  pipc_stream *out = NULL, *err = NULL;
  const char *args[] = {"50", NULL};
  char *text;
  size_t n;
  memset(&o, 0, sizeof o);
  o.io[1].mode = PIPC_STDIO_STREAM;
  o.io[1].stream = &out;
  o.io[2].mode = PIPC_STDIO_STREAM;
  o.io[2].stream = &err;
  T_RC(spawn_role("talk", args, &o, &p), PIPC_OK);
  CU_ASSERT_FATAL(out && err);
  T_RC(read_all(out, &text, &n, 30000), PIPC_ECLOSED);
  expect_lines(text, 'o', 50, 0);
  free(text);
  T_RC(read_all(err, &text, &n, 30000), PIPC_ECLOSED);
  expect_lines(text, 'e', 50, 0);
  free(text);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  pipc_stream_close(out);
  pipc_stream_close(err);

  /* stderr into stdout: one stream, in the order written */
  out = err = NULL;
  o.io[2].mode = PIPC_STDIO_STDOUT;
  o.io[2].stream = NULL;
  T_RC(spawn_role("talk", args, &o, &p), PIPC_OK);
  CU_ASSERT_FATAL(out != NULL);
  T_RC(read_all(out, &text, &n, 30000), PIPC_ECLOSED);
  expect_lines(text, 0, 50, 1);
  free(text);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  pipc_stream_close(out);
}

/* 10 MiB in through stdin while 10 MiB come out of stdout, one thread,
   by pipc_wait on both streams: neither side may block the other. */
void test_spawn_ten_mib_both_ways(void) {
  const size_t total = 10u << 20;
  pipc_spawn_opts o;
  pipc_process *p = NULL;
  pipc_stream *in = NULL, *out = NULL;
  unsigned char *src = (unsigned char *)malloc(total), *dst = (unsigned char *)malloc(total);
  size_t sent = 0, got = 0, i;
  uint32_t seed = 12345;
  int64_t end = t_now_ms() + 120000;
  int rc = PIPC_OK;
  CU_ASSERT_FATAL(src && dst);
  for (i = 0; i < total; i++) src[i] = (unsigned char)t_rand(&seed);
  memset(&o, 0, sizeof o);
  o.io[0].mode = PIPC_STDIO_STREAM;
  o.io[0].stream = &in;
  o.io[1].mode = PIPC_STDIO_STREAM;
  o.io[1].stream = &out;
  T_RC(spawn_role("cat", NULL, &o, &p), PIPC_OK);
  CU_ASSERT_FATAL(in && out);
  while (t_now_ms() < end) {
    pipc_waitable w[2];
    size_t n = 0;
    w[0] = pipc_wait_on_stream(out, PIPC_WAIT_IN);
    w[1] = pipc_wait_on_stream(in, in ? PIPC_WAIT_OUT : 0);
    rc = pipc_wait(w, in ? 2 : 1, 1000);
    if (rc < 0) break;
    if (w[0].revents & PIPC_WAIT_IN) {
      rc = pipc_stream_read(out, dst + got, total - got, &n, 0);
      if (rc == PIPC_ECLOSED) break;
      if (rc != PIPC_OK && rc != PIPC_EAGAIN) break;
      got += n;
      if (got == total) {
        rc = pipc_stream_read(out, dst, 1, &n, 30000); /* then the end */
        break;
      }
    }
    if (in && (w[1].revents & PIPC_WAIT_OUT)) {
      size_t chunk = total - sent < 65536 ? total - sent : 65536;
      n = 0;
      rc = pipc_stream_write(in, src + sent, chunk, &n, 0);
      if (rc != PIPC_OK && rc != PIPC_EAGAIN) break;
      sent += n;
      if (sent == total) {
        pipc_stream_close(in); /* the end of its input */
        in = NULL;
      }
    }
  }
  T_RC(rc, PIPC_ECLOSED);
  CU_ASSERT_EQUAL(sent, total);
  CU_ASSERT_EQUAL(got, total);
  CU_ASSERT(memcmp(src, dst, total) == 0);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  if (in) pipc_stream_close(in);
  pipc_stream_close(out);
  free(src);
  free(dst);
}

void test_spawn_child_closes_stdout_early(void) {
  pipc_spawn_opts o;
  pipc_process *p = NULL;
  pipc_stream *in = NULL, *out = NULL;
  char buf[16];
  size_t n = 0;
  memset(&o, 0, sizeof o);
  o.io[0].mode = PIPC_STDIO_STREAM;
  o.io[0].stream = &in;
  o.io[1].mode = PIPC_STDIO_STREAM;
  o.io[1].stream = &out;
  T_RC(spawn_role("close_out", NULL, &o, &p), PIPC_OK);
  CU_ASSERT_FATAL(in && out);
  T_RC(pipc_stream_read(out, buf, sizeof buf, &n, 30000), PIPC_ECLOSED);
  CU_ASSERT_EQUAL(pipc_process_alive(p), 1); /* it still reads its input */
  T_RC(pipc_stream_write(in, "abc", 3, &n, 30000), PIPC_OK);
  CU_ASSERT_EQUAL(n, 3);
  pipc_stream_close(in);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  pipc_stream_close(out);
}

typedef struct feeder {
  pipc_stream *in, *out;
  size_t counted;
  int rc;
} feeder;

/* Write 1 MiB with timeout 0 (a chunk is left with the OS), close, end. */
static void feeder_thread(void *arg) {
  feeder *f = (feeder *)arg;
  size_t len = 1u << 20;
  char *buf = (char *)malloc(len);
  if (buf == NULL) {
    f->rc = PIPC_ENOMEM;
    return;
  }
  memset(buf, 'x', len);
  f->rc = pipc_stream_write(f->in, buf, len, &f->counted, 0);
  pipc_stream_close(f->in);
  free(buf);
}

/* Only looks (pipc_wait, timeout 0), then ends. */
static void looker_thread(void *arg) {
  feeder *f = (feeder *)arg;
  pipc_waitable w = pipc_wait_on_stream(f->out, PIPC_WAIT_IN);
  f->rc = pipc_wait(&w, 1, 0);
}

/* Threads that end with a stream's I/O under way lose nothing: every byte
   a writing thread's *written counted reaches the child though the thread
   closed the stream and ended at once (Windows cancels a thread's pending
   I/O when it ends), and a look by a thread that has ended leaves the next
   read working. */
void test_spawn_thread_ends_with_io_under_way(void) {
  pipc_spawn_opts o;
  pipc_process *p = NULL;
  feeder f;
  static char buf[65536];
  size_t n = 0, got = 0, i;
  int rc, bad = 0;
  memset(&o, 0, sizeof o);
  memset(&f, 0, sizeof f);
  o.io[0].mode = PIPC_STDIO_STREAM;
  o.io[0].stream = &f.in;
  o.io[1].mode = PIPC_STDIO_STREAM;
  o.io[1].stream = &f.out;
  T_RC(spawn_role("cat", NULL, &o, &p), PIPC_OK);
  CU_ASSERT_FATAL(f.in && f.out);
  t_thread_join(t_thread_start(looker_thread, &f));
  CU_ASSERT(f.rc >= 0);
  t_thread_join(t_thread_start(feeder_thread, &f));
  CU_ASSERT(f.rc == PIPC_OK || f.rc == PIPC_EAGAIN);
  CU_ASSERT(f.counted > 0);
  while ((rc = pipc_stream_read(f.out, buf, sizeof buf, &n, 30000)) == PIPC_OK) {
    for (i = 0; i < n; i++) bad |= buf[i] != 'x';
    got += n;
  }
  T_RC(rc, PIPC_ECLOSED);
  CU_ASSERT_EQUAL(got, f.counted);
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  pipc_stream_close(f.out);
}

/* Writing to a child that has gone is PIPC_ECLOSED, never a signal. */
void test_spawn_write_to_gone_child(void) {
  pipc_spawn_opts o;
  pipc_process *p = NULL;
  pipc_stream *in = NULL;
  static char block[65536];
  size_t n;
  int i, rc = PIPC_OK;
  memset(&o, 0, sizeof o);
  o.io[0].mode = PIPC_STDIO_STREAM;
  o.io[0].stream = &in;
  T_RC(spawn_role("exit", NULL, &o, &p), PIPC_OK);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  for (i = 0; i < 64 && rc == PIPC_OK; i++) rc = pipc_stream_write(in, block, sizeof block, &n, 5000);
  T_RC(rc, PIPC_ECLOSED);
  pipc_stream_close(in);
}

void test_spawn_files_and_null(void) {
  pipc_spawn_opts o;
  pipc_process *p = NULL;
  char in[64], out[64], err[64], *text = NULL;
  const char *args[] = {"3", NULL};
  FILE *f;
  size_t n;
  snprintf(in, sizeof in, "t%ld-in.txt", pipc_self_pid());
  snprintf(out, sizeof out, "t%ld-out.txt", pipc_self_pid());
  snprintf(err, sizeof err, "t%ld-err.txt", pipc_self_pid());
  CU_ASSERT_FATAL(t_os_write_file(in, "hello", 5) == 0);
  CU_ASSERT_FATAL(t_os_write_file(out, "old contents, longer", 20) == 0);
  memset(&o, 0, sizeof o);
  o.io[0].mode = PIPC_STDIO_FILE;
  o.io[0].path = in;
  o.io[1].mode = PIPC_STDIO_FILE; /* truncated */
  o.io[1].path = out;
  T_RC(spawn_role("cat", NULL, &o, &p), PIPC_OK);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  text = (char *)calloc(1, 4096);
  f = fopen(out, "rb");
  CU_ASSERT_FATAL(f != NULL && text != NULL);
  n = fread(text, 1, 4095, f);
  fclose(f);
  CU_ASSERT_EQUAL(n, 5);
  CU_ASSERT_STRING_EQUAL(text, "hello");
  /* stderr appended to, twice; stdout to the null device */
  memset(&o, 0, sizeof o);
  o.io[0].mode = PIPC_STDIO_NULL;
  o.io[1].mode = PIPC_STDIO_NULL;
  o.io[2].mode = PIPC_STDIO_FILE;
  o.io[2].path = err;
  o.io[2].append = 1;
  T_RC(spawn_role("talk", args, &o, &p), PIPC_OK);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  T_RC(spawn_role("talk", args, &o, &p), PIPC_OK);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  f = fopen(err, "rb");
  CU_ASSERT_FATAL(f != NULL);
  n = fread(text, 1, 4095, f);
  fclose(f);
  text[n] = 0;
  CU_ASSERT_STRING_EQUAL(text, "e0\ne1\ne2\ne0\ne1\ne2\n");
  free(text);
  t_os_remove(in);
  t_os_remove(out);
  t_os_remove(err);
}

/* rc of pipc_process_terminate: PIPC_ENOTSUP (Windows with no console
   shared, as under Wine) ends p and out, counts the case as skipped and
   says 1; else 0. */
static int cannot_ask(int rc, pipc_process *p, pipc_stream *out) {
  if (rc != PIPC_ENOTSUP) return 0;
  pipc_process_kill(p);
  t_join(p, 30000);
  pipc_stream_close(out);
  t_skip("no console control event reaches the child here (no console shared)");
  return 1;
}

/* Start role term (how: "handle" / "ignore") in a group of its own, its
   stdout a stream, and wait for its "ready". */
static pipc_process *term_child(const char *how, pipc_stream **out) {
  pipc_spawn_opts o;
  pipc_process *p = NULL;
  const char *args[] = {how, NULL};
  char buf[16];
  memset(&o, 0, sizeof o);
  o.flags = PIPC_SPAWN_NEW_GROUP;
  o.io[0].mode = PIPC_STDIO_NULL;
  o.io[1].mode = PIPC_STDIO_STREAM;
  o.io[1].stream = out;
  T_RC(spawn_role("term", args, &o, &p), PIPC_OK);
  if (p == NULL) return NULL;
  T_RC(read_line(*out, buf, sizeof buf, 30000), PIPC_OK);
  CU_ASSERT_STRING_EQUAL(buf, "ready");
  return p;
}

void test_spawn_terminate_handled(void) {
  pipc_stream *out = NULL;
  pipc_process *p = term_child("handle", &out);
  pipc_exit how;
  int rc;
  CU_ASSERT_FATAL(p != NULL);
  rc = pipc_process_terminate(p);
  if (cannot_ask(rc, p, out)) return;
  T_RC(rc, PIPC_OK);
  T_RC(wait_reason(p, &how), PIPC_OK);
  CU_ASSERT_EQUAL(how.reason, PIPC_EXIT_CODE);
  CU_ASSERT_EQUAL(how.code, 0);
  T_RC(pipc_process_terminate(p), PIPC_OK); /* ended: not an error */
  pipc_process_free(p);
  pipc_stream_close(out);
}

/* The pattern docs/process.md shows: ask, give it a grace period, kill. */
void test_spawn_terminate_ignored_then_kill(void) {
  pipc_stream *out = NULL;
  pipc_process *p = term_child("ignore", &out);
  pipc_exit how;
  int rc;
  CU_ASSERT_FATAL(p != NULL);
  rc = pipc_process_terminate(p);
  if (cannot_ask(rc, p, out)) return;
  T_RC(rc, PIPC_OK);
  T_RC(pipc_process_wait_ex(p, 300, &how), PIPC_ETIMEDOUT);
  CU_ASSERT_EQUAL(pipc_process_alive(p), 1);
  T_RC(pipc_process_kill(p), PIPC_OK);
  T_RC(wait_reason(p, &how), PIPC_OK);
  CU_ASSERT_EQUAL(how.reason, PIPC_EXIT_SIGNAL);
  CU_ASSERT_EQUAL(how.signal, 9);
  pipc_process_free(p);
  pipc_stream_close(out);
}

void test_spawn_exit_reasons(void) {
  pipc_spawn_opts o;
  pipc_process *p = NULL;
  pipc_exit how;
  const char *three[] = {"3", NULL}, *long_sleep[] = {"60000", NULL};
  int code = 0;
  intptr_t h = -1;
  memset(&o, 0, sizeof o);
  o.io[2].mode = PIPC_STDIO_NULL; /* the abort's message */
  T_RC(spawn_role("exit", three, &o, &p), PIPC_OK);
  T_RC(wait_reason(p, &how), PIPC_OK);
  CU_ASSERT_EQUAL(how.reason, PIPC_EXIT_CODE);
  CU_ASSERT_EQUAL(how.code, 3);
  pipc_process_free(p);

  T_RC(spawn_role("abort", NULL, &o, &p), PIPC_OK);
  T_RC(wait_reason(p, &how), PIPC_OK);
#ifdef _WIN32
  /* msvcrt's abort() exits with 3; the UCRT's fails fast (signal 6) */
  CU_ASSERT((how.reason == PIPC_EXIT_CODE && how.code == 3) ||
            (how.reason == PIPC_EXIT_SIGNAL && how.signal == 6));
#else
  CU_ASSERT_EQUAL(how.reason, PIPC_EXIT_SIGNAL);
  CU_ASSERT_EQUAL(how.signal, 6);
#endif
  pipc_process_free(p);

  T_RC(spawn_role("sleep", long_sleep, &o, &p), PIPC_OK);
  CU_ASSERT_EQUAL(pipc_process_alive(p), 1);
  T_RC(pipc_process_handle(p, &h), PIPC_OK);
  CU_ASSERT(h != -1);
  T_RC(pipc_process_kill(p), PIPC_OK);
  CU_ASSERT(t_os_wait_handles(&h, 1, 30000) == 1); /* the handle fires */
  CU_ASSERT_EQUAL(pipc_process_alive(p), 0);       /* ended, not reaped */
  T_RC(wait_reason(p, &how), PIPC_OK);
  CU_ASSERT_EQUAL(how.reason, PIPC_EXIT_SIGNAL);
  CU_ASSERT_EQUAL(how.signal, 9);
  T_RC(pipc_process_wait(p, 0, &code), PIPC_OK); /* the plain call: -9 */
  CU_ASSERT_EQUAL(code, -9);
  CU_ASSERT_EQUAL(pipc_process_alive(p), 0);
  pipc_process_free(p);
}

/* The host (role host) is killed; the sleeper it started, which shares
   the host's stdout stream, must end too: the stream reaches its end only
   when both are gone (without dying with the host, the sleeper would hold
   it for a minute). */
static void die_with_host(const char *how) {
  pipc_spawn_opts o;
  pipc_process *host = NULL;
  pipc_stream *out = NULL;
  const char *args[] = {how, NULL};
  char buf[32];
  size_t n = 0;
  int rc;
  memset(&o, 0, sizeof o);
  o.io[0].mode = PIPC_STDIO_NULL;
  o.io[1].mode = PIPC_STDIO_STREAM;
  o.io[1].stream = &out;
  T_RC(spawn_role("host", args, &o, &host), PIPC_OK);
  CU_ASSERT_FATAL(host && out);
  T_RC(read_line(out, buf, sizeof buf, 30000), PIPC_OK);
  if (strcmp(buf, "notsup") == 0) {
    CU_ASSERT_EQUAL(t_join(host, 30000), 0);
    pipc_stream_close(out);
    t_skip("no way for a child to die with its host on this OS (PIPC_ENOTSUP)");
    return;
  }
  CU_ASSERT_STRING_EQUAL(buf, "up");
  T_RC(pipc_process_kill(host), PIPC_OK);
  CU_ASSERT_EQUAL(t_join(host, 30000), -9);
  rc = pipc_stream_read(out, buf, sizeof buf, &n, 20000);
  T_RC(rc, PIPC_ECLOSED);
  pipc_stream_close(out);
}

void test_spawn_die_with_host(void) { die_with_host("main"); }

void test_spawn_die_with_host_spawned_by_a_thread(void) { die_with_host("thread"); }

/* With a group of its own, the stop request and the kill reach the
   child's own children: the stream they share ends only when both are
   gone (the grandchild would otherwise sleep for a minute). */
static void group_ends(int kill) {
  pipc_spawn_opts o;
  pipc_process *p = NULL;
  pipc_stream *out = NULL;
  char buf[16];
  size_t n = 0;
  int rc;
  memset(&o, 0, sizeof o);
  o.flags = PIPC_SPAWN_NEW_GROUP;
  o.io[0].mode = PIPC_STDIO_NULL;
  o.io[1].mode = PIPC_STDIO_STREAM;
  o.io[1].stream = &out;
  T_RC(spawn_role("tree", NULL, &o, &p), PIPC_OK);
  CU_ASSERT_FATAL(p && out);
  T_RC(read_line(out, buf, sizeof buf, 30000), PIPC_OK);
  CU_ASSERT_STRING_EQUAL(buf, "up");
  rc = kill ? pipc_process_kill(p) : pipc_process_terminate(p);
  if (cannot_ask(rc, p, out)) return;
  T_RC(rc, PIPC_OK);
  T_RC(pipc_stream_read(out, buf, sizeof buf, &n, 20000), PIPC_ECLOSED);
  CU_ASSERT(t_join(p, 30000) < 0); /* ended by the request, not by exit */
  pipc_stream_close(out);
}

void test_spawn_group_kill(void) { group_ends(1); }

void test_spawn_group_terminate(void) { group_ends(0); }

/* Only the ends listed in pass reach the child: an exported end that is
   not listed is not held by it (its peer sees the end while it runs). */
void test_spawn_pass_only_listed(void) {
  pipc_spawn_opts o;
  pipc_process *p = NULL;
  pipc_pipe *a1 = NULL, *a2 = NULL, *b1 = NULL, *b2 = NULL;
  char tok[128], tokb[128], buf[8];
  const char *args[] = {tok, "3000", NULL};
  size_t n = 0;
  T_RC(pipc_pipe_pair(&a1, &a2), PIPC_OK);
  T_RC(pipc_pipe_pair(&b1, &b2), PIPC_OK);
  T_RC(pipc_pipe_export(a2, tok, sizeof tok), PIPC_OK);
  T_RC(pipc_pipe_export(b2, tokb, sizeof tokb), PIPC_OK);
  memset(&o, 0, sizeof o);
  o.pass = &a2;
  o.npass = 1;
  T_RC(spawn_role("pass", args, &o, &p), PIPC_OK);
  T_RC(pipc_pipe_recv(a1, buf, sizeof buf, &n, 30000), PIPC_OK);
  CU_ASSERT(n == 2 && memcmp(buf, "hi", 2) == 0);
  pipc_pipe_close(a2);
  pipc_pipe_close(b2);
  /* the child runs on (3 s) but holds no copy of b2 */
  T_RC(pipc_pipe_recv(b1, buf, sizeof buf, &n, 2000), PIPC_ECLOSED);
  CU_ASSERT_EQUAL(pipc_process_alive(p), 1);
  CU_ASSERT_EQUAL(t_join(p, 30000), 0);
  pipc_pipe_close(a1);
  pipc_pipe_close(b1);
}

void test_spawn_failures(void) {
  pipc_spawn_opts o;
  pipc_process *p = (pipc_process *)1;
  pipc_stream *s = NULL;
  const char *missing[] = {"pipc-no-such-program-xyz", NULL};
  const char *argv[64];
  char dir[64], file[64], nodir[80];
  snprintf(dir, sizeof dir, "t%ld-adir", pipc_self_pid());
  snprintf(file, sizeof file, "t%ld-notprog.txt", pipc_self_pid());
  snprintf(nodir, sizeof nodir, "t%ld-no-such-dir", pipc_self_pid());
  int handles;
  CU_ASSERT_FATAL(t_os_mkdir(dir) == 0);
  CU_ASSERT_FATAL(t_os_write_file(file, "not a program\n", 14) == 0);
  memset(&o, 0, sizeof o);
  o.io[1].mode = PIPC_STDIO_STREAM; /* none may be left behind */
  o.io[1].stream = &s;
  handles = t_os_open_handle_count();

  T_RC(pipc_process_spawn_ex(missing, &o, &p), PIPC_ENOENT);
  CU_ASSERT_PTR_NULL(p);
  CU_ASSERT_PTR_NULL(s);
  {
    const char *d[] = {dir, NULL};
    char path[128];
    snprintf(path, sizeof path, "./%s", dir);
    d[0] = path;
    T_RC(pipc_process_spawn_ex(d, &o, &p), PIPC_EACCES);
  }
  {
    const char *f[] = {file, NULL};
    char path[128];
    snprintf(path, sizeof path, "./%s", file);
    f[0] = path;
    T_RC(pipc_process_spawn_ex(f, &o, &p), PIPC_EACCES);
  }
  o.cwd = nodir;
  T_RC(pipc_process_spawn_ex(child_argv(argv, "exit", NULL), &o, &p), PIPC_ENOENT);
  o.cwd = file; /* not a directory */
  T_RC(pipc_process_spawn_ex(child_argv(argv, "exit", NULL), &o, &p), PIPC_ENOENT);
  o.cwd = NULL;
  o.io[0].mode = PIPC_STDIO_FILE;
  o.io[0].path = nodir; /* no such input */
  T_RC(pipc_process_spawn_ex(child_argv(argv, "exit", NULL), &o, &p), PIPC_ENOENT);
  o.io[0].path = dir; /* a directory as a file */
  T_RC(pipc_process_spawn_ex(child_argv(argv, "exit", NULL), &o, &p), PIPC_EACCES);
  o.io[0].mode = PIPC_STDIO_NULL;
  o.io[2].mode = PIPC_STDIO_FILE;
  o.io[2].path = dir;
  T_RC(pipc_process_spawn_ex(child_argv(argv, "exit", NULL), &o, &p), PIPC_EACCES);
  CU_ASSERT_PTR_NULL(p);
  CU_ASSERT_PTR_NULL(s);
  CU_ASSERT_EQUAL(t_os_open_handle_count(), handles); /* no stream, no file left */
  t_os_remove(file);
  t_os_rmdir(dir);
}

/* In a fork child whose standard descriptors 0 and 2 (then 0 and 1) are
   closed: the report of a failed exec is not mistaken for the child's
   output, and stderr merged into a closed stdout is closed too. */
static int closed_std(void *arg) {
  pipc_spawn_opts o;
  pipc_process *p = NULL;
  const char *argv[64];
  const char *bad[] = {(const char *)arg, NULL};
  t_os_close_std(0);
  t_os_close_std(2);
  memset(&o, 0, sizeof o);
  o.io[2].mode = PIPC_STDIO_STDOUT;
  /* exec fails in the child: its report must reach this process */
  if (pipc_process_spawn_ex(bad, &o, &p) != PIPC_EACCES) return 1;
  t_os_close_std(1);
  if (pipc_process_spawn_ex(child_argv(argv, "exit", NULL), &o, &p) != PIPC_OK) return 2;
  if (t_join(p, 30000) != 0) return 3;
  return 0;
}

void test_spawn_host_with_closed_std(void) {
  const char *why = t_os_why_no_fork();
  char file[64];
  if (why) T_SKIP(why);
  if ((why = t_os_why_no_exec_errors()) != NULL) T_SKIP(why);
  snprintf(file, sizeof file, "./t%ld-noprog", pipc_self_pid());
  CU_ASSERT_FATAL(t_os_write_file(file, "not a program\n", 14) == 0);
  CU_ASSERT_FATAL(t_os_make_executable(file) == 0);
  CU_ASSERT_EQUAL(t_os_fork_run(closed_std, file), 0);
  t_os_remove(file);
}

/* argv[0] with no directory: each PATH entry in turn, the first runnable
   file wins (a directory of that name is passed over). */
void test_spawn_path_search(void) {
  char a[64], b[64], probe[160], newpath[512], *oldpath;
  const char *old = getenv("PATH");
  const char *argv[] = {"pipc-path-probe", "--child", "exit", "7", NULL};
  pipc_spawn_opts o;
  pipc_process *p = NULL;
  FILE *src, *dst;
  char buf[65536];
  size_t n;
  int ok = 1;
#ifdef _WIN32
  const char *ext = ".exe", sep = ';';
#else
  const char *ext = "", sep = ':';
#endif
  oldpath = (char *)malloc(strlen(old ? old : "") + 1);
  CU_ASSERT_FATAL(oldpath != NULL);
  strcpy(oldpath, old ? old : "");
  snprintf(a, sizeof a, "t%ld-patha", pipc_self_pid());
  snprintf(b, sizeof b, "t%ld-pathb", pipc_self_pid());
  CU_ASSERT_FATAL(t_os_mkdir(a) == 0 && t_os_mkdir(b) == 0);
  snprintf(probe, sizeof probe, "%s/pipc-path-probe%s", a, ext);
  CU_ASSERT_FATAL(t_os_mkdir(probe) == 0); /* a directory: passed over */
  snprintf(probe, sizeof probe, "%s/pipc-path-probe%s", b, ext);
  src = fopen(t_self_exe(), "rb");
  dst = fopen(probe, "wb");
  CU_ASSERT_FATAL(src && dst);
  while ((n = fread(buf, 1, sizeof buf, src)) > 0) ok &= fwrite(buf, 1, n, dst) == n;
  fclose(src);
  ok &= fclose(dst) == 0;
  CU_ASSERT_FATAL(ok && t_os_make_executable(probe) == 0);
  snprintf(newpath, sizeof newpath, "%s%c%s", a, sep, b);
  CU_ASSERT_FATAL(t_os_setenv("PATH", newpath) == 0);
  memset(&o, 0, sizeof o);
  o.io[0].mode = PIPC_STDIO_NULL;
  T_RC(pipc_process_spawn_ex(argv, &o, &p), PIPC_OK);
  CU_ASSERT_EQUAL(t_join(p, 30000), 7);
  T_RC(pipc_process_spawn(argv, &p), PIPC_OK); /* the plain call alike */
  t_os_setenv("PATH", oldpath);
  free(oldpath);
  CU_ASSERT_EQUAL(t_join(p, 30000), 7);
  t_os_remove(probe);
  snprintf(probe, sizeof probe, "%s/pipc-path-probe%s", a, ext);
  t_os_rmdir(probe);
  t_os_rmdir(a);
  t_os_rmdir(b);
}

/* Spawns for the leak check: 1000 natively and under Wine; 200 under the
   sanitizers (tests/CMakeLists.txt) and valgrind, where a fork costs a
   hundred times more - a leak per spawn shows at once all the same. */
#ifndef T_SPAWN_ROUNDS
#define T_SPAWN_ROUNDS 1000
#endif

/* No descriptor or handle is left over by a thousand managed spawns. */
void test_spawn_no_leaks(void) {
  pipc_spawn_opts o;
  int before, after, i;
  int rounds = t_os_why_no_exec_errors() ? 200 : T_SPAWN_ROUNDS; /* valgrind */
  memset(&o, 0, sizeof o);
  o.io[0].mode = PIPC_STDIO_NULL;
  o.io[2].mode = PIPC_STDIO_STDOUT;
  before = t_os_open_handle_count();
  for (i = 0; i < rounds; i++) {
    pipc_process *p = NULL;
    pipc_stream *out = NULL;
    char buf[64];
    size_t n;
    int rc;
    o.io[1].mode = PIPC_STDIO_STREAM;
    o.io[1].stream = &out;
    rc = spawn_role("exit", NULL, &o, &p);
    if (rc != PIPC_OK) {
      fprintf(stderr, "\n  spawn %d of %d: OS error %d", i, rounds, pipc_last_os_error());
      T_RC(rc, PIPC_OK);
      break;
    }
    rc = pipc_stream_read(out, buf, sizeof buf, &n, 30000);
    if (rc != PIPC_ECLOSED) T_RC(rc, PIPC_ECLOSED);
    if (t_join(p, 30000) != 0) CU_FAIL("child failed");
    pipc_stream_close(out);
  }
  after = t_os_open_handle_count();
  CU_ASSERT_EQUAL(after, before);
}

/* A listener and clients of one user find each other whatever their
   environments say: a client started with XDG_RUNTIME_DIR pointing at a
   private directory of the user's, and one started without it, both
   reach this process's listener (POSIX used to put sockets in
   $XDG_RUNTIME_DIR/pipc when it was set; Windows has no such variable -
   the case runs there as well). */
void test_spawn_one_socket_dir_whatever_env(void) {
  char name[80], sub[80], dir[600], env_set[700], *slash;
  const char *with[] = {env_set, NULL}, *without[] = {"XDG_RUNTIME_DIR", NULL};
  const char *const *envs[2];
  pipc_listener *l = NULL;
  pipc_spawn_opts o;
  int i;
  envs[0] = with;
  envs[1] = without;
  t_name(name, sizeof name, "xdg");
  /* an absolute directory of this user's: beside the test binary */
  t_name(sub, sizeof sub, "xdgdir");
  snprintf(dir, sizeof dir, "%s", t_self_exe());
  slash = strrchr(dir, '/');
  if (strrchr(dir, '\\') > slash) slash = strrchr(dir, '\\');
  CU_ASSERT_FATAL(slash != NULL);
  snprintf(slash + 1, sizeof dir - (size_t)(slash + 1 - dir), "%s", sub);
  CU_ASSERT_FATAL(t_os_mkdir(dir) == 0);
  snprintf(env_set, sizeof env_set, "XDG_RUNTIME_DIR=%s", dir);
  T_RC(pipc_listener_create(name, &l), PIPC_OK);
  CU_ASSERT_FATAL(l != NULL);
  for (i = 0; i < 2; i++) {
    const char *args[] = {name, "21", NULL};
    pipc_process *c = NULL;
    pipc_pipe *p = NULL;
    size_t len;
    int v = 0;
    memset(&o, 0, sizeof o);
    o.env = envs[i];
    T_RC(spawn_role("pipe_client", args, &o, &c), PIPC_OK);
    T_RC(pipc_listener_accept(l, &p, 30000), PIPC_OK);
    if (p) {
      T_RC(pipc_pipe_recv(p, &v, sizeof v, &len, 30000), PIPC_OK);
      CU_ASSERT_EQUAL(v, 21);
      v *= 2;
      T_RC(pipc_pipe_send(p, &v, sizeof v, 30000), PIPC_OK);
      pipc_pipe_close(p);
    }
    if (c) CU_ASSERT_EQUAL(t_join(c, 30000), 0);
  }
  pipc_listener_close(l);
  t_os_rmdir(dir);
}
