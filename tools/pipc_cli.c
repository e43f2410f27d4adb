/* pipc_cli.c - the `pipc` command: look at, use and clean up pipc objects.
 *
 *   pipc ls                      this user's pipc objects (Linux, Windows)
 *   pipc info NAME               what NAME is; a queue's capacity, depth, ...
 *   pipc rm NAME...              remove names (shm, queue, sem, lock)
 *   pipc send NAME MESSAGE       put one message on a queue, or send it to
 *                                the listener at NAME
 *   pipc recv NAME [-t MS]       take one message from a queue, or listen at
 *                                NAME for one connection and one message;
 *                                the message goes to stdout as it is
 *   pipc path NAME               the OS objects NAME maps to
 *   pipc bench [ARGS]            the benchmark table (pipc-bench)
 *   pipc VERB --help             help for one verb
 *
 * Exit codes: 0 done, 1 the operation failed (the pipc error is printed),
 * 2 bad usage.
 *
 * Only the public API: what a name is, which names exist and what the OS
 * calls them are the library's to know (pipc_kind_of, pipc_list,
 * pipc_path), so a change of a backend's naming cannot break the tool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipc.h"

static const char *prog = "pipc";

static int fail(const char *what, const char *name, int rc) {
  fprintf(stderr, "%s: %s%s%s: %s\n", prog, what, name ? " " : "", name ? name : "",
          pipc_strerror(rc));
  return 1;
}

static int usage(const char *verb_help) {
  fputs(verb_help, stderr);
  return 2;
}

/* VERB --help: the verb's help on stdout, exit 0. */
static int help(const char *verb_help) {
  fputs(verb_help, stdout);
  return 0;
}

static const char *help_all =
    "usage: pipc VERB [ARGS]\n"
    "  ls                     this user's pipc objects (Linux, Windows)\n"
    "  info NAME              what NAME is; a queue's capacity, depth, max message, state\n"
    "  rm NAME...             remove names (shm, queue, semaphore, lock)\n"
    "  send NAME MESSAGE      put MESSAGE on the queue NAME, or send it to the listener NAME\n"
    "  recv NAME [-t MS]      take one message from the queue NAME, or listen at NAME for\n"
    "                         one connection and one message; it is written to stdout\n"
    "  path NAME              the OS objects NAME maps to\n"
    "  bench [ARGS]           the benchmark table (runs pipc-bench, ARGS passed on)\n"
    "  VERB --help            help for one verb\n"
    "exit codes: 0 done, 1 the operation failed, 2 bad usage\n";

