/* test_cli.c - the `pipc` command, run as a separate process on every
   platform: it must do what it says to the objects the test holds, print
   what it says it prints (stdout and stderr are captured into files and
   read back), and answer bad usage with exit code 2 and its usage on
   stderr, failed operations with 1 and the pipc error. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* fcntl's F_DUPFD_CLOEXEC under -std=c11 */
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kinds.h"
#include "os.h"

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#else
#include <fcntl.h>
#include <unistd.h>
#endif

/* The queue segment's layout, as documented at the top of src/queue.c. */
#define Q_TAIL_OFF 192

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

/* ---- running pipc with its output captured ----
   The child inherits this process's standard output and error (pipc's
   spawn passes them on, on every platform), so for the instant of the
   spawn they are pointed at two temporary files, read back once the child
   has exited.  The cli suite runs no other thread meanwhile. */

#ifdef _WIN32
typedef HANDLE cap_file;
#define CAP_NONE INVALID_HANDLE_VALUE
static cap_file cap_open(void) {
  WCHAR dir[MAX_PATH + 1], path[MAX_PATH + 16];
  SECURITY_ATTRIBUTES sa;
  sa.nLength = sizeof sa;
  sa.lpSecurityDescriptor = NULL;
  sa.bInheritHandle = TRUE; /* the child writes to it */
  if (!GetTempPathW(MAX_PATH + 1, dir) || !GetTempFileNameW(dir, L"pct", 0, path))
    return CAP_NONE;
  return CreateFileW(path, GENERIC_READ | GENERIC_WRITE,
                     FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, &sa,
                     CREATE_ALWAYS, FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
}
/* The whole file, NUL-terminated (malloc'ed); the file is closed. */
static char *cap_read(cap_file f, size_t *len) {
  LARGE_INTEGER size, zero;
  char *buf = NULL;
  DWORD n = 0;
  *len = 0;
  zero.QuadPart = 0;
  if (GetFileSizeEx(f, &size) && SetFilePointerEx(f, zero, NULL, FILE_BEGIN) &&
      (buf = (char *)malloc((size_t)size.QuadPart + 1)) != NULL) {
    while (*len < (size_t)size.QuadPart &&
           ReadFile(f, buf + *len, (DWORD)((size_t)size.QuadPart - *len), &n, NULL) && n > 0)
      *len += n;
    buf[*len] = 0;
  }
  CloseHandle(f);
  return buf;
}
static void cap_close(cap_file f) { CloseHandle(f); }
/* A capture file holding data, read from its start: a child's stdin. */
static cap_file cap_with(const char *data, size_t len) {
  cap_file f = cap_open();
  LARGE_INTEGER zero;
  DWORD n;
  zero.QuadPart = 0;
  if (f != CAP_NONE && ((len && !WriteFile(f, data, (DWORD)len, &n, NULL)) ||
                        !SetFilePointerEx(f, zero, NULL, FILE_BEGIN))) {
    CloseHandle(f);
    f = CAP_NONE;
  }
  return f;
}
#else
typedef FILE *cap_file;
#define CAP_NONE NULL
static cap_file cap_open(void) {
  FILE *f = tmpfile();
  if (f) fcntl(fileno(f), F_SETFD, FD_CLOEXEC); /* the child gets it as 1 or 2 only */
  return f;
}
static char *cap_read(cap_file f, size_t *len) {
  long size;
  char *buf = NULL;
  *len = 0;
  if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
      (buf = (char *)malloc((size_t)size + 1)) != NULL) {
    *len = fread(buf, 1, (size_t)size, f);
    buf[*len] = 0;
  }
  fclose(f);
  return buf;
}
static void cap_close(cap_file f) { fclose(f); }
static cap_file cap_with(const char *data, size_t len) {
  cap_file f = cap_open();
  if (f && ((len && fwrite(data, 1, len, f) != len) || fflush(f) != 0 || fseek(f, 0, SEEK_SET))) {
    fclose(f);
    f = NULL;
  }
  return f;
}
#endif

/* A pipc run: its exit code, its stdout as written (NUL-terminated, for
   `recv`), and both streams as text ("\r\n" read as "\n": Windows' text
   mode).  Never NULL after cli_finish: "" when nothing could be read. */
typedef struct cli_run {
  int code;
  char *raw;
  size_t raw_len;
  char *out, *err;
} cli_run;

typedef struct cli_proc {
  pipc_process *p;
  cap_file out, err;
} cli_proc;

/* What the next cli_start gives the child as its stdin (then reset): NULL,
   this process's own. */
static const char *cli_stdin;
/* Set: the next cli_start's child gets a process group of its own
   (PIPC_SPAWN_NEW_GROUP), so pipc_process_terminate can reach it on
   Windows (Ctrl-Break to its group). */
static int cli_new_group;
static size_t cli_stdin_len;

