#define _GNU_SOURCE
/* pipc.c - the `pipc` command: look at, use and clean up pipc objects.
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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipc.h"
#include "pipc_core.h" /* the typed-segment header, to tell kinds apart */

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <fcntl.h>
#include <io.h>
#include <wchar.h>
#else
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

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

enum kind { K_NONE, K_QUEUE, K_SEM, K_LOCK, K_SHM };
static const char *kind_name[] = {"none", "queue", "semaphore", "lock", "shm"};

/* What NAME is, read from its header: Semaphore, Lock and Queue segments
   start with pipc's typed-segment header (src/pipc_internal.h); anything
   else is plain shared memory. */
static enum kind identify(const char *name, int *err) {
  pipc_shm *m;
  pipc__seg_hdr h;
  int rc = pipc_shm_open(name, &m);
  *err = rc;
  if (rc != PIPC_OK) return K_NONE;
  memset(&h, 0, sizeof h);
  if (pipc_shm_size(m) >= sizeof h) memcpy(&h, pipc_shm_addr(m), sizeof h);
  pipc_shm_close(m);
  if (h.magic != PIPC__SEG_MAGIC) return K_SHM;
  switch (h.kind) {
  case PIPC__KIND_QUEUE: return K_QUEUE;
  case PIPC__KIND_SEM: return K_SEM;
  case PIPC__KIND_LOCK: return K_LOCK;
  default: return K_SHM;
  }
}

static int describe(const char *name, int line) {
  int err;
  enum kind k = identify(name, &err);
  if (k == K_NONE) return err;
  if (line) printf("%-10s %-40s", kind_name[k], name);
  else printf("name: %s\nkind: %s\n", name, kind_name[k]);
  if (k == K_QUEUE) {
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
  } else if (k == K_SEM) {
    pipc_sem *s;
    unsigned v;
    if (pipc_sem_open(name, &s) == PIPC_OK) {
      if (pipc_sem_value(s, &v) == PIPC_OK) printf(line ? " value %u" : "value: %u\n", v);
      pipc_sem_close(s);
    }
  } else if (k == K_SHM) {
    pipc_shm *m;
    if (pipc_shm_open(name, &m) == PIPC_OK) {
      printf(line ? " %zu bytes" : "size: %zu bytes\n", pipc_shm_size(m));
      pipc_shm_close(m);
    }
  }
  if (line) printf("\n");
  return PIPC_OK;
}

/* ---- verbs ---- */

static const char *help_info =
    "usage: pipc info NAME\n"
    "  what NAME is (queue, semaphore, lock, shm); for a queue its capacity,\n"
    "  depth, max message size and state, for a semaphore its value, for shm\n"
    "  its size.  A listener's name: see pipc path.\n";