static int wants_help(int argc, char **argv) {
  int i;
  for (i = 2; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
  return 0;
}

/* ---- what a name is ---- */

/* One line (pipc ls) or the lines of pipc info about the segment `name` of
   kind k: its kind and numbers. */
static void describe(const char *name, pipc_kind k, int line) {
  if (line) printf("%-10s %-40s", pipc_kind_name(k), name);
  else printf("name: %s\nkind: %s\n", name, pipc_kind_name(k));
  if (k == PIPC_KIND_QUEUE) {
    pipc_queue *q;
    pipc_queue_stat_t st;
    int rc = pipc_queue_open(name, &q);
    if (rc != PIPC_OK) printf(line ? " cannot open: %s" : "cannot open: %s\n", pipc_strerror(rc));
    else {
      pipc_queue_stat(q, &st); /* cannot fail on an open queue */
      if (line)
        printf(" depth %zu/%zu, max %zu B%s%s", st.depth, st.capacity, st.max_msg_size,
               st.closed ? ", shut down" : "", st.poisoned ? ", POISONED" : "");
      else
        printf("capacity: %zu messages\nmax message: %zu bytes\ndepth: %zu\n"
               "shut down: %s\npoisoned: %s\n",
               st.capacity, st.max_msg_size, st.depth, st.closed ? "yes" : "no",
               st.poisoned ? "yes (every call returns PIPC_ECORRUPT; pipc rm it)" : "no");
      pipc_queue_close(q);
    }
  } else if (k == PIPC_KIND_SEMAPHORE) {
    pipc_sem *s;
    unsigned v;
    if (pipc_sem_open(name, &s) == PIPC_OK) {
      if (pipc_sem_value(s, &v) == PIPC_OK) printf(line ? " value %u" : "value: %u\n", v);
      pipc_sem_close(s);
    }
  } else if (k == PIPC_KIND_SHM) {
    pipc_shm *m;
    if (pipc_shm_open(name, &m) == PIPC_OK) {
      printf(line ? " %zu bytes" : "size: %zu bytes\n", pipc_shm_size(m));
      pipc_shm_close(m);
    }
  }
  if (line) printf("\n");
}

/* ---- verbs ---- */

static const char *help_info =
    "usage: pipc info NAME\n"
    "  what NAME is (queue, semaphore, lock, shm); for a queue its capacity,\n"
    "  depth, max message size and state, for a semaphore its value, for shm\n"
    "  its size.  A listener's name: see pipc path.\n";

static int cmd_info(int argc, char **argv) {
  pipc_kind k;
  int rc;
  if (wants_help(argc, argv)) return help(help_info);
  if (argc != 3) return usage(help_info);
  if (pipc_name_check(argv[2]) != PIPC_OK) return fail("bad name", argv[2], PIPC_EINVAL);
  rc = pipc_kind_of(argv[2], &k);
  /* info describes segments; a listener's name: see pipc path */
  if (rc == PIPC_OK && k == PIPC_KIND_LISTENER) rc = PIPC_ENOENT;
  if (rc != PIPC_OK) return fail("info", argv[2], rc);
  describe(argv[2], k, 0);
  return 0;
}

static const char *help_rm =
    "usage: pipc rm NAME...\n"
    "  removes each name (shm, queue, semaphore or lock); processes that have\n"
    "  it open keep using it.  On POSIX a name outlives a killed process: this\n"
    "  is how to clean it.  A listener's stale socket needs no cleaning: the\n"
    "  next listener on the name reclaims it.\n";

static int cmd_rm(int argc, char **argv) {
  int i, status = 0;
  if (wants_help(argc, argv)) return help(help_rm);
  if (argc < 3) return usage(help_rm);
  for (i = 2; i < argc; i++) {
    int rc = pipc_name_check(argv[i]) != PIPC_OK ? PIPC_EINVAL : pipc_shm_unlink(argv[i]);
    if (rc != PIPC_OK) status = fail("rm", argv[i], rc);
  }
  return status;
}

static const char *help_send =
    "usage: pipc send NAME MESSAGE [-t MS]\n"
    "  puts MESSAGE (its bytes, no newline) on the queue NAME, or, if NAME is\n"
    "  a listener, connects and sends it as one message.  -t: how long to wait\n"
    "  for room or for the listener (default 5000 ms; -1 forever).\n";

static int timeout_arg(int argc, char **argv, int from, int *t) {
  int i;
  for (i = from; i < argc; i++) {
    if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
      char *end;
      long v = strtol(argv[i + 1], &end, 10);
      if (*end || v < -1 || v > 0x7fffffff) return -1;
      *t = (int)v;
      i++;
    } else {
      return -1;
    }
  }
  return 0;
}

static int cmd_send(int argc, char **argv) {
  pipc_queue *q;
  pipc_pipe *p;
  int t = 5000, rc;
  size_t len;
  if (wants_help(argc, argv)) return help(help_send);
  if (argc < 4 || timeout_arg(argc, argv, 4, &t)) return usage(help_send);
  if (pipc_name_check(argv[2]) != PIPC_OK) return fail("bad name", argv[2], PIPC_EINVAL);
  len = strlen(argv[3]);
  rc = pipc_queue_open(argv[2], &q);
  if (rc == PIPC_OK) {
    rc = pipc_queue_put(q, argv[3], len, t);
    pipc_queue_close(q);
    return rc == PIPC_OK ? 0 : fail("send", argv[2], rc);
  }
  if (rc != PIPC_ENOENT) return fail("send", argv[2], rc);
  rc = pipc_pipe_connect(argv[2], &p, t);
  if (rc != PIPC_OK) return fail("send: no queue or listener named", argv[2], rc);
  rc = pipc_pipe_send(p, argv[3], len, t);
  pipc_pipe_close(p);
  return rc == PIPC_OK ? 0 : fail("send", argv[2], rc);
}

static const char *help_recv =
    "usage: pipc recv NAME [-t MS]\n"
    "  takes one message from the queue NAME, or, if no queue has the name,\n"
    "  listens at NAME for one connection and receives one message.  The bytes\n"
    "  go to stdout as they are.  -t: how long to wait (default -1, forever).\n";