static char *as_text(const char *s, size_t len) {
  char *t = (char *)malloc(len + 1);
  size_t i, n = 0;
  if (t == NULL) return NULL;
  for (i = 0; i < len; i++)
    if (!(s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')) t[n++] = s[i];
  t[n] = 0;
  return t;
}

static void run_free(cli_run *r) {
  free(r->raw);
  free(r->out);
  free(r->err);
  memset(r, 0, sizeof *r);
}

static int cli_spawn(const char *const *argv, pipc_process **p) {
  pipc_spawn_opts o;
  if (!cli_new_group) return pipc_process_spawn(argv, p);
  cli_new_group = 0;
  memset(&o, 0, sizeof o); /* standard streams inherited, as the plain spawn */
  o.flags = PIPC_SPAWN_NEW_GROUP;
  return pipc_process_spawn_ex(argv, &o, p);
}

/* Start pipc with args (NULL-terminated) and its output captured. */
static int cli_start(cli_proc *c, const char *const *args) {
  const char *argv[16];
  int n = 0, rc;
  cap_file in = CAP_NONE;
  c->p = NULL;
  argv[n++] = cli_path();
  while (n < 15 && args[n - 1]) {
    argv[n] = args[n - 1];
    n++;
  }
  argv[n] = NULL;
  if (argv[0] == NULL) return PIPC_ENOENT;
  c->out = cap_open();
  c->err = cap_open();
  if (cli_stdin) in = cap_with(cli_stdin, cli_stdin_len);
  if (c->out == CAP_NONE || c->err == CAP_NONE || (cli_stdin && in == CAP_NONE)) {
    if (c->out != CAP_NONE) cap_close(c->out);
    if (c->err != CAP_NONE) cap_close(c->err);
    if (in != CAP_NONE) cap_close(in);
    cli_stdin = NULL;
    return PIPC_ESYS;
  }
  cli_stdin = NULL;
#ifdef _WIN32
  {
    HANDLE so = GetStdHandle(STD_OUTPUT_HANDLE), se = GetStdHandle(STD_ERROR_HANDLE);
    HANDLE si = GetStdHandle(STD_INPUT_HANDLE);
    SetStdHandle(STD_OUTPUT_HANDLE, c->out);
    SetStdHandle(STD_ERROR_HANDLE, c->err);
    if (in != CAP_NONE) SetStdHandle(STD_INPUT_HANDLE, in);
    rc = cli_spawn(argv, &c->p);
    SetStdHandle(STD_OUTPUT_HANDLE, so);
    SetStdHandle(STD_ERROR_HANDLE, se);
    SetStdHandle(STD_INPUT_HANDLE, si);
  }
#else
  {
    int so, se, si = -1;
    fflush(stdout);
    fflush(stderr);
    so = fcntl(1, F_DUPFD_CLOEXEC, 3);
    se = fcntl(2, F_DUPFD_CLOEXEC, 3);
    if (in != CAP_NONE) si = fcntl(0, F_DUPFD_CLOEXEC, 3);
    if (so < 0 || se < 0 || (in != CAP_NONE && si < 0)) {
      rc = PIPC_ESYS;
    } else {
      dup2(fileno(c->out), 1);
      dup2(fileno(c->err), 2);
      if (in != CAP_NONE) dup2(fileno(in), 0);
      rc = cli_spawn(argv, &c->p);
      dup2(so, 1);
      dup2(se, 2);
      if (in != CAP_NONE) dup2(si, 0);
    }
    if (so >= 0) close(so);
    if (se >= 0) close(se);
    if (si >= 0) close(si);
  }
#endif
  if (in != CAP_NONE) cap_close(in); /* the child has its own */
  if (rc != PIPC_OK) {
    cap_close(c->out);
    cap_close(c->err);
    c->p = NULL;
  }
  return rc;
}

/* Wait for it (killing it after timeout_ms) and read what it wrote. */
static void cli_finish(cli_proc *c, int timeout_ms, cli_run *r) {
  size_t elen;
  char *e;
  run_free(r);
  r->code = -1001; /* could not be started */
  if (c->p == NULL) {
    r->raw = (char *)calloc(1, 1);
    r->out = (char *)calloc(1, 1);
    r->err = (char *)calloc(1, 1);
    return;
  }
  if (pipc_process_wait(c->p, timeout_ms, &r->code) != PIPC_OK) {
    pipc_process_kill(c->p);
    pipc_process_wait(c->p, PIPC_FOREVER, NULL);
    r->code = -1002;
  }
  pipc_process_free(c->p);
  c->p = NULL;
  r->raw = cap_read(c->out, &r->raw_len);
  e = cap_read(c->err, &elen);
  r->out = r->raw ? as_text(r->raw, r->raw_len) : NULL;
  r->err = e ? as_text(e, elen) : NULL;
  free(e);
  if (r->raw == NULL) r->raw = (char *)calloc(1, 1);
  if (r->out == NULL) r->out = (char *)calloc(1, 1);
  if (r->err == NULL) r->err = (char *)calloc(1, 1);
}

/* The last run of cli(): tests read last.out / last.err after it. */
static cli_run last;

/* Run pipc with up to 7 arguments (NULL-terminated): its exit code. */
static int cli(const char *a, ...) {
  const char *args[8];
  va_list ap;
  cli_proc c;
  int n = 0;
  args[n++] = a;
  va_start(ap, a);
  while (n < 7 && (args[n] = va_arg(ap, const char *)) != NULL) n++;
  va_end(ap);
  args[n] = NULL;
  cli_start(&c, args);
  cli_finish(&c, 30000, &last);
  if (last.code == -1002) fprintf(stderr, "\n  pipc %s hung; killed", a);
  return last.code;
}

/* text is want, exactly; both printed when not. */
static int same(const char *text, const char *want) {
  if (strcmp(text, want) == 0) return 1;
  fprintf(stderr, "\n  expected:\n%s  got:\n%s", want, text);
  return 0;
}

static int has(const char *text, const char *want) {
  if (strstr(text, want)) return 1;
  fprintf(stderr, "\n  expected \"%s\" in:\n%s", want, text);
  return 0;
}

/* The `pipc ls` line whose second column is name, copied into line; 0 if
   there is none. */
static int ls_line(const char *text, const char *name, char *line, size_t cap) {
  const char *p = text;
  while (*p) {
    const char *eol = strchr(p, '\n');
    size_t n = eol ? (size_t)(eol - p) : strlen(p);
    char kind[32], col2[128];
    if (n < cap) {
      memcpy(line, p, n);
      line[n] = 0;
      if (sscanf(line, "%31s %127s", kind, col2) == 2 && strcmp(col2, name) == 0) return 1;
    }
    p += n;
    if (*p) p++;
  }
  line[0] = 0;
  return 0;
}

/* The ls line of name has kind in its first column and contains detail. */
static int ls_says(const char *text, const char *name, const char *kind, const char *detail) {
  char line[512], first[32] = "";
  if (!ls_line(text, name, line, sizeof line)) {
    fprintf(stderr, "\n  pipc ls does not list %s:\n%s", name, text);
    return 0;
  }
  sscanf(line, "%31s", first);
  if (strcmp(first, kind) != 0 || (detail && !strstr(line, detail))) {
    fprintf(stderr, "\n  pipc ls: expected %s ... %s, got: %s", kind, detail ? detail : "", line);
    return 0;
  }
  return 1;
}

/* 1 if pipc ls lists names here (Linux, Windows); elsewhere (macOS, the
   BSDs: POSIX shared memory cannot be enumerated) check that it says so. */
static int ls_can_list(void) {
#if defined(__linux__) || defined(_WIN32)
  return 1;
#else
  CU_ASSERT_EQUAL(cli("ls", NULL), 1);
  CU_ASSERT(has(last.err, "pipc: ls: listing names needs"));
  fprintf(stderr, "\n  pipc ls lists nothing on this platform; checked that it says so");
  return 0;
#endif
}

/* ---- the cases ---- */

void test_cli_queue_send_recv_info(void) {
  char name[80], buf[32], want[160];
  pipc_queue *q = NULL;
  pipc_queue_stat_t st;
  size_t len;
  t_name(name, sizeof name, "cliq");
  T_RC(pipc_queue_create(name, 4, 32, &q), PIPC_OK);
  CU_ASSERT_FATAL(q != NULL);
  CU_ASSERT_EQUAL(cli("send", name, "hello", NULL), 0);
  CU_ASSERT_STRING_EQUAL(last.out, "");
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 5 && memcmp(buf, "hello", 5) == 0);
  T_RC(pipc_queue_put(q, "world", 5, 0), PIPC_OK);
  CU_ASSERT_EQUAL(cli("info", name, NULL), 0);
  CU_ASSERT(has(last.out, "kind: queue\n") && has(last.out, "depth: 1\n"));
  CU_ASSERT_EQUAL(cli("recv", name, "-t", "5000", NULL), 0);
  CU_ASSERT(last.raw_len == 5 && memcmp(last.raw, "world", 5) == 0);
  T_RC(pipc_queue_stat(q, &st), PIPC_OK);
  CU_ASSERT_EQUAL(st.depth, 0); /* it took the message */
  CU_ASSERT_EQUAL(cli("recv", name, "-t", "0", NULL), 1); /* empty: PIPC_EAGAIN */
  snprintf(want, sizeof want, "pipc: recv %s: %s\n", name, pipc_strerror(PIPC_EAGAIN));
  CU_ASSERT_STRING_EQUAL(last.err, want);
  CU_ASSERT_EQUAL(last.raw_len, 0);
  /* a full queue: send fails in time */
  while (pipc_queue_put(q, "x", 1, 0) == PIPC_OK) {
  }
  CU_ASSERT_EQUAL(cli("send", name, "more", "-t", "50", NULL), 1);
  snprintf(want, sizeof want, "pipc: send %s: %s\n", name, pipc_strerror(PIPC_ETIMEDOUT));
  CU_ASSERT_STRING_EQUAL(last.err, want);
  CU_ASSERT_EQUAL(cli("send", name, "this message is longer than thirty-two bytes", NULL), 1);
  snprintf(want, sizeof want, "pipc: send %s: message too long: the queue takes at most 32 bytes\n",
           name);
  CU_ASSERT_STRING_EQUAL(last.err, want);
  pipc_queue_unlink(name);
  pipc_queue_close(q);
}

void test_cli_rm_and_info_of_every_kind(void) {
  char sn[80], mn[80], ln[80], want[160];
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
  snprintf(want, sizeof want, "name: %s\nkind: shm\nsize: 4096 bytes\n", sn);
  CU_ASSERT_STRING_EQUAL(last.out, want);
  CU_ASSERT_EQUAL(cli("info", mn, NULL), 0);
  snprintf(want, sizeof want, "name: %s\nkind: semaphore\nvalue: 2\nmax: unbounded\n", mn);
  CU_ASSERT_STRING_EQUAL(last.out, want);
  CU_ASSERT_EQUAL(cli("info", ln, NULL), 0);
  snprintf(want, sizeof want, "name: %s\nkind: lock\nstate: free\n", ln);
  CU_ASSERT_STRING_EQUAL(last.out, want);
  CU_ASSERT_EQUAL(cli("rm", sn, mn, ln, NULL), 0);
  CU_ASSERT_STRING_EQUAL(last.out, "");
  CU_ASSERT_STRING_EQUAL(last.err, "");
  T_RC(pipc_sem_open(mn, &m2), PIPC_ENOENT); /* the names are gone */
  CU_ASSERT_EQUAL(cli("info", mn, NULL), 1);
  snprintf(want, sizeof want, "pipc: info %s: %s\n", mn, pipc_strerror(PIPC_ENOENT));
  CU_ASSERT_STRING_EQUAL(last.err, want);
  CU_ASSERT_EQUAL(cli("rm", mn, NULL), 1); /* already gone */
  snprintf(want, sizeof want, "pipc: rm %s: %s\n", mn, pipc_strerror(PIPC_ENOENT));
  CU_ASSERT_STRING_EQUAL(last.err, want);
  T_RC(pipc_sem_post(m), PIPC_OK);         /* open handles keep working */
  pipc_shm_close(s);
  pipc_sem_close(m);
  pipc_lock_close(l);
}

void test_cli_pipe_send_and_recv(void) {
  char name[80], name2[80], buf[32], want[200];
  pipc_listener *li = NULL;
  pipc_pipe *p = NULL;
  cli_proc c;
  cli_run r;
  const char *args[5];
  size_t len;
  memset(&r, 0, sizeof r);
  /* send to a listener the test holds */
  t_name(name, sizeof name, "clip");
  T_RC(pipc_listener_create(name, &li), PIPC_OK);
  CU_ASSERT_FATAL(li != NULL);
  args[0] = "send";
  args[1] = name;
  args[2] = "over the pipe";
  args[3] = NULL;
  T_RC(cli_start(&c, args), PIPC_OK);
  T_RC(pipc_listener_accept(li, &p, 30000), PIPC_OK);
  if (p) {
    T_RC(pipc_pipe_recv(p, buf, sizeof buf, &len, 30000), PIPC_OK);
    CU_ASSERT(len == 13 && memcmp(buf, "over the pipe", 13) == 0);
    pipc_pipe_close(p);
    p = NULL;
  }
  cli_finish(&c, 30000, &r);
  CU_ASSERT_EQUAL(r.code, 0);
  CU_ASSERT_STRING_EQUAL(r.err, "");
  pipc_listener_close(li);
  /* listen: the tool listens, the test connects and sends; stdout is the
     message's bytes exactly (no "\r\n" for "\n" on Windows) */
  t_name(name2, sizeof name2, "clir");
  args[0] = "listen";
  args[1] = name2;
  args[2] = "-t";
  args[3] = "30000";
  args[4] = NULL;
  T_RC(cli_start(&c, args), PIPC_OK);
  T_RC(pipc_pipe_connect(name2, &p, 30000), PIPC_OK); /* waits for its listener */
  if (p) {
    T_RC(pipc_pipe_send(p, "reply\n", 6, 30000), PIPC_OK);
    pipc_pipe_close(p);
  }
  cli_finish(&c, 30000, &r);
  CU_ASSERT_EQUAL(r.code, 0);
  CU_ASSERT(r.raw_len == 6 && memcmp(r.raw, "reply\n", 6) == 0);
  CU_ASSERT_STRING_EQUAL(r.err, "");
  run_free(&r);
  /* nobody at a name: send fails in time */
  CU_ASSERT_EQUAL(cli("send", name2, "x", "-t", "0", NULL), 1);
  snprintf(want, sizeof want, "pipc: send: no queue or listener named %s: %s\n", name2,
           pipc_strerror(PIPC_ENOENT));
  CU_ASSERT_STRING_EQUAL(last.err, want);
}

void test_cli_bad_usage_is_exit_2(void) {
  CU_ASSERT_EQUAL(cli("no-such-verb", NULL), 2);
  CU_ASSERT(has(last.err, "pipc: no verb 'no-such-verb'\nusage: pipc VERB [ARGS]\n"));
  CU_ASSERT_EQUAL(cli("send", NULL), 2);
  CU_ASSERT(has(last.err, "usage: pipc send NAME MESSAGE"));
  CU_ASSERT_STRING_EQUAL(last.out, "");
  CU_ASSERT_EQUAL(cli("send", "q", "m", "-t", "soon", NULL), 2);
  CU_ASSERT(has(last.err, "usage: pipc send NAME MESSAGE"));
  CU_ASSERT_EQUAL(cli("send", "q", "m", "-t", " 5", NULL), 2);  /* digits only */
  CU_ASSERT_EQUAL(cli("send", "q", "m", "-t", "+5", NULL), 2);
  CU_ASSERT_EQUAL(cli("send", "q", "m", "-t", "99999999999", NULL), 2);
  CU_ASSERT_EQUAL(cli("recv", "q", "-t", "-2", NULL), 2);
  CU_ASSERT_EQUAL(cli("recv", "q", "-x", NULL), 2);
  CU_ASSERT(has(last.err, "usage: pipc recv NAME"));
  CU_ASSERT_EQUAL(cli("info", NULL), 2);
  CU_ASSERT(has(last.err, "usage: pipc info NAME"));
  CU_ASSERT_EQUAL(cli("rm", NULL), 2);
  CU_ASSERT(has(last.err, "usage: pipc rm NAME"));
  CU_ASSERT_EQUAL(cli("path", "a", "b", NULL), 2);
  CU_ASSERT(has(last.err, "usage: pipc path NAME"));
  CU_ASSERT_EQUAL(cli("ls", "--bogus", NULL), 2);
  CU_ASSERT(has(last.err, "usage: pipc ls"));
  CU_ASSERT_STRING_EQUAL(last.out, "");
  /* a bad name is bad usage, for every verb that takes one */
  CU_ASSERT_EQUAL(cli("info", "bad/name", NULL), 2);
  CU_ASSERT_STRING_EQUAL(last.err, "pipc: info: bad name 'bad/name': 1-64 characters of "
                                   "A-Za-z0-9._-, not starting with '.'\n");
  CU_ASSERT_EQUAL(cli("path", ".hidden", NULL), 2);
  CU_ASSERT(has(last.err, "pipc: path: bad name '.hidden': "));
  CU_ASSERT_EQUAL(cli("send", "a b", "x", NULL), 2);
  CU_ASSERT(has(last.err, "pipc: send: bad name 'a b': "));
  CU_ASSERT_EQUAL(cli("recv", "", NULL), 2);
  CU_ASSERT(has(last.err, "pipc: recv: bad name '': "));
  CU_ASSERT_EQUAL(cli("listen", "x/y", NULL), 2);
  CU_ASSERT(has(last.err, "pipc: listen: bad name 'x/y': "));
  CU_ASSERT_EQUAL(cli("rm", "ok-name", "bad*name", NULL), 2);
  CU_ASSERT(has(last.err, "pipc: rm: bad name 'bad*name': "));
  CU_ASSERT_EQUAL(cli("create", "lock", "bad:name", NULL), 2);
  CU_ASSERT(has(last.err, "pipc: create: bad name 'bad:name': "));
  CU_ASSERT_STRING_EQUAL(last.out, "");
  /* bad options */
  CU_ASSERT_EQUAL(cli("ls", "--kind", "bogus", NULL), 2);
  CU_ASSERT(has(last.err, "usage: pipc ls"));
  CU_ASSERT_EQUAL(cli("ls", "--kind", NULL), 2);
  CU_ASSERT_EQUAL(cli("ls", "a", "b", NULL), 2);
  CU_ASSERT_EQUAL(cli("info", "x", "--yaml", NULL), 2);
  CU_ASSERT(has(last.err, "usage: pipc info NAME"));
  CU_ASSERT_EQUAL(cli("listen", NULL), 2);
  CU_ASSERT(has(last.err, "usage: pipc listen NAME"));
  CU_ASSERT_EQUAL(cli("create", "queue", NULL), 2);
  CU_ASSERT(has(last.err, "usage: pipc create KIND NAME"));
  CU_ASSERT_EQUAL(cli("create", "fifo", "x", NULL), 2);
  CU_ASSERT(has(last.err, "pipc: create: no kind 'fifo' (queue, semaphore, lock, shm)\n"));
  CU_ASSERT_EQUAL(cli("create", "listener", "x", NULL), 2);
  CU_ASSERT_EQUAL(cli("create", "queue", "x", "--capacity", "0", NULL), 2);
  CU_ASSERT(has(last.err, "pipc: create queue: bad option --capacity 0\n"));
  /* past 2^64-1: strtoull's clamp is no number */
  CU_ASSERT_EQUAL(cli("create", "queue", "x", "--capacity", "99999999999999999999999", NULL), 2);
  CU_ASSERT_EQUAL(cli("create", "shm", "x", "--size", "18446744073709551616", NULL), 2);
  CU_ASSERT_EQUAL(cli("create", "queue", "x", "--size", "10", NULL), 2);
  CU_ASSERT_EQUAL(cli("create", "semaphore", "x", "--max", "-1", NULL), 2);
  CU_ASSERT_EQUAL(cli("create", "semaphore", "x", "--value", "3", "--max", "2", NULL), 2);
  CU_ASSERT(has(last.err, "--value 3 is more than --max 2"));
  CU_ASSERT_EQUAL(cli("create", "shm", "x", NULL), 2);
  CU_ASSERT(has(last.err, "pipc: create shm: --size BYTES is needed\n"));
  CU_ASSERT_EQUAL(cli("create", "shm", "x", "--size", NULL), 2);
  CU_ASSERT_EQUAL(cli("create", "lock", "x", "--size", "1", NULL), 2);
  CU_ASSERT_STRING_EQUAL(last.out, "");
  /* help goes to stdout, exit 0 */
  CU_ASSERT_EQUAL(cli("info", "--help", NULL), 0);
  CU_ASSERT(has(last.out, "usage: pipc info NAME"));
  CU_ASSERT_STRING_EQUAL(last.err, "");
  CU_ASSERT_EQUAL(cli("--help", NULL), 0);
  CU_ASSERT(has(last.out, "usage: pipc VERB [ARGS]\n") && has(last.out, "\n  ls "));
  CU_ASSERT_EQUAL(cli("path", "some.name", NULL), 0);
}

/* Every kind a name can be, each on its own line with the right kind in
   the first column and its numbers; gone from the list once removed. */
void test_cli_ls_lists_every_kind(void) {
  t_kinds e;
  const char *qn = e.queue, *sn = e.shm, *mn = e.sem, *ln = e.lock, *pn = e.pipe;
  if (!ls_can_list()) return;
  t_kinds_names(&e, "ls");
  t_kinds_make_sized(&e, 4, 32, 4096, 2);
  CU_ASSERT_FATAL(e.q && e.s && e.m && e.l && e.li);
  T_RC(pipc_queue_put(e.q, "one", 3, 0), PIPC_OK);
  CU_ASSERT_EQUAL(cli("ls", NULL), 0);
  CU_ASSERT(ls_says(last.out, qn, "queue", "depth 1/4, max 32 B"));
  CU_ASSERT(ls_says(last.out, sn, "shm", "4096 bytes"));
  CU_ASSERT(ls_says(last.out, mn, "semaphore", "value 2, unbounded"));
  CU_ASSERT(ls_says(last.out, ln, "lock", "free"));
  CU_ASSERT(ls_says(last.out, pn, "listener", "live"));
  CU_ASSERT(strncmp(last.out, "KIND ", 5) == 0); /* the header first */
  /* removed: no longer listed (on Windows the objects live on while this
     process holds them, but unlinked they are nobody's name) */
  pipc_listener_close(e.li);
  T_RC(pipc_queue_unlink(qn), PIPC_OK);
  T_RC(pipc_shm_unlink(sn), PIPC_OK);
  T_RC(pipc_sem_unlink(mn), PIPC_OK);
  T_RC(pipc_lock_unlink(ln), PIPC_OK);
  CU_ASSERT_EQUAL(cli("ls", NULL), 0);
  CU_ASSERT(strstr(last.out, qn) == NULL && strstr(last.out, sn) == NULL);
  CU_ASSERT(strstr(last.out, mn) == NULL && strstr(last.out, ln) == NULL);
  CU_ASSERT(strstr(last.out, pn) == NULL);
  pipc_queue_close(e.q);
  pipc_shm_close(e.s);
  pipc_sem_close(e.m);
  pipc_lock_close(e.l);
}

/* A listener whose process was killed: Linux keeps its socket file and ls
   calls it stale; Windows removes it with the process. */
void test_cli_ls_tells_live_from_dead_listener(void) {
  char name[80], line[512];
  const char *args[5];
  cli_proc c;
  cli_run r;
  pipc_listener *li = NULL;
  int i, seen = 0;
  memset(&r, 0, sizeof r);
  if (!ls_can_list()) return;
  t_name(name, sizeof name, "lsdead");
  args[0] = "listen";
  args[1] = name;
  args[2] = "-t";
  args[3] = "60000";
  args[4] = NULL;
  T_RC(cli_start(&c, args), PIPC_OK); /* pipc listen listens at name */
  CU_ASSERT_FATAL(c.p != NULL);
  for (i = 0; i < 100 && !seen; i++) {
    CU_ASSERT_EQUAL(cli("ls", NULL), 0);
    seen = ls_line(last.out, name, line, sizeof line);
    if (!seen) pipc_sleep_ms(100);
  }
  CU_ASSERT_FATAL(seen);
  CU_ASSERT(ls_says(last.out, name, "listener", "live"));
  CU_ASSERT(strstr(line, "stale") == NULL);
  T_RC(pipc_process_kill(c.p), PIPC_OK);
  cli_finish(&c, 30000, &r);
  run_free(&r);
  if (cli("ls", NULL) != 0) fprintf(stderr, "\n  pipc ls after the kill said: %s", last.err);
  CU_ASSERT_EQUAL(last.code, 0);
#if defined(_WIN32)
  CU_ASSERT(!ls_line(last.out, name, line, sizeof line));
#else
  CU_ASSERT(ls_says(last.out, name, "listener", "stale"));
#endif
  /* the next listener reclaims the name; closed, it leaves nothing */
  T_RC(pipc_listener_create(name, &li), PIPC_OK);
  if (li) pipc_listener_close(li);
  CU_ASSERT_EQUAL(cli("ls", NULL), 0);
  CU_ASSERT(!ls_line(last.out, name, line, sizeof line));
}

/* A queue's numbers and state, each on its line; a damaged one says so. */
void test_cli_info_prints_queue_numbers_and_state(void) {
  char name[80], want[400];
  pipc_queue *q = NULL;
  pipc_shm *raw = NULL;
  uint64_t v = 1000;
  t_name(name, sizeof name, "infoq");
  T_RC(pipc_queue_create(name, 8, 100, &q), PIPC_OK);
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_put(q, "a", 1, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "bb", 2, 0), PIPC_OK);
  T_RC(pipc_queue_put(q, "ccc", 3, 0), PIPC_OK);
  CU_ASSERT_EQUAL(cli("info", name, NULL), 0);
  snprintf(want, sizeof want,
           "name: %s\nkind: queue\ncapacity: 8 messages\nmax message: 100 bytes\n"
           "depth: 3\nshut down: no\npoisoned: no\norphans: 0\n", name);
  CU_ASSERT_STRING_EQUAL(last.out, want);
  CU_ASSERT_STRING_EQUAL(last.err, "");
  T_RC(pipc_queue_shutdown(q), PIPC_OK);
  CU_ASSERT_EQUAL(cli("info", name, NULL), 0);
  CU_ASSERT(has(last.out, "depth: 3\nshut down: yes\npoisoned: no\n"));
  /* 1000 messages in a queue of 8: poisoned, reported, not a failure */
  T_RC(pipc_shm_open(name, &raw), PIPC_OK);
  CU_ASSERT_FATAL(raw != NULL);
  memcpy((unsigned char *)pipc_shm_addr(raw) + Q_TAIL_OFF, &v, 8);
  CU_ASSERT_EQUAL(cli("info", name, NULL), 0);
  CU_ASSERT(has(last.out, "depth: 0\n") && has(last.out, "poisoned: yes"));
  if (ls_can_list()) {
    CU_ASSERT_EQUAL(cli("ls", NULL), 0);
    CU_ASSERT(ls_says(last.out, name, "queue", ", POISONED"));
  }
  pipc_shm_close(raw);
  pipc_queue_unlink(name);
  pipc_queue_close(q);
}