static int cmd_info(int argc, char **argv) {
  int rc;
  if (wants_help(argc, argv)) return help(help_info);
  if (argc != 3) return usage(help_info);
  if (pipc_name_check(argv[2]) != PIPC_OK) return fail("bad name", argv[2], PIPC_EINVAL);
  rc = describe(argv[2], 0);
  return rc == PIPC_OK ? 0 : fail("info", argv[2], rc);
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
#ifdef _WIN32
  _setmode(_fileno(stdout), _O_BINARY);
#endif
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
    "  and multiprocessing.connection Client(PATH) reach them.\n";

static int cmd_path(int argc, char **argv) {
  char pipe_path[512];
  int rc;
  if (wants_help(argc, argv)) return help(help_path);
  if (argc != 3) return usage(help_path);
  if (pipc_name_check(argv[2]) != PIPC_OK) return fail("bad name", argv[2], PIPC_EINVAL);
#ifdef _WIN32
  printf("shm: Local\\pipc.%s\n", argv[2]);
#else
  printf("shm: /pipc.%s (shm_open; on Linux /dev/shm/pipc.%s)\n", argv[2], argv[2]);
#endif
  if ((rc = pipc_pipe_path(argv[2], pipe_path, sizeof pipe_path)) != PIPC_OK)
    return fail("path", argv[2], rc);
  printf("pipe: %s\n", pipe_path);
  return 0;
}

#if defined(__linux__)
/* Does /proc/locks show a FLOCK on this file? */
static int flock_held(const struct stat *st) {
  FILE *f = fopen("/proc/locks", "r");
  char line[256];
  int held = 0;
  if (f == NULL) return 0;
  while (!held && fgets(line, sizeof line, f)) {
    unsigned long ino = 0;
    char *p = strstr(line, "FLOCK");
    char *dev = p ? strchr(p, ':') : NULL;
    /* "... FLOCK ADVISORY WRITE PID MAJ:MIN:INODE START END" */
    if (dev && (dev = strchr(dev + 1, ':')) && sscanf(dev + 1, "%lu", &ino) == 1 &&
        ino == (unsigned long)st->st_ino)
      held = 1;
  }
  fclose(f);
  return held;
}
#endif

static const char *help_ls =
    "usage: pipc ls\n"
    "  this user's pipc objects: kind, name, and a queue's depth, a\n"
    "  semaphore's value, a segment's size; listeners, live or stale.\n"
    "  Linux reads /dev/shm and the socket directory; Windows lists this\n"
    "  session's Local\\pipc.* objects and \\\\.\\pipe\\pipc.* (a listener is\n"
    "  live while it exists: Windows removes it with its process).\n";

#if defined(_WIN32)
/* ---- ls on Windows ----
   Local\pipc.NAME is \Sessions\<id>\BaseNamedObjects\pipc.NAME (plain
   \BaseNamedObjects in session 0).  ntdll lists that object directory; its
   two calls are declared here (winternl.h lacks them in some SDKs) and
   looked up at run time, so MinGW and MSVC build this alike.  A pipc name
   shows there as the Section "pipc.NAME" (a segment: shm, queue, semaphore
   or lock, told apart by describe) and, for a listener, the Mutant
   "pipc.NAME:listener" its process holds; the other kernel objects beside
   a segment (":mutexN", ":parkN") add nothing.  Pipes are machine-wide:
   \\.\pipe\pipc.NAME without a listener mutex in this session belongs to
   another session or to a program that is not pipc. */
typedef struct ls_ustr {
  USHORT len, max; /* bytes */
  WCHAR *buf;
} ls_ustr;
typedef struct ls_oattr {
  ULONG size;
  HANDLE root;
  ls_ustr *name;
  ULONG attrs;
  void *sd, *sqos;
} ls_oattr;
typedef struct ls_dirent {
  ls_ustr name, type;
} ls_dirent;
typedef LONG(NTAPI *ls_open_fn)(HANDLE *, ACCESS_MASK, ls_oattr *);
typedef LONG(NTAPI *ls_query_fn)(HANDLE, void *, ULONG, BOOLEAN, BOOLEAN, ULONG *, ULONG *);
#define LS_DIRECTORY_QUERY 0x0001
#define LS_OBJ_CASE_INSENSITIVE 0x00000040
#define LS_NO_MORE_ENTRIES ((LONG)0x8000001AL)
#define LS_NOT_FOUND ((LONG)0xC0000034L) /* STATUS_OBJECT_NAME_NOT_FOUND */

typedef struct ls_obj {
  char name[PIPC_NAME_MAX + 1];
  int segment, listener, pipe; /* what was seen under the name */
} ls_obj;
typedef struct ls_set {
  ls_obj *v;
  size_t n, cap;
} ls_set;

/* The entry for `name` (added if new), or NULL if out of memory. */
static ls_obj *ls_get(ls_set *s, const char *name) {
  size_t i;
  for (i = 0; i < s->n; i++)
    if (strcmp(s->v[i].name, name) == 0) return &s->v[i];
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 32;
    ls_obj *v = (ls_obj *)realloc(s->v, cap * sizeof *v);
    if (v == NULL) return NULL;
    s->v = v;
    s->cap = cap;
  }
  memset(&s->v[s->n], 0, sizeof s->v[s->n]);
  strcpy(s->v[s->n].name, name);
  return &s->v[s->n++];
}