/* Make buf[cap] hold `need` bytes: PIPC_EMSGSIZE again (retry), or
   PIPC_ENOMEM. */
static int grow(char **buf, size_t *cap, size_t need) {
  char *bigger = (char *)realloc(*buf, need ? need : 1);
  if (bigger == NULL) return PIPC_ENOMEM;
  *buf = bigger;
  *cap = need;
  return PIPC_EMSGSIZE;
}

static int cmd_recv(int argc, char **argv) {
  pipc_queue *q;
  pipc_listener *l;
  pipc_pipe *p;
  int t = PIPC_FOREVER, rc;
  size_t cap = 1 << 16, len = 0;
  char *buf;
  if (wants_help(argc, argv)) return help(help_recv);
  if (argc < 3 || timeout_arg(argc, argv, 3, &t)) return usage(help_recv);
  if (pipc_name_check(argv[2]) != PIPC_OK) return fail("bad name", argv[2], PIPC_EINVAL);
  pipc_stdout_binary(); /* the bytes as they are: no "\r\n" for "\n" */
  if ((buf = (char *)malloc(cap)) == NULL) return fail("recv", argv[2], PIPC_ENOMEM);
  rc = pipc_queue_open(argv[2], &q);
  if (rc == PIPC_OK) {
    while ((rc = pipc_queue_get(q, buf, cap, &len, t)) == PIPC_EMSGSIZE &&
           (rc = grow(&buf, &cap, len)) == PIPC_EMSGSIZE) {
    }
    pipc_queue_close(q);
  } else if (rc == PIPC_ENOENT) {
    if ((rc = pipc_listener_create(argv[2], &l)) == PIPC_OK) {
      if ((rc = pipc_listener_accept(l, &p, t)) == PIPC_OK) {
        while ((rc = pipc_pipe_recv(p, buf, cap, &len, t)) == PIPC_EMSGSIZE &&
               (rc = grow(&buf, &cap, len)) == PIPC_EMSGSIZE) {
        }
        pipc_pipe_close(p);
      }
      pipc_listener_close(l);
    }
  }
  if (rc == PIPC_OK) fwrite(buf, 1, len, stdout);
  free(buf);
  return rc == PIPC_OK ? 0 : fail("recv", argv[2], rc);
}

static const char *help_path =
    "usage: pipc path NAME\n"
    "  the OS objects NAME maps to: its shared memory (queues, semaphores,\n"
    "  locks and shm) and its pipe.  Python's SharedMemory(name=\"pipc.NAME\")\n"
    "  and multiprocessing.connection Client(PATH) reach them.\n"
    "  POSIX: a user's sockets are in /tmp/pipc-UID for every process of\n"
    "  that user, whatever XDG_RUNTIME_DIR says (a listener shared with a\n"
    "  group: /tmp/pipc-gGID, with all users: /tmp/pipc-all, or the\n"
    "  directory its creator named).\n";

static int cmd_path(int argc, char **argv) {
  char shm[PIPC_PATH_MAX], file[PIPC_PATH_MAX], pipe[PIPC_PATH_MAX];
  int rc;
  if (wants_help(argc, argv)) return help(help_path);
  if (argc != 3) return usage(help_path);
  if (pipc_name_check(argv[2]) != PIPC_OK) return fail("bad name", argv[2], PIPC_EINVAL);
  if ((rc = pipc_path(argv[2], PIPC_PATH_SHM, shm, sizeof shm)) != PIPC_OK ||
      (rc = pipc_path(argv[2], PIPC_PATH_PIPE, pipe, sizeof pipe)) != PIPC_OK)
    return fail("path", argv[2], rc);
  /* the file of the shared memory, where it is one (Linux) */
  if (pipc_path(argv[2], PIPC_PATH_SHM_FILE, file, sizeof file) == PIPC_OK)
    printf("shm: %s (shm_open; on Linux %s)\n", shm, file);
  else
    printf("shm: %s\n", shm);
  printf("pipe: %s\n", pipe);
  return 0;
}

static const char *help_ls =
    "usage: pipc ls\n"
    "  this user's pipc objects: kind, name, and a queue's depth, a\n"
    "  semaphore's value, a segment's size; listeners, live or stale.\n"
    "  Linux reads /dev/shm and the socket directory; Windows lists this\n"
    "  session's Local\\pipc.* objects and \\\\.\\pipe\\pipc.* (a listener is\n"
    "  live while it exists: Windows removes it with its process).\n";