/* The OS names pipc gives, as the tool prints them. */
void test_cli_path_prints_os_names(void) {
  char name[80], pipe[512], want[800];
  t_name(name, sizeof name, "path");
  CU_ASSERT_EQUAL(cli("path", name, NULL), 0);
  T_RC(pipc_pipe_path(name, pipe, sizeof pipe), PIPC_OK);
#ifdef _WIN32
  snprintf(want, sizeof want, "shm: Local\\pipc.%s\npipe: \\\\.\\pipe\\pipc.%s\n", name, name);
#elif defined(__linux__)
  snprintf(want, sizeof want, "shm: /pipc.%s (shm_open; on Linux /dev/shm/pipc.%s)\npipe: %s\n",
           name, name, pipe);
#else
  { /* no shm file; macOS: a name longer than its 31 bytes is a digest */
    char shm[PIPC_PATH_MAX], plain[PIPC_PATH_MAX];
    T_RC(pipc_path(name, PIPC_PATH_SHM, shm, sizeof shm), PIPC_OK);
    snprintf(plain, sizeof plain, "/pipc.%s", name);
#ifdef __APPLE__
    if (strlen(plain) > 31) {
      CU_ASSERT(strncmp(shm, "/pipc=", 6) == 0 && strlen(shm) == 30 &&
                strspn(shm + 6, "0123456789abcdef") == 24);
    } else
#endif
    {
      CU_ASSERT_STRING_EQUAL(shm, plain);
    }
    snprintf(want, sizeof want, "shm: %s\npipe: %s\n", shm, pipe);
  }
#endif
#ifndef _WIN32
  CU_ASSERT(pipe[0] == '/' && strlen(pipe) > strlen(name) &&
            strcmp(pipe + strlen(pipe) - strlen(name), name) == 0 &&
            pipe[strlen(pipe) - strlen(name) - 1] == '/');
#endif
  CU_ASSERT_STRING_EQUAL(last.out, want);
  CU_ASSERT_STRING_EQUAL(last.err, "");
}