/* "pipc.NAME" + suffix as UTF-16 of `len` characters: NAME into out and
   the suffix (after NAME, from ':') into *suffix; 0 if not a pipc name. */
static int ls_pipc_name(const WCHAR *w, size_t len, char *out, const WCHAR **suffix) {
  static const WCHAR prefix[] = L"pipc.";
  size_t i, n = 0;
  if (len <= 5 || wcsncmp(w, prefix, 5) != 0) return 0;
  for (i = 5; i < len && w[i] != L':'; i++) {
    if (w[i] > 127 || n == PIPC_NAME_MAX) return 0;
    out[n++] = (char)w[i];
  }
  out[n] = 0;
  *suffix = w + i;
  return pipc_name_check(out) == PIPC_OK;
}

static int ls_suffix_is(const WCHAR *suffix, const WCHAR *end, const WCHAR *want) {
  size_t n = wcslen(want);
  return (size_t)(end - suffix) == n && wcsncmp(suffix, want, n) == 0;
}

static int ls_type_is(const ls_ustr *t, const WCHAR *want) {
  size_t n = wcslen(want);
  return t->len / sizeof(WCHAR) == n && wcsncmp(t->buf, want, n) == 0;
}

/* This session's named objects into s: 0; 1 after saying why not; 2
   (only when !last_try) if the directory changed while it was read. */
static int ls_named_objects(ls_set *s, int last_try) {
  HMODULE nt = GetModuleHandleW(L"ntdll.dll");
  ls_open_fn open_dir =
      nt ? (ls_open_fn)(void (*)(void))GetProcAddress(nt, "NtOpenDirectoryObject") : NULL;
  ls_query_fn query_dir =
      nt ? (ls_query_fn)(void (*)(void))GetProcAddress(nt, "NtQueryDirectoryObject") : NULL;
  WCHAR path[64];
  ls_ustr us;
  ls_oattr oa;
  HANDLE dir = NULL;
  DWORD session = 0;
  ULONG ctx = 0, got = 0, cap = 1 << 17; /* room for the longest names */
  ls_dirent *e;
  LONG st;
  BOOLEAN first = TRUE;
  int oom = 0;
  if (open_dir == NULL || query_dir == NULL) {
    fprintf(stderr, "%s: ls: ntdll has no NtOpenDirectoryObject / NtQueryDirectoryObject: "
                    "cannot list shm, queues, semaphores, locks; pipc info NAME works\n", prog);
    return 1;
  }
  if (!ProcessIdToSessionId(GetCurrentProcessId(), &session)) session = 0;
  if (session) _snwprintf(path, 63, L"\\Sessions\\%lu\\BaseNamedObjects", (unsigned long)session);
  else wcscpy(path, L"\\BaseNamedObjects");
  path[63] = 0;
  for (;;) {
    us.buf = path;
    us.len = (USHORT)(wcslen(path) * sizeof(WCHAR));
    us.max = (USHORT)(us.len + sizeof(WCHAR));
    memset(&oa, 0, sizeof oa);
    oa.size = sizeof oa;
    oa.name = &us;
    oa.attrs = LS_OBJ_CASE_INSENSITIVE;
    st = open_dir(&dir, LS_DIRECTORY_QUERY, &oa);
    if (st == LS_NOT_FOUND && session && wcscmp(path, L"\\BaseNamedObjects") != 0) {
      wcscpy(path, L"\\BaseNamedObjects"); /* no per-session directory */
      continue;
    }
    break;
  }
  if (st < 0) {
    fprintf(stderr, "%s: ls: cannot open %ls (NTSTATUS 0x%08lx): cannot list shm, queues, "
                    "semaphores, locks; pipc info NAME works\n", prog, path, (unsigned long)st);
    return 1;
  }
  if ((e = (ls_dirent *)malloc(cap)) == NULL) {
    CloseHandle(dir);
    return fail("ls", NULL, PIPC_ENOMEM);
  }
  /* One entry per call: Wine 8 implements only that mode. */
  while ((st = query_dir(dir, e, cap, TRUE, first, &ctx, &got)) >= 0 &&
         st != LS_NO_MORE_ENTRIES) {
    char name[PIPC_NAME_MAX + 1];
    const WCHAR *suffix, *end = e->name.buf + e->name.len / sizeof(WCHAR);
    ls_obj *o = NULL;
    first = FALSE;
    if (!ls_pipc_name(e->name.buf, e->name.len / sizeof(WCHAR), name, &suffix)) continue;
    if (suffix == end && ls_type_is(&e->type, L"Section")) {
      if ((o = ls_get(s, name)) != NULL) o->segment = 1;
    } else if (ls_suffix_is(suffix, end, L":listener") && ls_type_is(&e->type, L"Mutant")) {
      if ((o = ls_get(s, name)) != NULL) o->listener = 1;
    } else {
      continue;
    }
    if (o == NULL) {
      oom = 1;
      break;
    }
  }
  free(e);
  CloseHandle(dir);
  if (oom) return fail("ls", NULL, PIPC_ENOMEM);
  if (st != LS_NO_MORE_ENTRIES) {
    /* objects come and go while the directory is read (a process ending
       drops its objects): the caller reads it again */
    if (!last_try) return 2;
    fprintf(stderr, "%s: ls: listing %ls failed (NTSTATUS 0x%08lx); the list is incomplete\n",
            prog, path, (unsigned long)st);
    return 1;
  }
  return 0;
}