/* pipc_list's callback: one line per object, as pipc ls prints them. */
static int ls_line(void *arg, const pipc_entry_t *e) {
  int *n = (int *)arg;
  if (e->kind != PIPC_KIND_LISTENER) describe(e->name, e->kind, 1);
  else
    printf("%-10s %-40s %s\n", "listener", e->name,
           e->state == PIPC_STATE_STALE     ? "stale"
           : e->state == PIPC_STATE_FOREIGN ? "live, not this session's (or not pipc's)"
                                            : "live");
  (*n)++;
  return 0;
}

static int cmd_ls(int argc, char **argv) {
  int n = 0, rc;
  if (wants_help(argc, argv)) return help(help_ls);
  if (argc != 2) return usage(help_ls);
  rc = pipc_list(ls_line, &n);
  if (rc == PIPC_ENOTSUP) {
    fprintf(stderr, "%s: ls: listing names needs Linux's /dev/shm or Windows; use pipc info NAME\n",
            prog);
    return 1;
  }
  if (rc == PIPC_ESYS) { /* the OS's own code says more (an NTSTATUS on Windows) */
    fprintf(stderr, "%s: ls: %s (OS error 0x%08lx)\n", prog, pipc_strerror(rc),
            (unsigned long)(unsigned)pipc_last_os_error());
    return 1;
  }
  if (rc != PIPC_OK) return fail("ls", NULL, rc);
  if (n == 0) printf("(no pipc objects)\n");
  return 0;
}

static const char *help_bench =
    "usage: pipc bench [--quick] [--json FILE]\n"
    "  runs pipc-bench (installed beside pipc, or in ../bench of a build tree):\n"
    "  pipc and its peers between two processes, in one run, with ratios.\n";

/* "pipc-bench" beside this program, or in ../bench of a build tree, with
   this program's own suffix (".exe" on Windows). */
static int cmd_bench(int argc, char **argv) {
  char self[4096], exe[4200], *slash, *back;
  const char *args[16];
  const char *where[] = {"/pipc-bench", "/../bench/pipc-bench"};
  const char *suffix = "";
  pipc_process *p;
  size_t len;
  int i, n = 0, code = 1, rc = PIPC_ENOENT;
  if (wants_help(argc, argv)) return help(help_bench);
  if (argc > 14) return usage(help_bench);
  if (pipc_self_exe(self, sizeof self) != PIPC_OK) return fail("bench", NULL, PIPC_ESYS);
  len = strlen(self);
  if (len > 4 && (strcmp(self + len - 4, ".exe") == 0 || strcmp(self + len - 4, ".EXE") == 0))
    suffix = self + len - 4;
  slash = strrchr(self, '/');
  back = strrchr(self, '\\'); /* Windows paths use either */
  if (back > slash) slash = back;
  if (!slash) return fail("bench", NULL, PIPC_ENOENT);
  *slash = 0;
  for (i = 0; i < 2 && rc == PIPC_ENOENT; i++) {
    snprintf(exe, sizeof exe, "%s%s%s", self, where[i], suffix);
    n = 0;
    args[n++] = exe;
    while (n < argc - 1) {
      args[n] = argv[n + 1];
      n++;
    }
    args[n] = NULL;
    rc = pipc_process_spawn(args, &p);
  }
  if (rc != PIPC_OK) return fail("bench: pipc-bench not found beside pipc", NULL, rc);
  pipc_process_wait(p, PIPC_FOREVER, &code);
  pipc_process_free(p);
  return code;
}

int main(int argc, char **argv) {
  static const struct {
    const char *verb;
    int (*fn)(int, char **);
  } verbs[] = {{"ls", cmd_ls},     {"info", cmd_info}, {"rm", cmd_rm},     {"send", cmd_send},
               {"recv", cmd_recv}, {"path", cmd_path}, {"bench", cmd_bench}};
  size_t i;
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    fputs(help_all, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (strcmp(argv[1], verbs[i].verb) == 0) return verbs[i].fn(argc, argv);
  fprintf(stderr, "%s: no verb '%s'\n%s", prog, argv[1], help_all);
  return 2;
}