/* recv writes the message's bytes and nothing else: binary bytes, "\r\n"
   and "\n" untouched, and a message bigger than its first buffer (64 KiB). */
void test_cli_recv_prints_exact_bytes(void) {
  static const char bin[] = "\0\x01\xff line\r\nnext\n\x1a end";
  char name[80];
  pipc_queue *q = NULL;
  unsigned char *big;
  size_t i, n = 100000;
  t_name(name, sizeof name, "recvb");
  T_RC(pipc_queue_create(name, 4, n, &q), PIPC_OK);
  CU_ASSERT_FATAL(q != NULL);
  T_RC(pipc_queue_put(q, bin, sizeof bin - 1, 0), PIPC_OK);
  CU_ASSERT_EQUAL(cli("recv", name, "-t", "0", NULL), 0);
  CU_ASSERT_EQUAL(last.raw_len, sizeof bin - 1);
  CU_ASSERT(last.raw_len == sizeof bin - 1 && memcmp(last.raw, bin, sizeof bin - 1) == 0);
  CU_ASSERT_STRING_EQUAL(last.err, "");
  big = (unsigned char *)malloc(n);
  CU_ASSERT_FATAL(big != NULL);
  for (i = 0; i < n; i++) big[i] = (unsigned char)(i * 7 + i / 251);
  T_RC(pipc_queue_put(q, big, n, 0), PIPC_OK);
  CU_ASSERT_EQUAL(cli("recv", name, "-t", "0", NULL), 0);
  CU_ASSERT(last.raw_len == n && memcmp(last.raw, big, n) == 0);
  T_RC(pipc_queue_put(q, "", 0, 0), PIPC_OK); /* an empty message: no bytes */
  CU_ASSERT_EQUAL(cli("recv", name, "-t", "0", NULL), 0);
  CU_ASSERT_EQUAL(last.raw_len, 0);
  free(big);
  pipc_queue_unlink(name);
  pipc_queue_close(q);
}

/* A name nobody holds: exit 1 and "pipc: VERB NAME: <pipc error>" alone. */
void test_cli_unknown_name_is_exit_1_with_the_error(void) {
  char name[80], want[300];
  t_name(name, sizeof name, "nobody");
  CU_ASSERT_EQUAL(cli("info", name, NULL), 1);
  snprintf(want, sizeof want, "pipc: info %s: %s\n", name, pipc_strerror(PIPC_ENOENT));
  CU_ASSERT_STRING_EQUAL(last.err, want);
  CU_ASSERT_STRING_EQUAL(last.out, "");
  CU_ASSERT_EQUAL(cli("rm", name, NULL), 1);
  snprintf(want, sizeof want, "pipc: rm %s: %s\n", name, pipc_strerror(PIPC_ENOENT));
  CU_ASSERT_STRING_EQUAL(last.err, want);
  CU_ASSERT_EQUAL(cli("send", name, "x", "-t", "0", NULL), 1);
  snprintf(want, sizeof want, "pipc: send: no queue or listener named %s: %s\n", name,
           pipc_strerror(PIPC_ENOENT));
  CU_ASSERT_STRING_EQUAL(last.err, want);
  /* recv of no queue says so (it does not become a listener) */
  CU_ASSERT_EQUAL(cli("recv", name, "-t", "0", NULL), 1);
  snprintf(want, sizeof want, "pipc: recv: no queue named %s (to listen at a name: pipc listen %s)\n",
           name, name);
  CU_ASSERT_STRING_EQUAL(last.err, want);
  CU_ASSERT_EQUAL(last.raw_len, 0);
  /* listen: nobody comes in 0 ms */
  CU_ASSERT_EQUAL(cli("listen", name, "-t", "0", NULL), 1);
  snprintf(want, sizeof want, "pipc: listen %s: ", name);
  CU_ASSERT(has(last.err, want));
  CU_ASSERT_EQUAL(last.raw_len, 0);
}

/* ---- JSON, checked by a small parser (and by Python's where there is
   one) ---- */

static const char *j_ws(const char *p) {
  while (p && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
  return p;
}
static int j_digit(char c) { return c >= '0' && c <= '9'; }
static const char *j_str(const char *p) {
  if (p == NULL || *p != '"') return NULL;
  for (p++; *p != '"'; p++) {
    if (*p == 0 || (unsigned char)*p < 0x20) return NULL;
    if (*p == '\\') {
      p++;
      if (*p == 'u') {
        int i;
        for (i = 1; i <= 4; i++)
          if (!strchr("0123456789abcdefABCDEF", p[i]) || p[i] == 0) return NULL;
        p += 4;
      } else if (*p == 0 || !strchr("\"\\/bfnrt", *p)) {
        return NULL;
      }
    }
  }
  return p + 1;
}
static const char *j_num(const char *p) {
  if (*p == '-') p++;
  if (!j_digit(*p)) return NULL;
  if (*p == '0') p++;
  else
    while (j_digit(*p)) p++;
  if (*p == '.') {
    if (!j_digit(*++p)) return NULL;
    while (j_digit(*p)) p++;
  }
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-') p++;
    if (!j_digit(*p)) return NULL;
    while (j_digit(*p)) p++;
  }
  return p;
}
static const char *j_val(const char *p, int depth) {
  p = j_ws(p);
  if (p == NULL || depth > 32) return NULL;
  if (*p == '{' || *p == '[') {
    char close = *p == '{' ? '}' : ']';
    int obj = *p == '{';
    p = j_ws(p + 1);
    if (*p == close) return p + 1;
    for (;;) {
      if (obj) {
        p = j_ws(j_str(j_ws(p)));
        if (p == NULL || *p++ != ':') return NULL;
      }
      p = j_ws(j_val(p, depth + 1));
      if (p == NULL) return NULL;
      if (*p == close) return p + 1;
      if (*p++ != ',') return NULL;
    }
  }
  if (*p == '"') return j_str(p);
  if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0) return p + 4;
  if (strncmp(p, "false", 5) == 0) return p + 5;
  return j_num(p);
}

/* text is one JSON value and nothing else; where Python is (not under
   Wine), json.load agrees. */