/* \\.\pipe\pipc.* into s; 0, or 1 after saying why not. */
static int ls_pipes(ls_set *s) {
  WIN32_FIND_DATAW fd;
  HANDLE f = FindFirstFileW(L"\\\\.\\pipe\\*", &fd);
  if (f == INVALID_HANDLE_VALUE) {
    /* Wine 8 cannot list the pipe file system (ERROR_BAD_DEV_TYPE). */
    fprintf(stderr, "%s: ls: cannot list \\\\.\\pipe\\ here (error %lu): listeners are found "
                    "by their Local\\pipc.NAME:listener mutex only\n", prog,
            (unsigned long)GetLastError());
    return 0; /* the listeners of this session are listed all the same */
  }
  do {
    char name[PIPC_NAME_MAX + 1];
    const WCHAR *suffix;
    size_t len = wcslen(fd.cFileName);
    ls_obj *o;
    if (!ls_pipc_name(fd.cFileName, len, name, &suffix) || suffix != fd.cFileName + len) continue;
    if ((o = ls_get(s, name)) == NULL) {
      FindClose(f);
      return fail("ls", NULL, PIPC_ENOMEM);
    }
    o->pipe = 1;
  } while (FindNextFileW(f, &fd));
  FindClose(f);
  return 0;
}

static int ls_cmp(const void *a, const void *b) {
  return strcmp(((const ls_obj *)a)->name, ((const ls_obj *)b)->name);
}
#endif