static int json_ok(const char *text) {
  const char *end = j_ws(j_val(text, 0));
  if (end == NULL || *end) {
    fprintf(stderr, "\n  not JSON (from \"%s\"):\n%s", end ? end : "?", text);
    return 0;
  }
#ifndef _WIN32
  {
    FILE *py;
    if (system("python3 -c '' >/dev/null 2>&1") == 0 &&
        (py = popen("python3 -c 'import json,sys; json.load(sys.stdin)'", "w")) != NULL) {
      fputs(text, py);
      if (pclose(py) != 0) {
        fprintf(stderr, "\n  python3's json.load refused:\n%s", text);
        return 0;
      }
    }
  }
#endif
  return 1;
}

/* --version, and pipc help VERB is pipc VERB --help for every verb. */
void test_cli_version_and_help_verb(void) {
  static const char *const verbs[] = {"ls", "info", "create", "rm", "send",
                                      "recv", "listen", "path", "bench"};
  char want[64], *h;
  size_t i;
  CU_ASSERT_EQUAL(cli("--version", NULL), 0);
  snprintf(want, sizeof want, "pipc %d.%d.%d\n", PIPC_VERSION_MAJOR, PIPC_VERSION_MINOR,
           PIPC_VERSION_PATCH);
  CU_ASSERT(same(last.out, want));
  CU_ASSERT_STRING_EQUAL(last.err, "");
  for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
    char usage[64];
    CU_ASSERT_EQUAL(cli(verbs[i], "--help", NULL), 0);
    h = last.out;
    last.out = NULL;
    snprintf(usage, sizeof usage, "usage: pipc %s", verbs[i]);
    CU_ASSERT(h && has(h, usage));
    CU_ASSERT_EQUAL(cli("help", verbs[i], NULL), 0);
    CU_ASSERT(h && strcmp(last.out, h) == 0);
    CU_ASSERT_STRING_EQUAL(last.err, "");
    free(h);
  }
  CU_ASSERT_EQUAL(cli("help", NULL), 0);
  CU_ASSERT(has(last.out, "usage: pipc VERB [ARGS]\n") && has(last.out, "\n  create KIND NAME"));
  CU_ASSERT(has(last.out, "\n  listen NAME") && has(last.out, "\n  --version"));
  CU_ASSERT_EQUAL(cli("help", "nosuchverb", NULL), 2);
  CU_ASSERT(has(last.err, "pipc: no verb 'nosuchverb'\nusage: pipc VERB [ARGS]\n"));
  CU_ASSERT_STRING_EQUAL(last.out, "");
  CU_ASSERT_EQUAL(cli(NULL), 2); /* no verb at all: the usage on stderr */
  CU_ASSERT(has(last.err, "usage: pipc VERB [ARGS]\n"));
}

/* ls: a header, a NAME column as wide as the longest name (64
   characters here), no trailing spaces, the kind filter, an empty list's
   header alone, and the same objects as a JSON array. */
void test_cli_ls_columns_filter_and_json(void) {
  char qn[80], sn[80], mn[80], ln[80], pn[80], longn[PIPC_NAME_MAX + 1], pre[40], none[96];
  char want[2048], line[400];
  pipc_queue *q = NULL;
  pipc_shm *s = NULL;
  pipc_sem *m = NULL;
  pipc_lock *l = NULL, *lg = NULL;
  pipc_listener *li = NULL;
  const char *p;
  size_t w;
  if (!ls_can_list()) return;
  t_name(pre, sizeof pre, "lj"); /* every name here starts with it */
  snprintf(qn, sizeof qn, "%s-q", pre);
  snprintf(sn, sizeof sn, "%s-shm", pre);
  snprintf(mn, sizeof mn, "%s-sem", pre);
  snprintf(ln, sizeof ln, "%s-lock", pre);
  snprintf(pn, sizeof pn, "%s-lis", pre);
  snprintf(longn, sizeof longn, "%s-z", pre); /* sorts last of the segments */
  while (strlen(longn) < PIPC_NAME_MAX) strcat(longn, "x"); /* the longest name */
  T_RC(pipc_queue_create(qn, 4, 32, &q), PIPC_OK);
  T_RC(pipc_shm_create(sn, 4096, &s), PIPC_OK);
  T_RC(pipc_sem_create(mn, 2, 5, &m), PIPC_OK);
  T_RC(pipc_lock_create(ln, &l), PIPC_OK);
  T_RC(pipc_lock_create(longn, &lg), PIPC_OK);
  T_RC(pipc_listener_create(pn, &li), PIPC_OK);
  CU_ASSERT_FATAL(q && s && m && l && lg && li);
  T_RC(pipc_queue_put(q, "one", 3, 0), PIPC_OK);
  /* the text table, exactly: segments by name, then listeners */
  CU_ASSERT_EQUAL(cli("ls", pre, NULL), 0);
  w = strlen(longn);
  snprintf(want, sizeof want,
           "KIND      %-*s DETAILS\n"
           "lock      %-*s free\n"
           "queue     %-*s depth 1/4, max 32 B\n"
           "semaphore %-*s value 2/5\n"
           "shm       %-*s 4096 bytes\n"
           "lock      %-*s free\n"
           "listener  %-*s live\n",
           (int)w, "NAME", (int)w, ln, (int)w, qn, (int)w, mn, (int)w, sn, (int)w, longn,
           (int)w, pn);
  CU_ASSERT(same(last.out, want));
  CU_ASSERT_STRING_EQUAL(last.err, "");
  /* no line of the whole listing ends in a space */
  CU_ASSERT_EQUAL(cli("ls", NULL), 0);
  for (p = last.out; *p; p++)
    if (*p == '\n' && p > last.out && p[-1] == ' ') {
      const char *bol = p;
      while (bol > last.out && bol[-1] != '\n') bol--;
      snprintf(line, sizeof line, "%.*s", (int)(p - bol), bol);
      fprintf(stderr, "\n  a line ends in a space: [%s]", line);
      CU_FAIL("trailing space");
      break;
    }
  /* --kind, repeatable */
  CU_ASSERT_EQUAL(cli("ls", "--kind", "queue", "--kind", "listener", pre, NULL), 0);
  w = strlen(qn) > strlen(pn) ? strlen(qn) : strlen(pn);
  snprintf(want, sizeof want, "KIND     %-*s DETAILS\nqueue    %-*s depth 1/4, max 32 B\n"
           "listener %-*s live\n", (int)w, "NAME", (int)w, qn, (int)w, pn);
  CU_ASSERT(same(last.out, want));
  CU_ASSERT_EQUAL(cli("ls", "--kind", "semaphore", NULL), 0);
  CU_ASSERT(ls_says(last.out, mn, "semaphore", "value 2/5"));
  CU_ASSERT(strstr(last.out, qn) == NULL && strstr(last.out, ln) == NULL);
  /* nothing: the header alone, exit 0; JSON: [] */
  snprintf(none, sizeof none, "%s-none", pre);
  CU_ASSERT_EQUAL(cli("ls", none, NULL), 0);
  CU_ASSERT_STRING_EQUAL(last.out, "KIND NAME DETAILS\n");
  CU_ASSERT_STRING_EQUAL(last.err, "");
  CU_ASSERT_EQUAL(cli("ls", "--json", none, NULL), 0);
  CU_ASSERT_STRING_EQUAL(last.out, "[]\n");
  CU_ASSERT(json_ok(last.out));
  /* JSON: one object per line, in the same order */
  CU_ASSERT_EQUAL(cli("ls", "--json", pre, NULL), 0);
  snprintf(want, sizeof want,
           "[\n"
           "  {\"name\": \"%s\", \"kind\": \"lock\", \"state\": \"ok\", \"held\": false, "
           "\"owner_dead\": false},\n"
           "  {\"name\": \"%s\", \"kind\": \"queue\", \"state\": \"ok\", \"depth\": 1, "
           "\"capacity\": 4, \"max_msg_size\": 32, \"shut_down\": false, \"poisoned\": false, "
           "\"orphans\": 0},\n"
           "  {\"name\": \"%s\", \"kind\": \"semaphore\", \"state\": \"ok\", \"value\": 2, "
           "\"max\": 5},\n"
           "  {\"name\": \"%s\", \"kind\": \"shm\", \"state\": \"ok\", \"size\": 4096},\n"
           "  {\"name\": \"%s\", \"kind\": \"lock\", \"state\": \"ok\", \"held\": false, "
           "\"owner_dead\": false},\n"
           "  {\"name\": \"%s\", \"kind\": \"listener\", \"state\": \"live\"}\n"
           "]\n",
           ln, qn, mn, sn, longn, pn);
  CU_ASSERT(same(last.out, want));
  CU_ASSERT(json_ok(last.out));
  /* the whole listing is JSON too, whatever else this user has */
  CU_ASSERT_EQUAL(cli("ls", "--json", NULL), 0);
  CU_ASSERT(json_ok(last.out));
  pipc_listener_close(li);
  pipc_queue_unlink(qn);
  pipc_shm_unlink(sn);
  pipc_sem_unlink(mn);
  pipc_lock_unlink(ln);
  pipc_lock_unlink(longn);
  pipc_queue_close(q);
  pipc_shm_close(s);
  pipc_sem_close(m);
  pipc_lock_close(l);
  pipc_lock_close(lg);
}

/* pipc info NAME --json: exit 0 and exactly {"name": "NAME", REST} and a
   newline, valid JSON. */
static void info_json_is(const char *name, const char *rest) {
  char want[700];
  CU_ASSERT_EQUAL(cli("info", name, "--json", NULL), 0);
  snprintf(want, sizeof want, "{\"name\": \"%s\", %s}\n", name, rest);
  CU_ASSERT(same(last.out, want));
  CU_ASSERT(json_ok(last.out));
}

/* info --json: one object per kind, the fields of ls --json. */
void test_cli_info_json_of_every_kind(void) {
  t_kinds e;
  const char *qn = e.queue, *sn = e.shm, *mn = e.sem, *ln = e.lock, *pn = e.pipe;
  char want[600];
  t_kinds_names(&e, "ij");
  t_kinds_make_sized(&e, 8, 100, 8192, 0);
  CU_ASSERT_FATAL(e.q && e.s && e.m && e.l && e.li);
  T_RC(pipc_queue_put(e.q, "a", 1, 0), PIPC_OK);
  T_RC(pipc_queue_shutdown(e.q), PIPC_OK);
  info_json_is(qn, "\"kind\": \"queue\", \"state\": \"ok\", \"depth\": 1, \"capacity\": 8, "
                   "\"max_msg_size\": 100, \"shut_down\": true, \"poisoned\": false, "
                   "\"orphans\": 0");
  info_json_is(sn, "\"kind\": \"shm\", \"state\": \"ok\", \"size\": 8192");
  snprintf(want, sizeof want, "\"kind\": \"semaphore\", \"state\": \"ok\", \"value\": 0, \"max\": %u",
           PIPC_SEM_VALUE_MAX);
  info_json_is(mn, want);
  info_json_is(ln, "\"kind\": \"lock\", \"state\": \"ok\", \"held\": false, \"owner_dead\": false");
  info_json_is(pn, "\"kind\": \"listener\", \"state\": \"live\"");
  CU_ASSERT_EQUAL(cli("info", pn, NULL), 0);
  snprintf(want, sizeof want, "name: %s\nkind: listener\nstate: live\n", pn);
  CU_ASSERT(same(last.out, want));
  /* a semaphore with a bound, in text */
  T_RC(pipc_sem_unlink(mn), PIPC_OK);
  pipc_sem_close(e.m);
  e.m = NULL;
  T_RC(pipc_sem_create(mn, 3, 7, &e.m), PIPC_OK);
  CU_ASSERT_EQUAL(cli("info", mn, NULL), 0);
  snprintf(want, sizeof want, "name: %s\nkind: semaphore\nvalue: 3\nmax: 7\n", mn);
  CU_ASSERT(same(last.out, want));
  /* nothing: exit 1, "no such name", nothing on stdout, JSON or not */
  pipc_listener_close(e.li);
  CU_ASSERT_EQUAL(cli("info", pn, "--json", NULL), 1);
  snprintf(want, sizeof want, "pipc: info %s: %s\n", pn, pipc_strerror(PIPC_ENOENT));
  CU_ASSERT(same(last.err, want));
  CU_ASSERT(has(last.err, "no such name"));
  CU_ASSERT_STRING_EQUAL(last.out, "");
  pipc_queue_unlink(qn);
  pipc_shm_unlink(sn);
  pipc_sem_unlink(mn);
  pipc_lock_unlink(ln);
  pipc_queue_close(e.q);
  pipc_shm_close(e.s);
  if (e.m) pipc_sem_close(e.m);
  pipc_lock_close(e.l);
}

/* info of a lock: free, held (by this process: pipc looks from another),
   owner dead once its holder is killed - and the look leaves the
   owner-dead report to the next acquire. */
void test_cli_info_lock_states(void) {
  char ln[80], rn[80], want[400];
  pipc_lock *l = NULL;
  pipc_sem *ready = NULL;
  pipc_process *p;
  t_name(ln, sizeof ln, "cils");
  t_name(rn, sizeof rn, "cilr");
  T_RC(pipc_lock_create(ln, &l), PIPC_OK);
  T_RC(pipc_sem_create(rn, 0, 0, &ready), PIPC_OK);
  CU_ASSERT_FATAL(l && ready);
  CU_ASSERT_EQUAL(cli("info", ln, NULL), 0);
  snprintf(want, sizeof want, "name: %s\nkind: lock\nstate: free\n", ln);
  CU_ASSERT(same(last.out, want));
  T_RC(pipc_lock_acquire(l, 0), PIPC_OK);
  CU_ASSERT_EQUAL(cli("info", ln, NULL), 0);
  snprintf(want, sizeof want, "name: %s\nkind: lock\nstate: held\n", ln);
  CU_ASSERT(same(last.out, want));
  CU_ASSERT_EQUAL(cli("info", ln, "--json", NULL), 0);
  snprintf(want, sizeof want, "{\"name\": \"%s\", \"kind\": \"lock\", \"state\": \"ok\", "
           "\"held\": true, \"owner_dead\": false}\n", ln);
  CU_ASSERT(same(last.out, want));
  if (ls_can_list()) {
    CU_ASSERT_EQUAL(cli("ls", "--kind", "lock", ln, NULL), 0);
    CU_ASSERT(ls_says(last.out, ln, "lock", "held"));
  }
  T_RC(pipc_lock_release(l), PIPC_OK);
  /* a holder killed */
  p = t_spawn("lock_hold", ln, rn, NULL);
  CU_ASSERT_FATAL(p != NULL);
  T_RC(pipc_sem_wait(ready, 30000), PIPC_OK);
  CU_ASSERT_EQUAL(cli("info", ln, NULL), 0);
  CU_ASSERT(has(last.out, "state: held\n"));
  pipc_process_kill(p);
  CU_ASSERT_EQUAL(t_join(p, 30000), -9);
  CU_ASSERT_EQUAL(cli("info", ln, NULL), 0);
  snprintf(want, sizeof want,
           "name: %s\nkind: lock\nstate: owner dead (the next acquire gets PIPC_EOWNERDEAD)\n",
           ln);
  CU_ASSERT(same(last.out, want));
  CU_ASSERT_EQUAL(cli("info", ln, "--json", NULL), 0); /* a second look: the same */
  snprintf(want, sizeof want, "{\"name\": \"%s\", \"kind\": \"lock\", \"state\": \"ok\", "
           "\"held\": false, \"owner_dead\": true}\n", ln);
  CU_ASSERT(same(last.out, want));
  if (ls_can_list()) {
    CU_ASSERT_EQUAL(cli("ls", ln, NULL), 0);
    CU_ASSERT(ls_says(last.out, ln, "lock", "owner dead"));
  }
  T_RC(pipc_lock_acquire(l, 30000), PIPC_EOWNERDEAD); /* still ours to hear */
  T_RC(pipc_lock_release(l), PIPC_OK);
  CU_ASSERT_EQUAL(cli("info", ln, NULL), 0);
  CU_ASSERT(has(last.out, "state: free\n"));
  pipc_lock_unlink(ln);
  pipc_sem_unlink(rn);
  pipc_lock_close(l);
  pipc_sem_close(ready);
}

/* info of a listener whose process was killed: stale on POSIX (its socket
   file stays); gone on Windows (no such name). */
void test_cli_info_of_a_dead_listener(void) {
  char name[80], want[300];
  const char *args[5];
  cli_proc c;
  cli_run r;
  int i;
  memset(&r, 0, sizeof r);
  t_name(name, sizeof name, "cidl");
  args[0] = "listen";
  args[1] = name;
  args[2] = "-t";
  args[3] = "60000";
  args[4] = NULL;
  T_RC(cli_start(&c, args), PIPC_OK);
  CU_ASSERT_FATAL(c.p != NULL);
  for (i = 0; i < 100 && cli("info", name, NULL) != 0; i++) pipc_sleep_ms(100);
  snprintf(want, sizeof want, "name: %s\nkind: listener\nstate: live\n", name);
  CU_ASSERT(same(last.out, want));
  T_RC(pipc_process_kill(c.p), PIPC_OK);
  cli_finish(&c, 30000, &r);
  run_free(&r);
#ifdef _WIN32
  CU_ASSERT_EQUAL(cli("info", name, NULL), 1);
  snprintf(want, sizeof want, "pipc: info %s: %s\n", name, pipc_strerror(PIPC_ENOENT));
  CU_ASSERT(same(last.err, want));
#else
  if (!ls_can_list()) {
    t_skip("stale listeners are told only where pipc_list works (Linux)");
    return;
  }
  CU_ASSERT_EQUAL(cli("info", name, NULL), 0);
  snprintf(want, sizeof want, "name: %s\nkind: listener\nstate: stale\n", name);
  CU_ASSERT(same(last.out, want));
  CU_ASSERT_EQUAL(cli("info", name, "--json", NULL), 0);
  snprintf(want, sizeof want, "{\"name\": \"%s\", \"kind\": \"listener\", \"state\": \"stale\"}\n",
           name);
  CU_ASSERT(same(last.out, want));
  {
    pipc_listener *li = NULL; /* the next listener reclaims the name */
    T_RC(pipc_listener_create(name, &li), PIPC_OK);
    if (li) pipc_listener_close(li);
  }
#endif
}

/* create KIND NAME: POSIX makes the object, which outlives pipc; a name
   that exists is exit 1.  Windows: refused with the reason (the object
   would die with pipc's handle), nothing made. */