static int cmd_ls(int argc, char **argv) {
#if defined(_WIN32)
  ls_set s = {NULL, 0, 0};
  size_t i;
  int n = 0, status;
  if (wants_help(argc, argv)) return help(help_ls);
  if (argc != 2) return usage(help_ls);
  {
    int tries;
    for (tries = 0; tries < 5; tries++) {
      s.n = 0;
      if ((status = ls_named_objects(&s, tries == 4)) != 2) break;
      pipc_sleep_ms(20);
    }
  }
  status |= ls_pipes(&s);
  if (s.n) qsort(s.v, s.n, sizeof s.v[0], ls_cmp);
  /* segments, then listeners, as on Linux */
  for (i = 0; i < s.n; i++)
    if (s.v[i].segment && describe(s.v[i].name, 1) == PIPC_OK) n++;
  for (i = 0; i < s.n; i++) {
    if (s.v[i].listener)
      printf("%-10s %-40s %s\n", "listener", s.v[i].name, "live");
    else if (s.v[i].pipe)
      printf("%-10s %-40s %s\n", "listener", s.v[i].name,
             "live, not this session's (or not pipc's)");
    else
      continue;
    n++;
  }
  free(s.v);
  if (n == 0 && status == 0) printf("(no pipc objects)\n");
  return status;
#elif defined(__linux__)
  DIR *d;
  struct dirent *e;
  char sock[512], *slash;
  int n = 0;
  if (wants_help(argc, argv)) return help(help_ls);
  if (argc != 2) return usage(help_ls);
  if ((d = opendir("/dev/shm")) != NULL) {
    while ((e = readdir(d)) != NULL) {
      char path[300];
      struct stat st;
      if (strncmp(e->d_name, "pipc.", 5) != 0 || pipc_name_check(e->d_name + 5) != PIPC_OK)
        continue;
      snprintf(path, sizeof path, "/dev/shm/%s", e->d_name);
      if (stat(path, &st) != 0 || st.st_uid != geteuid()) continue; /* this user's */
      if (describe(e->d_name + 5, 1) == PIPC_OK) n++;
    }
    closedir(d);
  }
  /* listeners: sockets in this user's socket directory */
  if (pipc_pipe_path("x", sock, sizeof sock) == PIPC_OK && (slash = strrchr(sock, '/'))) {
    *slash = 0;
    if ((d = opendir(sock)) != NULL) {
      while ((e = readdir(d)) != NULL) {
        char path[1024];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", sock, e->d_name);
        if (pipc_name_check(e->d_name) != PIPC_OK || lstat(path, &st) != 0 ||
            !S_ISSOCK(st.st_mode))
          continue;
        /* live while a process holds the flock on NAME.lock (read from
           /proc/locks, so the listener is not disturbed); a stale socket is
           reclaimed by the next listener */
        strcat(path, ".lock");
        printf("%-10s %-40s %s\n", "listener", e->d_name,
               stat(path, &st) == 0 && flock_held(&st) ? "live" : "stale");
        n++;
      }
      closedir(d);
    }
  }
  if (n == 0) printf("(no pipc objects)\n");
  return 0;
#else
  if (wants_help(argc, argv)) return help(help_ls);
  if (argc != 2) return usage(help_ls);
  fprintf(stderr, "%s: ls: listing names needs Linux's /dev/shm or Windows; use pipc info NAME\n",
          prog);
  return 1;
#endif
}

static const char *help_bench =
    "usage: pipc bench [--quick] [--json FILE]\n"
    "  runs pipc-bench (installed beside pipc, or in ../bench of a build tree):\n"
    "  pipc and its peers between two processes, in one run, with ratios.\n";

static int cmd_bench(int argc, char **argv) {
  char self[4096], exe[4200], *slash;
  const char *args[16];
  const char *where[] = {"/pipc-bench", "/../bench/pipc-bench"};
  pipc_process *p;
  int i, n = 0, code = 1, rc = PIPC_ENOENT;
  if (wants_help(argc, argv)) return help(help_bench);
  if (argc > 14) return usage(help_bench);
  if (pipc_self_exe(self, sizeof self) != PIPC_OK) return fail("bench", NULL, PIPC_ESYS);
  slash = strrchr(self, '/');
#ifdef _WIN32
  if (!slash || strrchr(self, '\\') > slash) slash = strrchr(self, '\\');
#endif
  if (!slash) return fail("bench", NULL, PIPC_ENOENT);
  *slash = 0;
  for (i = 0; i < 2 && rc == PIPC_ENOENT; i++) {
    snprintf(exe, sizeof exe, "%s%s%s", self, where[i],
#ifdef _WIN32
             ".exe"
#else
             ""
#endif
    );
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