void test_cli_create_every_kind(void) {
  char qn[80], sn[80], mn[80], ln[80], want[400];
  pipc_queue *q = NULL;
  pipc_shm *s = NULL;
  pipc_sem *m = NULL;
  pipc_lock *l = NULL;
  t_name(qn, sizeof qn, "crq");
  t_name(sn, sizeof sn, "crshm");
  t_name(mn, sizeof mn, "crsem");
  t_name(ln, sizeof ln, "crlock");
#ifdef _WIN32
  CU_ASSERT_EQUAL(cli("create", "queue", qn, "--capacity", "3", NULL), 1);
  CU_ASSERT(has(last.err, "on Windows a name lives only while a process has it open"));
  snprintf(want, sizeof want, "pipc: create %s: %s\n", qn, pipc_strerror(PIPC_ENOTSUP));
  CU_ASSERT(has(last.err, want));
  CU_ASSERT_STRING_EQUAL(last.out, "");
  T_RC(pipc_queue_open(qn, &q), PIPC_ENOENT);
  CU_ASSERT_EQUAL(cli("create", "lock", ln, NULL), 1);
  T_RC(pipc_lock_open(ln, &l), PIPC_ENOENT);
  (void)s;
  (void)m;
  (void)sn;
  (void)mn;
#else
  CU_ASSERT_EQUAL(cli("create", "queue", qn, "--capacity", "3", "--max-msg", "100", NULL), 0);
  CU_ASSERT_STRING_EQUAL(last.out, "");
  CU_ASSERT_STRING_EQUAL(last.err, "");
  CU_ASSERT_EQUAL(cli("create", "semaphore", mn, "--value", "2", "--max", "4", NULL), 0);
  CU_ASSERT_EQUAL(cli("create", "lock", ln, NULL), 0);
  CU_ASSERT_EQUAL(cli("create", "shm", sn, "--size", "1000", NULL), 0);
  /* pipc has exited: the objects live on, as asked */
  T_RC(pipc_queue_open(qn, &q), PIPC_OK);
  T_RC(pipc_sem_open(mn, &m), PIPC_OK);
  T_RC(pipc_lock_open(ln, &l), PIPC_OK);
  T_RC(pipc_shm_open(sn, &s), PIPC_OK);
  if (q) {
    pipc_queue_stat_t st;
    T_RC(pipc_queue_stat(q, &st), PIPC_OK);
    CU_ASSERT(st.capacity == 3 && st.max_msg_size == 100 && st.depth == 0);
  }
  if (m) {
    unsigned v = 0, mx = 0;
    T_RC(pipc_sem_value(m, &v), PIPC_OK);
    T_RC(pipc_sem_max(m, &mx), PIPC_OK);
    CU_ASSERT(v == 2 && mx == 4);
  }
  if (l) {
    T_RC(pipc_lock_acquire(l, 0), PIPC_OK);
    T_RC(pipc_lock_release(l), PIPC_OK);
  }
  if (s) CU_ASSERT_EQUAL(pipc_shm_size(s), t_os_shm_size_learnt(1000));
  /* defaults, and a name that exists */
  CU_ASSERT_EQUAL(cli("rm", qn, NULL), 0);
  CU_ASSERT_EQUAL(cli("create", "queue", qn, NULL), 0);
  CU_ASSERT_EQUAL(cli("info", qn, NULL), 0);
  CU_ASSERT(has(last.out, "capacity: 64 messages\nmax message: 8192 bytes\n"));
  CU_ASSERT_EQUAL(cli("create", "lock", qn, NULL), 1);
  snprintf(want, sizeof want, "pipc: create %s: %s\n", qn, pipc_strerror(PIPC_EEXIST));
  CU_ASSERT(same(last.err, want));
  CU_ASSERT_EQUAL(cli("create", "semaphore", mn, NULL), 1);
  snprintf(want, sizeof want, "pipc: create %s: %s\n", mn, pipc_strerror(PIPC_EEXIST));
  CU_ASSERT(same(last.err, want));
  CU_ASSERT_EQUAL(cli("rm", qn, sn, mn, ln, NULL), 0);
  if (q) pipc_queue_close(q);
  if (m) pipc_sem_close(m);
  if (l) pipc_lock_close(l);
  if (s) pipc_shm_close(s);
#endif
}

/* send NAME - takes the message from stdin, bytes as they are (binary,
   "\r\n", a ^Z, more than one read's worth), to a queue or a listener. */
void test_cli_send_from_stdin(void) {
  static const char bin[] = "\0\x01\xff line\r\nnext\n\x1a end";
  char name[80], pn[80], *big, *buf;
  pipc_queue *q = NULL;
  pipc_listener *li = NULL;
  pipc_pipe *p = NULL;
  const char *args[4];
  cli_proc c;
  cli_run r;
  size_t i, n = 200000, len = 0;
  memset(&r, 0, sizeof r);
  t_name(name, sizeof name, "sstdin");
  T_RC(pipc_queue_create(name, 4, n, &q), PIPC_OK);
  CU_ASSERT_FATAL(q != NULL);
  big = (char *)malloc(n);
  buf = (char *)malloc(n);
  CU_ASSERT_FATAL(big && buf);
  for (i = 0; i < n; i++) big[i] = (char)(i * 13 + i / 509);
  cli_stdin = bin;
  cli_stdin_len = sizeof bin - 1;
  CU_ASSERT_EQUAL(cli("send", name, "-", NULL), 0);
  CU_ASSERT_STRING_EQUAL(last.err, "");
  T_RC(pipc_queue_get(q, buf, n, &len, 0), PIPC_OK);
  CU_ASSERT(len == sizeof bin - 1 && memcmp(buf, bin, len) == 0);
  cli_stdin = big;
  cli_stdin_len = n;
  CU_ASSERT_EQUAL(cli("send", name, "-", NULL), 0);
  T_RC(pipc_queue_get(q, buf, n, &len, 0), PIPC_OK);
  CU_ASSERT(len == n && memcmp(buf, big, n) == 0);
  cli_stdin = "";
  cli_stdin_len = 0;
  CU_ASSERT_EQUAL(cli("send", name, "-", NULL), 0); /* empty stdin: an empty message */
  T_RC(pipc_queue_get(q, buf, n, &len, 0), PIPC_OK);
  CU_ASSERT_EQUAL(len, 0);
  /* more than the queue takes: said so with the limit, nothing put */
  cli_stdin = big;
  cli_stdin_len = n;
  big[n - 1] = 0;
  {
    char small[80], want[200];
    pipc_queue *sq = NULL;
    t_name(small, sizeof small, "sstdins");
    T_RC(pipc_queue_create(small, 4, n - 1, &sq), PIPC_OK);
    CU_ASSERT_EQUAL(cli("send", small, "-", NULL), 1);
    snprintf(want, sizeof want, "pipc: send %s: message too long: the queue takes at most %lu bytes\n",
             small, (unsigned long)(n - 1));
    CU_ASSERT_STRING_EQUAL(last.err, want);
    T_RC(pipc_queue_get(sq, buf, n, &len, 0), PIPC_EAGAIN);
    CU_ASSERT_EQUAL(cli("send", small, "short enough", NULL), 0); /* an argument: its strlen */
    pipc_queue_unlink(small);
    if (sq) pipc_queue_close(sq);
  }
  /* to a listener */
  t_name(pn, sizeof pn, "sstdinl");
  T_RC(pipc_listener_create(pn, &li), PIPC_OK);
  CU_ASSERT_FATAL(li != NULL);
  args[0] = "send";
  args[1] = pn;
  args[2] = "-";
  args[3] = NULL;
  cli_stdin = bin;
  cli_stdin_len = sizeof bin - 1;
  T_RC(cli_start(&c, args), PIPC_OK);
  T_RC(pipc_listener_accept(li, &p, 30000), PIPC_OK);
  if (p) {
    T_RC(pipc_pipe_recv(p, buf, n, &len, 30000), PIPC_OK);
    CU_ASSERT(len == sizeof bin - 1 && memcmp(buf, bin, len) == 0);
    pipc_pipe_close(p);
  }
  cli_finish(&c, 30000, &r);
  CU_ASSERT_EQUAL(r.code, 0);
  run_free(&r);
  pipc_listener_close(li);
  free(big);
  free(buf);
  pipc_queue_unlink(name);
  pipc_queue_close(q);
}

/* A name of the wrong kind is said so, exit 1, and left alone. */
void test_cli_wrong_kind_says_so(void) {
  char mn[80], pn[80], want[300];
  pipc_sem *m = NULL;
  pipc_listener *li = NULL;
  unsigned v = 9;
  t_name(mn, sizeof mn, "wksem");
  t_name(pn, sizeof pn, "wklis");
  T_RC(pipc_sem_create(mn, 1, 0, &m), PIPC_OK);
  T_RC(pipc_listener_create(pn, &li), PIPC_OK);
  CU_ASSERT_FATAL(m && li);
  CU_ASSERT_EQUAL(cli("send", mn, "x", NULL), 1);
  snprintf(want, sizeof want, "pipc: send: %s is a semaphore, not a queue or a listener\n", mn);
  CU_ASSERT(same(last.err, want));
  CU_ASSERT_EQUAL(cli("recv", mn, "-t", "0", NULL), 1);
  snprintf(want, sizeof want, "pipc: recv: %s is a semaphore, not a queue\n", mn);
  CU_ASSERT(same(last.err, want));
  CU_ASSERT_EQUAL(last.raw_len, 0);
  CU_ASSERT_EQUAL(cli("recv", pn, "-t", "0", NULL), 1);
  snprintf(want, sizeof want, "pipc: recv: %s is a listener, not a queue\n", pn);
  CU_ASSERT(same(last.err, want));
  T_RC(pipc_sem_value(m, &v), PIPC_OK); /* untouched */
  CU_ASSERT_EQUAL(v, 1);
  pipc_listener_close(li);
  pipc_sem_unlink(mn);
  pipc_sem_close(m);
}

/* pipc bench without pipc-bench says how to get it. */
void test_cli_bench_not_found_says_how(void) {
  char self[4096], probe[4300], *slash;
  FILE *f;
  CU_ASSERT_FATAL(cli_path() != NULL);
  snprintf(self, sizeof self, "%s", cli_path());
  slash = strrchr(self, '/');
  if (strrchr(self, '\\') > slash) slash = strrchr(self, '\\');
  CU_ASSERT_FATAL(slash != NULL);
  *slash = 0;
#ifdef _WIN32
  snprintf(probe, sizeof probe, "%s\\..\\bench\\pipc-bench.exe", self);
#else
  snprintf(probe, sizeof probe, "%s/../bench/pipc-bench", self);
#endif
  if ((f = fopen(probe, "rb")) != NULL) {
    fclose(f);
    T_SKIP("pipc-bench is built here (PIPC_BUILD_BENCH=ON): the not-found message cannot show");
  }
  CU_ASSERT_EQUAL(cli("bench", "--quick", NULL), 1);
  CU_ASSERT(has(last.err, "pipc: bench: pipc-bench not found beside pipc"));
  CU_ASSERT(has(last.err, "-DPIPC_BUILD_BENCH=ON") && has(last.err, "--target pipc-bench"));
  CU_ASSERT(has(last.err, "install component bench"));
  CU_ASSERT_STRING_EQUAL(last.out, "");
}

/* pipc serve: a queue served at an ipc:// socket, used through its URL by
   pipc send / recv; SIGTERM ends it with exit 0; TLS without its files
   and tcp without --plain are usage errors; a second server on the same
   --state file is refused, saying why. */
/* Stop a `pipc serve` started by cli_start: its stop request (SIGTERM,
   Windows Ctrl-Break), exit 0 asserted; where no control event reaches a
   child (Wine: PIPC_ENOTSUP, returned) it is killed instead. */
#define NO_STOP_REQUEST                                                              \
  "the stop request (Ctrl-Break) could not be sent: no console control event "       \
  "reaches a child here (Wine); the rest of the case ran"
static int serve_stop(cli_proc *c, cli_run *r) {
  int rc = pipc_process_terminate(c->p);
  if (rc == PIPC_ENOTSUP)
    pipc_process_kill(c->p);
  else
    T_RC(rc, PIPC_OK);
  cli_finish(c, 30000, r);
  if (rc != PIPC_ENOTSUP) CU_ASSERT_EQUAL(r->code, 0);
  return rc;
}

void test_cli_serve_and_remote_names(void) {
  char name[80], url[200], qurl[300], want[400], buf[16], state[100];
  pipc_queue *q = NULL;
  cli_proc c;
  cli_run r;
  const char *args[8];
  size_t len = 0;
  int rc;
  if (pipc_remote_support() != NULL) {
    CU_ASSERT_EQUAL(cli("serve", "ipc:///tmp/x.sock", "--queue", "q", NULL), 1);
    CU_ASSERT(has(last.err, "nng"));
    T_SKIP("built without nng: remote names are PIPC_ENOTSUP here");
  }
  memset(&r, 0, sizeof r);
  t_name(name, sizeof name, "clisv");
  t_os_ipc_url(url, sizeof url, name);
  snprintf(qurl, sizeof qurl, "%s/%s", url, name);
  CU_ASSERT_EQUAL(cli("serve", url, "--queue", name, NULL), 1); /* no such queue */
  snprintf(want, sizeof want, "pipc: serve: no queue named %s\n", name);
  CU_ASSERT_STRING_EQUAL(last.err, want);
  T_RC(pipc_queue_create(name, 8, 32, &q), PIPC_OK);
  CU_ASSERT_FATAL(q != NULL);
  CU_ASSERT_EQUAL(cli("serve", "tcp://127.0.0.1:0", "--queue", name, NULL), 2);
  CU_ASSERT(has(last.err, "--plain"));
  CU_ASSERT_EQUAL(cli("serve", "tls+tcp://127.0.0.1:0", "--queue", name, NULL), 2);
  CU_ASSERT(has(last.err, "--cert"));
  CU_ASSERT_EQUAL(cli("serve", url, NULL), 2);               /* no queue */
  CU_ASSERT_EQUAL(cli("serve", url, "--queue", "bad name", NULL), 2);
  snprintf(state, sizeof state, "%s.state", name);
  args[0] = "serve", args[1] = url, args[2] = "--queue", args[3] = name, args[4] = "--state",
  args[5] = state, args[6] = NULL;
  cli_new_group = 1; /* Windows: Ctrl-Break reaches it */
  T_RC(cli_start(&c, args), PIPC_OK);
  CU_ASSERT_EQUAL(cli("send", qurl, "over the net", NULL), 0); /* waits for the server */
  snprintf(want, sizeof want, "%s-2", url); /* a second server on its state file */
  CU_ASSERT_EQUAL(cli("serve", want, "--queue", name, "--state", state, NULL), 1);
  snprintf(want, sizeof want, "pipc: serve: %s is in use by another running server\n", state);
  CU_ASSERT_STRING_EQUAL(last.err, want);
  CU_ASSERT_EQUAL(cli("serve", url, "--queue", name, "--state", "", NULL), 2);
  T_RC(pipc_queue_get(q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 12 && memcmp(buf, "over the net", 12) == 0);
  T_RC(pipc_queue_put(q, "back", 4, 0), PIPC_OK);
  CU_ASSERT_EQUAL(cli("recv", qurl, "-t", "5000", NULL), 0);
  CU_ASSERT(last.raw_len == 4 && memcmp(last.raw, "back", 4) == 0);
  CU_ASSERT_EQUAL(cli("recv", qurl, "-t", "0", NULL), 1); /* empty */
  snprintf(want, sizeof want, "pipc: recv %s: %s\n", qurl, pipc_strerror(PIPC_EAGAIN));
  CU_ASSERT_STRING_EQUAL(last.err, want);
  snprintf(want, sizeof want, "%s/other", url);
  CU_ASSERT_EQUAL(cli("send", want, "x", NULL), 1); /* not served */
  rc = serve_stop(&c, &r);
  snprintf(want, sizeof want, "serving %s\n", url);
  CU_ASSERT_STRING_EQUAL(r.out, want);
  run_free(&r);
  pipc_queue_close(q);
  pipc_queue_unlink(name);
  remove(state);
  if (rc == PIPC_ENOTSUP)
    t_skip(NO_STOP_REQUEST);
}

/* pipc serve --listener NAME: a remote pipc_pipe_connect(URL/NAME) is
   relayed to this user's listener NAME, accepted here as a local
   connection; a name that is not a listener is refused, saying what it is. */
void test_cli_serve_listener(void) {
  char name[80], lname[80], url[200], purl[300], buf[16];
  pipc_queue *q = NULL;
  pipc_listener *l = NULL;
  pipc_pipe *r = NULL, *local = NULL;
  cli_proc c;
  cli_run run;
  const char *args[8];
  size_t len = 0;
  int rc;
  if (pipc_remote_support() != NULL) T_SKIP("built without nng: remote names are PIPC_ENOTSUP here");
  memset(&run, 0, sizeof run);
  t_name(name, sizeof name, "clisl");
  t_name(lname, sizeof lname, "clisll");
  t_os_ipc_url(url, sizeof url, name);
  snprintf(purl, sizeof purl, "%s/%s", url, lname);
  T_RC(pipc_queue_create(name, 8, 32, &q), PIPC_OK);
  CU_ASSERT_EQUAL(cli("serve", url, "--listener", name, NULL), 1); /* a queue */
  CU_ASSERT(has(last.err, "a listener"));
  T_RC(pipc_listener_create(lname, &l), PIPC_OK);
  CU_ASSERT_FATAL(l != NULL);
  CU_ASSERT_EQUAL(cli("serve", url, "--queue", lname, NULL), 1); /* a listener */
  CU_ASSERT(has(last.err, "a queue"));
  CU_ASSERT_EQUAL(cli("serve", url, "--listener", "bad name", NULL), 2);
  args[0] = "serve", args[1] = url, args[2] = "--listener", args[3] = lname, args[4] = NULL;
  cli_new_group = 1; /* Windows: Ctrl-Break reaches it */
  T_RC(cli_start(&c, args), PIPC_OK);
  T_RC(pipc_pipe_connect(purl, &r, 10000), PIPC_OK);
  T_RC(pipc_listener_accept(l, &local, 10000), PIPC_OK);
  CU_ASSERT_FATAL(r != NULL && local != NULL);
  T_RC(pipc_pipe_send(r, "ask", 3, 5000), PIPC_OK);
  T_RC(pipc_pipe_recv(local, buf, sizeof buf, &len, 5000), PIPC_OK);
  CU_ASSERT(len == 3 && memcmp(buf, "ask", 3) == 0);
  T_RC(pipc_pipe_send(local, "answer", 6, 5000), PIPC_OK);
  T_RC(pipc_pipe_recv(r, buf, sizeof buf, &len, 5000), PIPC_OK);
  CU_ASSERT(len == 6 && memcmp(buf, "answer", 6) == 0);
  pipc_pipe_close(r);
  T_RC(pipc_pipe_recv(local, buf, sizeof buf, &len, 5000), PIPC_ECLOSED);
  pipc_pipe_close(local);
  rc = serve_stop(&c, &run);
  run_free(&run);
  pipc_listener_close(l);
  pipc_queue_close(q);
  pipc_queue_unlink(name);
  if (rc == PIPC_ENOTSUP)
    t_skip(NO_STOP_REQUEST);
}

/* A thread that ends holding a durable peek leaves an orphan: info counts
   it, recv --adopt takes it (the bytes, then exit 0), and with none left
   recv --adopt takes nothing else (exit 1, the queue's next message
   stays). */
static pipc_queue *adopt_q;
static void durable_peek_then_end(void *arg) {
  const void *msg;
  size_t len;
  *(int *)arg = pipc_queue_peek_ex(adopt_q, PIPC_PEEK_DURABLE, &msg, &len, 0);
}

void test_cli_recv_adopt_takes_an_orphan(void) {
  char name[80], want[200], buf[16];
  size_t len;
  int rc = -1;
  t_name(name, sizeof name, "adopt");
  T_RC(pipc_queue_create(name, 4, 32, &adopt_q), PIPC_OK);
  CU_ASSERT_FATAL(adopt_q != NULL);
  T_RC(pipc_queue_put(adopt_q, "orphaned", 8, 0), PIPC_OK);
  T_RC(pipc_queue_put(adopt_q, "next", 4, 0), PIPC_OK);
  t_thread_join(t_thread_start(durable_peek_then_end, &rc));
  T_RC(rc, PIPC_OK);
  CU_ASSERT_EQUAL(cli("info", name, NULL), 0);
  CU_ASSERT(has(last.out, "orphans: 1 (pipc recv --adopt NAME takes one)\n"));
  CU_ASSERT_EQUAL(cli("info", name, "--json", NULL), 0);
  CU_ASSERT(has(last.out, "\"orphans\": 1}"));
  CU_ASSERT_EQUAL(cli("recv", "--adopt", name, NULL), 0);
  CU_ASSERT(last.raw_len == 8 && memcmp(last.raw, "orphaned", 8) == 0);
  CU_ASSERT_EQUAL(cli("info", name, NULL), 0);
  CU_ASSERT(has(last.out, "depth: 1\n") && has(last.out, "orphans: 0\n"));
  CU_ASSERT_EQUAL(cli("recv", "--adopt", name, NULL), 1);
  snprintf(want, sizeof want, "pipc: recv %s: %s\n", name, pipc_strerror(PIPC_EAGAIN));
  CU_ASSERT_STRING_EQUAL(last.err, want);
  CU_ASSERT_EQUAL(last.raw_len, 0);
  CU_ASSERT_EQUAL(cli("recv", "--adopt", NULL), 2);
  CU_ASSERT_EQUAL(cli("recv", "--adopt", name, "-t", "5", NULL), 2);
  T_RC(pipc_queue_get(adopt_q, buf, sizeof buf, &len, 0), PIPC_OK);
  CU_ASSERT(len == 4 && memcmp(buf, "next", 4) == 0);
  pipc_queue_unlink(name);
  pipc_queue_close(adopt_q);
}
