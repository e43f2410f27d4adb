/* pipc_cli.c - the `pipc` command: look at, make, use and clean up pipc
 * objects, for people and for scripts.
 *
 *   pipc ls [--kind KIND] [--json] [PREFIX]
 *                                    this user's pipc objects (Linux, Windows)
 *   pipc info NAME [--json]          what NAME is and its numbers: a queue's
 *                                    depth, capacity, ...; a semaphore's value
 *                                    and max; a lock free / held / owner dead;
 *                                    a segment's size; a listener live / stale
 *   pipc create KIND NAME [OPTIONS]  make a queue, semaphore, lock or shm
 *                                    (POSIX; see its help for Windows)
 *   pipc rm NAME...                  remove names (shm, queue, sem, lock)
 *   pipc send NAME MESSAGE|- [-t MS] put one message on a queue, or send it to
 *                                    the listener at NAME; - reads stdin
 *   pipc recv NAME [-t MS]           take one message from a queue
 *   pipc recv --adopt NAME           take one orphan (a durably peeked
 *                                    message whose holder died)
 *   pipc listen NAME [-t MS]         listen at NAME for one connection and
 *                                    one message
 *   pipc serve URL --queue NAME...   serve queues to other hosts
 *   pipc bridge NAME URL/NAME        forward a queue to a remote one
 *   pipc path NAME                   the OS objects NAME maps to
 *   pipc bench [ARGS]                the benchmark table (pipc-bench)
 *   pipc help VERB, pipc VERB --help help for one verb
 *   pipc --version                   the library's version
 *
 * recv and listen write the message to stdout as it is (binary).
 * Exit codes: 0 done, 1 the operation failed (the pipc error is printed on
 * stderr), 2 bad usage (a bad name included; the usage is printed).
 *
 * Only the public API: what a name is, which names exist and what the OS
 * calls them are the library's to know (pipc_kind_of, pipc_list,
 * pipc_path), so a change of a backend's naming cannot break the tool.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
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

/* A name that is no name is bad usage: exit 2, with the rule. */
static int name_ok(const char *name) { return pipc_name_check(name) == PIPC_OK; }
/* A remote queue's name, SCHEME://ENDPOINT/NAME (pipc serve). */
static int is_url(const char *name) { return strstr(name, "://") != NULL; }
static int bad_name(const char *verb, const char *name) {
  fprintf(stderr,
          "%s: %s: bad name '%s': 1-%d characters of A-Za-z0-9._-, not starting with '.'\n",
          prog, verb, name, PIPC_NAME_MAX);
  return 2;
}

static const char *help_all =
    "usage: pipc VERB [ARGS]\n"
    "  ls [--kind K] [--json] [PRE] this user's pipc objects (Linux, Windows)\n"
    "  info NAME [--json]           what NAME is and its numbers and state\n"
    "  create KIND NAME [OPTIONS]   make a queue, semaphore, lock or shm (POSIX)\n"
    "  rm NAME...                   remove names (shm, queue, semaphore, lock)\n"
    "  send NAME MESSAGE|- [-t MS]  put MESSAGE (- : stdin) on the queue NAME, or send\n"
    "                               it to the listener NAME\n"
    "  recv NAME [-t MS]            take one message from the queue NAME to stdout\n"
    "  recv --adopt NAME            take one orphan of the queue NAME to stdout\n"
    "  listen NAME [-t MS]          listen at NAME for one connection and one message,\n"
    "                               written to stdout\n"
    "  serve URL --queue NAME...    serve queues to other hosts (URL/NAME opens one)\n"
    "  bridge NAME URL/NAME         forward the queue NAME to a remote queue, each\n"
    "                               message stored there once (store and forward)\n"
    "  path NAME                    the OS objects NAME maps to\n"
    "  bench [ARGS]                 the benchmark table (runs pipc-bench, ARGS passed on)\n"
    "  help VERB, VERB --help       help for one verb\n"
    "  --version                    pipc's version\n"
    "exit codes: 0 done, 1 the operation failed, 2 bad usage (a bad name too)\n";

static int wants_help(int argc, char **argv) {
  int i;
  for (i = 2; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
  return 0;
}

/* A whole decimal number in [lo, hi] into *out: 1, else 0. */
static int number_arg(const char *s, unsigned long long lo, unsigned long long hi,
                      unsigned long long *out) {
  char *end;
  unsigned long long v;
  if (s == NULL || *s < '0' || *s > '9') return 0;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (*end || errno == ERANGE || v < lo || v > hi) return 0; /* ERANGE: past 2^64-1 */
  *out = v;
  return 1;
}

/* -t MS as the only options from argv[from] on: 0, or -1 (bad usage). */
static int timeout_arg(int argc, char **argv, int from, int *t) {
  int i;
  for (i = from; i < argc; i++) {
    if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
      unsigned long long v;
      if (strcmp(argv[i + 1], "-1") == 0) *t = PIPC_FOREVER;
      else if (number_arg(argv[i + 1], 0, 0x7fffffff, &v)) *t = (int)v;
      else return -1; /* digits only: no sign, no space, no overflow */
      i++;
    } else {
      return -1;
    }
  }
  return 0;
}

/* ---- what a name is: one entry, its numbers read ---- */

typedef struct entry {
  char name[PIPC_NAME_MAX + 1];
  pipc_kind kind;
  pipc_state state; /* a listener's */
  int rc;           /* a segment's open: PIPC_OK, or why its numbers are missing */
  pipc_queue_stat_t q;
  size_t orphans;      /* queue: pipc_queue_orphans (0 when it cannot say) */
  unsigned value, max; /* semaphore */
  int lock;            /* enum pipc_lock_states */
  size_t size;         /* shm */
} entry;

/* Open the segment e->name of kind e->kind and read its numbers. */
static void probe(entry *e) {
  e->rc = PIPC_OK;
  if (e->kind == PIPC_KIND_QUEUE) {
    pipc_queue *q;
    if ((e->rc = pipc_queue_open(e->name, &q)) == PIPC_OK) {
      e->rc = pipc_queue_stat(q, &e->q); /* never fails on an open queue */
      if (pipc_queue_orphans(q, &e->orphans) != PIPC_OK) e->orphans = 0; /* poisoned: said */
      pipc_queue_close(q);
    }
  } else if (e->kind == PIPC_KIND_SEMAPHORE) {
    pipc_sem *s;
    if ((e->rc = pipc_sem_open(e->name, &s)) == PIPC_OK) {
      if ((e->rc = pipc_sem_value(s, &e->value)) == PIPC_OK) e->rc = pipc_sem_max(s, &e->max);
      pipc_sem_close(s);
    }
  } else if (e->kind == PIPC_KIND_LOCK) {
    pipc_lock *l;
    if ((e->rc = pipc_lock_open(e->name, &l)) == PIPC_OK) {
      e->rc = pipc_lock_state(l, &e->lock); /* a look: never takes it */
      pipc_lock_close(l);
    }
  } else if (e->kind == PIPC_KIND_SHM) {
    pipc_shm *m;
    if ((e->rc = pipc_shm_open(e->name, &m)) == PIPC_OK) {
      e->size = pipc_shm_size(m);
      pipc_shm_close(m);
    }
  }
}

static const char *state_name(const entry *e) {
  if (e->kind != PIPC_KIND_LISTENER) return e->rc == PIPC_OK ? "ok" : "cannot open";
  return e->state == PIPC_STATE_STALE     ? "stale"
         : e->state == PIPC_STATE_FOREIGN ? "foreign"
                                          : "live";
}

static const char *lock_name(int state) {
  return state == PIPC_LOCK_HELD         ? "held"
         : state == PIPC_LOCK_OWNER_DEAD ? "owner dead"
                                         : "free";
}

/* The DETAILS column of pipc ls. */
static void details(const entry *e, char *buf, size_t cap) {
  buf[0] = 0;
  if (e->kind == PIPC_KIND_LISTENER)
    snprintf(buf, cap, "%s",
             e->state == PIPC_STATE_STALE     ? "stale"
             : e->state == PIPC_STATE_FOREIGN ? "live, not this session's (or not pipc's)"
                                              : "live");
  else if (e->rc != PIPC_OK)
    snprintf(buf, cap, "cannot open: %s", pipc_strerror(e->rc));
  else if (e->kind == PIPC_KIND_QUEUE)
    snprintf(buf, cap, "depth %zu/%zu, max %zu B%s%s%s", e->q.depth, e->q.capacity,
             e->q.max_msg_size, e->q.closed ? ", shut down" : "",
             e->q.poisoned ? ", POISONED" : "", e->orphans ? ", orphans" : "");
  else if (e->kind == PIPC_KIND_SEMAPHORE && e->max == PIPC_SEM_VALUE_MAX)
    snprintf(buf, cap, "value %u, unbounded", e->value);
  else if (e->kind == PIPC_KIND_SEMAPHORE)
    snprintf(buf, cap, "value %u/%u", e->value, e->max);
  else if (e->kind == PIPC_KIND_LOCK)
    snprintf(buf, cap, "%s", lock_name(e->lock));
  else if (e->kind == PIPC_KIND_SHM)
    snprintf(buf, cap, "%zu bytes", e->size);
}

/* A JSON string: quotes, backslashes and control bytes escaped. */
static void json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

/* One entry as one JSON object on one line (no newline). */
static void json_entry(const entry *e) {
  printf("{\"name\": ");
  json_str(e->name);
  printf(", \"kind\": ");
  json_str(pipc_kind_name(e->kind));
  printf(", \"state\": ");
  json_str(state_name(e));
  if (e->kind != PIPC_KIND_LISTENER && e->rc != PIPC_OK) {
    printf(", \"error\": ");
    json_str(pipc_strerror(e->rc));
  } else if (e->kind == PIPC_KIND_QUEUE) {
    printf(", \"depth\": %zu, \"capacity\": %zu, \"max_msg_size\": %zu, \"shut_down\": %s, "
           "\"poisoned\": %s, \"orphans\": %zu",
           e->q.depth, e->q.capacity, e->q.max_msg_size, e->q.closed ? "true" : "false",
           e->q.poisoned ? "true" : "false", e->orphans);
  } else if (e->kind == PIPC_KIND_SEMAPHORE) {
    printf(", \"value\": %u, \"max\": %u", e->value, e->max);
  } else if (e->kind == PIPC_KIND_LOCK) {
    printf(", \"held\": %s, \"owner_dead\": %s", e->lock == PIPC_LOCK_HELD ? "true" : "false",
           e->lock == PIPC_LOCK_OWNER_DEAD ? "true" : "false");
  } else if (e->kind == PIPC_KIND_SHM) {
    printf(", \"size\": %zu", e->size);
  }
  putchar('}');
}

/* ---- pipc_list into an array ---- */

typedef struct entries {
  entry *v;
  size_t n, cap;
  unsigned kinds;     /* 1 << kind of the kinds wanted; 0: all */
  const char *only;   /* this name only, or NULL */
  const char *prefix; /* names that start with it only, or NULL */
} entries;

static int collect(void *arg, const pipc_entry_t *pe) {
  entries *es = (entries *)arg;
  entry *e;
  if (es->kinds && !(es->kinds & (1u << pe->kind))) return 0;
  if (es->only && strcmp(es->only, pe->name) != 0) return 0;
  if (es->prefix && strncmp(es->prefix, pe->name, strlen(es->prefix)) != 0) return 0;
  if (strlen(pe->name) > PIPC_NAME_MAX) return 0; /* not one of pipc's names */
  if (es->n == es->cap) {
    size_t cap = es->cap ? 2 * es->cap : 32;
    entry *bigger = (entry *)realloc(es->v, cap * sizeof *bigger);
    if (bigger == NULL) return PIPC_ENOMEM;
    es->v = bigger;
    es->cap = cap;
  }
  e = &es->v[es->n++];
  memset(e, 0, sizeof *e);
  strcpy(e->name, pe->name);
  e->kind = pe->kind;
  e->state = pe->state;
  return 0;
}

/* pipc_list's failure, said plainly: 1. */
static int list_failed(const char *verb, int rc) {
  if (rc == PIPC_ENOTSUP) {
    fprintf(stderr,
            "%s: %s: listing names needs Linux's /dev/shm or Windows; use pipc info NAME\n",
            prog, verb);
    return 1;
  }
  if (rc == PIPC_ESYS) { /* the OS's own code says more (an NTSTATUS on Windows) */
    fprintf(stderr, "%s: %s: %s (OS error 0x%08lx)\n", prog, verb, pipc_strerror(rc),
            (unsigned long)(unsigned)pipc_last_os_error());
    return 1;
  }
  return fail(verb, NULL, rc);
}

/* ---- verbs ---- */

static const char *help_ls =
    "usage: pipc ls [--kind KIND]... [--json] [PREFIX]\n"
    "  this user's pipc objects (only names that start with PREFIX, if\n"
    "  given), one line each under a header:\n"
    "    KIND  NAME  DETAILS\n"
    "  a queue's depth/capacity, max message and state; a semaphore's value\n"
    "  and max; a lock free, held or owner dead; a segment's size; a listener\n"
    "  live, stale, or live but not this session's or not pipc's (foreign).\n"
    "  No objects: the header alone.  A lock's state is a look that tries its\n"
    "  mutex for an instant when it seems held (see pipc_lock_state).\n"
    "  --kind KIND   only queue, semaphore, lock, shm or listener (repeatable)\n"
    "  --json        a JSON array, one object per object, as pipc info --json\n"
    "                prints them (see there)\n"
    "  Linux reads /dev/shm and the socket directory; Windows lists this\n"
    "  session's Local\\pipc.* objects and \\\\.\\pipe\\pipc.* (a listener is\n"
    "  live while it exists: Windows removes it with its process).  macOS and\n"
    "  the BSDs cannot list shared memory: exit 1 (pipc info NAME works).\n";

static int kind_arg(const char *s, pipc_kind *k) {
  static const pipc_kind all[] = {PIPC_KIND_QUEUE, PIPC_KIND_SEMAPHORE, PIPC_KIND_LOCK,
                                  PIPC_KIND_SHM, PIPC_KIND_LISTENER};
  size_t i;
  for (i = 0; i < sizeof all / sizeof all[0]; i++)
    if (strcmp(s, pipc_kind_name(all[i])) == 0) {
      *k = all[i];
      return 1;
    }
  return 0;
}

static int cmd_ls(int argc, char **argv) {
  entries es;
  char line[PIPC_NAME_MAX + 256], det[200];
  int i, json = 0, rc;
  size_t j, wkind = 4, wname = 4;
  if (wants_help(argc, argv)) return help(help_ls);
  memset(&es, 0, sizeof es);
  for (i = 2; i < argc; i++) {
    pipc_kind k;
    if (strcmp(argv[i], "--json") == 0) json = 1;
    else if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc && kind_arg(argv[i + 1], &k))
      es.kinds |= 1u << k, i++;
    else if (argv[i][0] != '-' && es.prefix == NULL) es.prefix = argv[i];
    else return usage(help_ls);
  }
  rc = pipc_list(collect, &es);
  if (rc != PIPC_OK) {
    free(es.v);
    return list_failed("ls", rc);
  }
  for (j = 0; j < es.n; j++) {
    if (es.v[j].kind != PIPC_KIND_LISTENER) probe(&es.v[j]);
    if (strlen(pipc_kind_name(es.v[j].kind)) > wkind) wkind = strlen(pipc_kind_name(es.v[j].kind));
    if (strlen(es.v[j].name) > wname) wname = strlen(es.v[j].name);
  }
  if (json) {
    printf("[");
    for (j = 0; j < es.n; j++) {
      printf(j ? ",\n  " : "\n  ");
      json_entry(&es.v[j]);
    }
    printf(es.n ? "\n]\n" : "]\n");
  } else {
    for (j = 0; j <= es.n; j++) {
      size_t n;
      if (j == 0) snprintf(line, sizeof line, "%-*s %-*s DETAILS", (int)wkind, "KIND", (int)wname,
                           "NAME");
      else {
        details(&es.v[j - 1], det, sizeof det);
        snprintf(line, sizeof line, "%-*s %-*s %s", (int)wkind,
                 pipc_kind_name(es.v[j - 1].kind), (int)wname, es.v[j - 1].name, det);
      }
      for (n = strlen(line); n > 0 && line[n - 1] == ' '; n--) line[n - 1] = 0;
      printf("%s\n", line);
    }
  }
  free(es.v);
  return 0;
}

static const char *help_info =
    "usage: pipc info NAME [--json]\n"
    "  what NAME is, one \"field: value\" line each:\n"
    "    queue      capacity, max message, depth, shut down, poisoned,\n"
    "               orphans (durably peeked messages whose holder died:\n"
    "               pipc recv --adopt NAME takes one)\n"
    "    semaphore  value, max (unbounded: max 0 at create)\n"
    "    lock       state: free, held (by a live thread) or owner dead (its\n"
    "               holder died: the next acquire gets PIPC_EOWNERDEAD); a\n"
    "               look, never an acquire: the owner-dead report is kept\n"
    "    shm        size (Windows: page-rounded)\n"
    "    listener   state: live, stale (its process died; POSIX) or foreign\n"
    "               (a server that is not this session's pipc listener)\n"
    "  --json   one JSON object: \"name\", \"kind\", \"state\" (a listener's\n"
    "           \"live\", \"stale\", \"foreign\"; a segment's \"ok\", or \"cannot\n"
    "           open\" with \"error\"), then the numbers: a queue's \"depth\",\n"
    "           \"capacity\", \"max_msg_size\", \"shut_down\", \"poisoned\",\n"
    "           \"orphans\"; a\n"
    "           semaphore's \"value\", \"max\"; a lock's \"held\", \"owner_dead\";\n"
    "           a segment's \"size\".\n"
    "  No such name: exit 1, \"no such name\" on stderr.\n";

/* The listener `name` in pipc_list, into *e: 1 if listed. */
static int find_listener(const char *name, entry *e) {
  entries es;
  int found = 0;
  memset(&es, 0, sizeof es);
  es.kinds = 1u << PIPC_KIND_LISTENER;
  es.only = name;
  if (pipc_list(collect, &es) == PIPC_OK && es.n > 0) {
    *e = es.v[0];
    found = 1;
  }
  free(es.v);
  return found;
}

static int cmd_info(int argc, char **argv) {
  entry e;
  int rc, json = 0;
  if (wants_help(argc, argv)) return help(help_info);
  if (argc == 4 && strcmp(argv[3], "--json") == 0) json = 1;
  else if (argc != 3) return usage(help_info);
  if (!name_ok(argv[2])) return bad_name("info", argv[2]);
  memset(&e, 0, sizeof e);
  strcpy(e.name, argv[2]);
  rc = pipc_kind_of(argv[2], &e.kind);
  if ((rc == PIPC_OK && e.kind == PIPC_KIND_LISTENER) || rc == PIPC_ENOENT) {
    /* a listener: live, stale or foreign as pipc_list tells (where it
       cannot list, pipc_kind_of's live) */
    if (find_listener(argv[2], &e)) rc = PIPC_OK;
    else if (rc == PIPC_OK) e.state = PIPC_STATE_LIVE;
  } else if (rc == PIPC_OK) {
    probe(&e);
    if (e.rc != PIPC_OK) {
      if (json) {
        json_entry(&e);
        putchar('\n');
      } else {
        printf("name: %s\nkind: %s\n", e.name, pipc_kind_name(e.kind));
      }
      return fail("info: cannot open", argv[2], e.rc);
    }
  }
  if (rc != PIPC_OK) return fail("info", argv[2], rc);
  if (json) {
    json_entry(&e);
    putchar('\n');
    return 0;
  }
  printf("name: %s\nkind: %s\n", e.name, pipc_kind_name(e.kind));
  if (e.kind == PIPC_KIND_QUEUE)
    printf("capacity: %zu messages\nmax message: %zu bytes\ndepth: %zu\n"
           "shut down: %s\npoisoned: %s\norphans: %zu%s\n",
           e.q.capacity, e.q.max_msg_size, e.q.depth, e.q.closed ? "yes" : "no",
           e.q.poisoned ? "yes (every call returns PIPC_ECORRUPT; pipc rm it)" : "no",
           e.orphans, e.orphans ? " (pipc recv --adopt NAME takes one)" : "");
  else if (e.kind == PIPC_KIND_SEMAPHORE && e.max == PIPC_SEM_VALUE_MAX)
    printf("value: %u\nmax: unbounded\n", e.value);
  else if (e.kind == PIPC_KIND_SEMAPHORE)
    printf("value: %u\nmax: %u\n", e.value, e.max);
  else if (e.kind == PIPC_KIND_LOCK)
    printf("state: %s\n", e.lock == PIPC_LOCK_OWNER_DEAD
                              ? "owner dead (the next acquire gets PIPC_EOWNERDEAD)"
                              : lock_name(e.lock));
  else if (e.kind == PIPC_KIND_SHM)
    printf("size: %zu bytes\n", e.size);
  else if (e.kind == PIPC_KIND_LISTENER)
    printf("state: %s\n", state_name(&e));
  return 0;
}

static const char *help_create =
    "usage: pipc create KIND NAME [OPTIONS]\n"
    "  makes a named object from the shell (like ipcmk); prints nothing.\n"
    "    queue NAME [--capacity N] [--max-msg BYTES]   default 64 messages of\n"
    "                                                  up to 8192 bytes\n"
    "    semaphore NAME [--value N] [--max N]          default value 0, max 0\n"
    "                                                  (unbounded)\n"
    "    lock NAME\n"
    "    shm NAME --size BYTES                         zero-filled\n"
    "  The name exists already: exit 1 (name exists).  On POSIX the object\n"
    "  lives on after pipc exits, until pipc rm NAME.\n"
    "  Windows: a name lives only while some process has it open, so an\n"
    "  object pipc made would vanish as pipc exits: create refuses there\n"
    "  (exit 1, not supported); create it in the program that uses it.\n";

static int cmd_create(int argc, char **argv) {
  unsigned long long capacity = 64, max_msg = 8192, value = 0, max = 0, size = 0;
  const char *kind, *name;
  int i;
  pipc_kind k;
  if (wants_help(argc, argv)) return help(help_create);
  if (argc < 4) return usage(help_create);
  kind = argv[2];
  name = argv[3];
  if (!kind_arg(kind, &k) || k == PIPC_KIND_LISTENER) {
    fprintf(stderr, "%s: create: no kind '%s' (queue, semaphore, lock, shm)\n", prog, kind);
    return usage(help_create);
  }
  if (!name_ok(name)) return bad_name("create", name);
  for (i = 4; i < argc; i += 2) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int ok;
    if (k == PIPC_KIND_QUEUE && strcmp(o, "--capacity") == 0)
      ok = number_arg(v, 1, (size_t)-1, &capacity);
    else if (k == PIPC_KIND_QUEUE && strcmp(o, "--max-msg") == 0)
      ok = number_arg(v, 1, (size_t)-1, &max_msg);
    else if (k == PIPC_KIND_SEMAPHORE && strcmp(o, "--value") == 0)
      ok = number_arg(v, 0, PIPC_SEM_VALUE_MAX, &value);
    else if (k == PIPC_KIND_SEMAPHORE && strcmp(o, "--max") == 0)
      ok = number_arg(v, 0, PIPC_SEM_VALUE_MAX, &max);
    else if (k == PIPC_KIND_SHM && strcmp(o, "--size") == 0)
      ok = number_arg(v, 1, (size_t)-1, &size);
    else ok = 0;
    if (!ok) {
      fprintf(stderr, "%s: create %s: bad option %s%s%s\n", prog, kind, o, v ? " " : "",
              v ? v : "");
      return usage(help_create);
    }
  }
  if (k == PIPC_KIND_SHM && size == 0) {
    fprintf(stderr, "%s: create shm: --size BYTES is needed\n", prog);
    return usage(help_create);
  }
  if (k == PIPC_KIND_SEMAPHORE && max != 0 && value > max) {
    fprintf(stderr, "%s: create semaphore: --value %llu is more than --max %llu\n", prog, value,
            max);
    return usage(help_create);
  }
#ifdef _WIN32
  /* the object would die with this process's handle: say so, make nothing */
  fprintf(stderr,
          "%s: create %s: on Windows a name lives only while a process has it open; what pipc "
          "made would vanish as it exits: create it in the program that uses it\n",
          prog, name);
  return fail("create", name, PIPC_ENOTSUP);
#else
  int rc;
  if (k == PIPC_KIND_QUEUE) {
    pipc_queue *q;
    if ((rc = pipc_queue_create(name, (size_t)capacity, (size_t)max_msg, &q)) == PIPC_OK)
      pipc_queue_close(q);
  } else if (k == PIPC_KIND_SEMAPHORE) {
    pipc_sem *s;
    if ((rc = pipc_sem_create(name, (unsigned)value, (unsigned)max, &s)) == PIPC_OK)
      pipc_sem_close(s);
  } else if (k == PIPC_KIND_LOCK) {
    pipc_lock *l;
    if ((rc = pipc_lock_create(name, &l)) == PIPC_OK) pipc_lock_close(l);
  } else {
    pipc_shm *m;
    if ((rc = pipc_shm_create(name, (size_t)size, &m)) == PIPC_OK) pipc_shm_close(m);
  }
  return rc == PIPC_OK ? 0 : fail("create", name, rc);
#endif
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
  for (i = 2; i < argc; i++)
    if (!name_ok(argv[i])) return bad_name("rm", argv[i]); /* before removing any */
  for (i = 2; i < argc; i++) {
    int rc = pipc_shm_unlink(argv[i]);
    if (rc != PIPC_OK) status = fail("rm", argv[i], rc);
  }
  return status;
}

/* "NAME is a semaphore, not a queue...": 1. */
static int wrong_kind(const char *verb, const char *name, pipc_kind k, const char *wanted) {
  fprintf(stderr, "%s: %s: %s is a %s, not %s\n", prog, verb, name, pipc_kind_name(k), wanted);
  return 1;
}

static const char *help_send =
    "usage: pipc send NAME MESSAGE|- [-t MS]\n"
    "  puts MESSAGE (its bytes, no newline) on the queue NAME; - reads the\n"
    "  message from stdin instead (all of it, as it is).  If NAME is a\n"
    "  listener, or nothing has the name yet, connects (waiting for a\n"
    "  listener to appear), sends it as one message and hangs up: the reply,\n"
    "  if the server sends one, is not read (a server must take a client that\n"
    "  leaves: its send gets PIPC_ECLOSED).  -t: how long to wait for room or\n"
    "  for the listener (default 5000 ms; -1 forever).  Another kind at NAME:\n"
    "  exit 1, \"NAME is a semaphore, not a queue or a listener\".\n";

/* All of stdin into *buf (malloc'ed), *len: PIPC_OK or PIPC_ENOMEM / ESYS. */
/* All of stdin into *buf (malloc'd) - PIPC_EMSGSIZE once it is more than
   limit bytes (nothing kept). */
static int read_stdin(char **buf, size_t *len, size_t limit) {
  size_t cap = 1 << 16, n;
  char *b = (char *)malloc(cap);
  *len = 0;
  if (b == NULL) return PIPC_ENOMEM;
  pipc_stdin_binary(); /* the bytes as they are: no "\n" for "\r\n" */
  while ((n = fread(b + *len, 1, cap - *len, stdin)) > 0) {
    *len += n;
    if (*len > limit) {
      free(b);
      return PIPC_EMSGSIZE;
    }
    if (*len == cap) {
      char *bigger = (char *)realloc(b, cap * 2);
      if (bigger == NULL) {
        free(b);
        return PIPC_ENOMEM;
      }
      b = bigger;
      cap *= 2;
    }
  }
  if (ferror(stdin)) {
    free(b);
    return PIPC_ESYS;
  }
  *buf = b;
  return PIPC_OK;
}

static int cmd_send(int argc, char **argv) {
  pipc_queue *q;
  pipc_pipe *p;
  pipc_kind k = PIPC_KIND_NONE;
  int t = 5000, rc;
  size_t len;
  char *msg, *in = NULL;
  if (wants_help(argc, argv)) return help(help_send);
  if (argc < 4 || timeout_arg(argc, argv, 4, &t)) return usage(help_send);
  if (is_url(argv[2])) { /* a remote queue: pipc_queue_open says what is wrong */
    k = PIPC_KIND_QUEUE;
    rc = PIPC_OK;
  } else if (!name_ok(argv[2])) {
    return bad_name("send", argv[2]);
  } else {
    rc = pipc_kind_of(argv[2], &k);
  }
  if (rc == PIPC_OK && k != PIPC_KIND_QUEUE && k != PIPC_KIND_LISTENER)
    return wrong_kind("send", argv[2], k, "a queue or a listener");
  if (rc != PIPC_OK && rc != PIPC_ENOENT) return fail("send", argv[2], rc);
  msg = argv[3];
  len = strlen(msg);
  if (k == PIPC_KIND_QUEUE) {
    pipc_queue_stat_t st;
    const char *what = "send";
    if ((rc = pipc_queue_open(argv[2], &q)) != PIPC_OK) return fail("send", argv[2], rc);
    if ((rc = pipc_queue_stat(q, &st)) != PIPC_OK) { /* a remote one's link can fail */
      pipc_queue_close(q);
      return fail("send", argv[2], rc);
    }
    if (strcmp(argv[3], "-") == 0) { /* no more of stdin than the queue takes */
      if ((rc = read_stdin(&in, &len, st.max_msg_size)) == PIPC_OK) msg = in;
      else what = "send: reading stdin for";
    } else if (len > st.max_msg_size) {
      rc = PIPC_EMSGSIZE;
    }
    if (rc == PIPC_OK) rc = pipc_queue_put(q, msg, len, t);
    pipc_queue_close(q);
    free(in);
    if (rc == PIPC_EMSGSIZE) {
      fprintf(stderr, "%s: send %s: message too long: the queue takes at most %lu bytes\n", prog,
              argv[2], (unsigned long)st.max_msg_size);
      return 1;
    }
    return rc == PIPC_OK ? 0 : fail(what, argv[2], rc);
  }
  if (strcmp(argv[3], "-") == 0) {
    if ((rc = read_stdin(&in, &len, (size_t)-1)) != PIPC_OK)
      return fail("send: reading stdin for", argv[2], rc);
    msg = in;
  }
  rc = pipc_pipe_connect(argv[2], &p, t);
  if (rc != PIPC_OK) {
    free(in);
    return fail("send: no queue or listener named", argv[2], rc);
  }
  rc = pipc_pipe_send(p, msg, len, t);
  /* all of it out in time (-t 0: whenever the listener takes it) */
  if (rc == PIPC_OK && t != 0) rc = pipc_pipe_flush(p, t);
  if (rc == PIPC_OK) rc = pipc_pipe_close_flush(p, t == 0 ? PIPC_FOREVER : 0);
  else pipc_pipe_close(p);
  free(in);
  return rc == PIPC_OK ? 0 : fail("send", argv[2], rc);
}

/* Make buf[cap] hold `need` bytes: PIPC_EMSGSIZE again (retry), or
   PIPC_ENOMEM. */
/* A received message to stdout, all of it: PIPC_OK, or PIPC_ESYS (disk
   full, a closed pipe) - the message is taken, so this is a failure. */
static int write_out(const char *buf, size_t len) {
  if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) return PIPC_ESYS;
  return PIPC_OK;
}

/* The end of recv and listen: the message taken (rc PIPC_OK) to stdout,
   buf freed, the exit code - 1 with the reason if the take or the write
   failed (a message taken but not written is lost: said so). */
static int finish_take(const char *verb, const char *name, int rc, char *buf, size_t len) {
  int wrote = rc == PIPC_OK ? write_out(buf, len) : PIPC_OK;
  free(buf);
  if (rc != PIPC_OK) return fail(verb, name, rc);
  if (wrote != PIPC_OK) {
    fprintf(stderr, "%s: %s %s: the message was taken, but writing it to stdout failed\n", prog,
            verb, name);
    return 1;
  }
  return 0;
}

static int grow(char **buf, size_t *cap, size_t need) {
  char *bigger = (char *)realloc(*buf, need ? need : 1);
  if (bigger == NULL) return PIPC_ENOMEM;
  *buf = bigger;
  *cap = need;
  return PIPC_EMSGSIZE;
}

static const char *help_recv =
    "usage: pipc recv NAME [-t MS]\n"
    "       pipc recv --adopt NAME\n"
    "  takes one message from the queue NAME; its bytes go to stdout as they\n"
    "  are.  -t: how long to wait for one (default -1, forever; 0: exit 1 at\n"
    "  once if the queue is empty).  No queue at NAME: exit 1 (to wait for a\n"
    "  connection at a name, pipc listen NAME).\n"
    "  --adopt: takes the oldest orphan instead - a message peeked durably\n"
    "  (PIPC_PEEK_DURABLE) by a thread that died holding it; none: exit 1 at\n"
    "  once (\"resource temporarily unavailable\"), and no other message is\n"
    "  taken.\n";

static int cmd_recv(int argc, char **argv) {
  pipc_queue *q;
  pipc_kind k;
  int t = PIPC_FOREVER, rc;
  size_t cap = 1 << 16, len = 0;
  char *buf;
  int adopt = argc >= 3 && strcmp(argv[2], "--adopt") == 0;
  if (wants_help(argc, argv)) return help(help_recv);
  if (adopt) { /* recv --adopt NAME */
    if (argc != 4) return usage(help_recv);
    argv++;
    argc--;
  }
  if (argc < 3 || timeout_arg(argc, argv, 3, &t)) return usage(help_recv);
  if (is_url(argv[2])) { /* a remote queue: pipc_queue_open says what is wrong */
    k = PIPC_KIND_QUEUE;
    rc = PIPC_OK;
  } else if (!name_ok(argv[2])) {
    return bad_name("recv", argv[2]);
  } else {
    rc = pipc_kind_of(argv[2], &k);
  }
  if (rc == PIPC_ENOENT) {
    fprintf(stderr, "%s: recv: no queue named %s (to listen at a name: pipc listen %s)\n", prog,
            argv[2], argv[2]);
    return 1;
  }
  if (rc != PIPC_OK) return fail("recv", argv[2], rc);
  if (k != PIPC_KIND_QUEUE) return wrong_kind("recv", argv[2], k, "a queue");
  pipc_stdout_binary(); /* the bytes as they are: no "\r\n" for "\n" */
  if ((buf = (char *)malloc(cap)) == NULL) return fail("recv", argv[2], PIPC_ENOMEM);
  if ((rc = pipc_queue_open(argv[2], &q)) == PIPC_OK) {
    if (adopt) {
      const void *msg;
      rc = pipc_queue_peek_ex(q, PIPC_PEEK_ORPHAN, &msg, &len, 0);
      if (rc == PIPC_EOWNERDEAD) {
        /* Written out from the queue's memory, and only then taken off: if
           the write fails, this process ends holding it (no close, which
           would release it), so it is an orphan again, not lost. */
        free(buf);
        if (write_out((const char *)msg, len) != PIPC_OK) {
          fprintf(stderr, "%s: recv --adopt %s: writing it to stdout failed; it stays an orphan\n",
                  prog, argv[2]);
          return 1;
        }
        rc = pipc_queue_release(q);
        pipc_queue_close(q);
        return rc == PIPC_OK ? 0 : fail("recv --adopt", argv[2], rc);
      }
    } else {
      while ((rc = pipc_queue_get(q, buf, cap, &len, t)) == PIPC_EMSGSIZE &&
             (rc = grow(&buf, &cap, len)) == PIPC_EMSGSIZE) {
      }
    }
    pipc_queue_close(q);
  }
  return finish_take("recv", argv[2], rc, buf, len);
}

static const char *help_listen =
    "usage: pipc listen NAME [-t MS]\n"
    "  listens at NAME for one connection, receives one message, writes its\n"
    "  bytes to stdout as they are, and hangs up (no reply).  -t: how long to\n"
    "  wait for the connection and for the message (default -1, forever).\n"
    "  A live listener at NAME already: exit 1 (name exists).\n";

static int cmd_listen(int argc, char **argv) {
  pipc_listener *l;
  pipc_pipe *p;
  int t = PIPC_FOREVER, rc;
  size_t cap = 1 << 16, len = 0;
  char *buf;
  if (wants_help(argc, argv)) return help(help_listen);
  if (argc < 3 || timeout_arg(argc, argv, 3, &t)) return usage(help_listen);
  if (!name_ok(argv[2])) return bad_name("listen", argv[2]);
  pipc_stdout_binary(); /* the bytes as they are: no "\r\n" for "\n" */
  if ((buf = (char *)malloc(cap)) == NULL) return fail("listen", argv[2], PIPC_ENOMEM);
  if ((rc = pipc_listener_create(argv[2], &l)) == PIPC_OK) {
    if ((rc = pipc_listener_accept(l, &p, t)) == PIPC_OK) {
      while ((rc = pipc_pipe_recv(p, buf, cap, &len, t)) == PIPC_EMSGSIZE &&
             (rc = grow(&buf, &cap, len)) == PIPC_EMSGSIZE) {
      }
      pipc_pipe_close(p);
    }
    pipc_listener_close(l);
  }
  return finish_take("listen", argv[2], rc, buf, len);
}

static const char *help_serve =
    "usage: pipc serve URL [--queue NAME]... [--listener NAME]...\n"
    "                  [--cert FILE --key FILE --ca FILE | --plain] [--state FILE]\n"
    "  serves this user's queues NAME at URL until Ctrl-C / SIGTERM (Windows:\n"
    "  Ctrl-C / Ctrl-Break): another host opens one as URL/NAME\n"
    "  (pipc_queue_open(\"tls+tcp://HOST:PORT/NAME\"), pipc send URL/NAME ...,\n"
    "  pipc recv URL/NAME); and its listeners NAME: a remote\n"
    "  pipc_pipe_connect(\"URL/NAME\") is relayed to listener NAME here, as a\n"
    "  local connection (at least one --queue or --listener).  URL:\n"
    "    tls+tcp://ADDRESS:PORT  TLS; this server's certificate and key (PEM),\n"
    "                            and the CA that signs its clients' certificates\n"
    "                            (a client without one is refused)\n"
    "    tcp://ADDRESS:PORT      no authentication, no encryption: only with\n"
    "                            --plain, on a network you trust\n"
    "    ipc:///ABSOLUTE/PATH    a socket file only this user can use\n"
    "    ipc://PIPENAME          Windows: the named pipe \\\\.\\pipe\\PIPENAME, only\n"
    "                            this user's\n"
    "  PORT 0: any free one.  Prints \"serving URL\" (with the port chosen) on\n"
    "  stdout once it listens.  Clients' TLS files: PIPC_TLS_CERT, PIPC_TLS_KEY,\n"
    "  PIPC_TLS_CA, PIPC_TLS_SERVER_NAME in their environment.\n"
    "  --state FILE: what the server must remember across its own crash is\n"
    "  kept in FILE (made owner-only if missing): started again with the same\n"
    "  FILE after a crash, it answers the puts it ran - none is in doubt or\n"
    "  stored twice.  One server per FILE at a time.\n";

static volatile sig_atomic_t serve_stop;
static void on_serve_signal(int sig) {
  (void)sig;
  serve_stop = 1;
}

/* The graceful stop: POSIX SIGINT / SIGTERM; Windows' C runtime raises
   SIGINT for Ctrl-C and SIGBREAK for Ctrl-Break - the event
   pipc_process_terminate sends a child in a group of its own (SIGTERM is
   never raised there from outside). */
static void on_stop_signals(void) {
  signal(SIGINT, on_serve_signal);
  signal(SIGTERM, on_serve_signal);
#ifdef SIGBREAK
  signal(SIGBREAK, on_serve_signal);
#endif
}

static int cmd_serve(int argc, char **argv) {
  const char **names, **lnames;
  const char *url = NULL;
  pipc_serve_opts o;
  pipc_server *s = NULL;
  size_t n = 0, nl = 0;
  int i, rc, port = -1;
  if (wants_help(argc, argv)) return help(help_serve);
  if (pipc_remote_support() != NULL) {
    fprintf(stderr, "%s: serve: %s\n", prog, pipc_remote_support());
    return 1;
  }
  if ((names = (const char **)calloc((size_t)argc * 2, sizeof *names)) == NULL)
    return fail("serve", NULL, PIPC_ENOMEM);
  lnames = names + argc; /* (one allocation: freed with names) */
  memset(&o, 0, sizeof o);
  for (i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--queue") == 0 && i + 1 < argc) {
      if (!name_ok(argv[++i])) {
        free(names);
        return bad_name("serve", argv[i]);
      }
      names[n++] = argv[i];
    } else if (strcmp(argv[i], "--listener") == 0 && i + 1 < argc) {
      if (!name_ok(argv[++i])) {
        free(names);
        return bad_name("serve", argv[i]);
      }
      lnames[nl++] = argv[i];
    } else if (strcmp(argv[i], "--plain") == 0) {
      o.allow_plain = 1;
    } else if (strcmp(argv[i], "--cert") == 0 && i + 1 < argc) {
      o.cert_file = argv[++i];
    } else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
      o.key_file = argv[++i];
    } else if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc) {
      o.ca_file = argv[++i];
    } else if (strcmp(argv[i], "--state") == 0 && i + 1 < argc && argv[i + 1][0] != '\0') {
      o.state_file = argv[++i];
    } else if (url == NULL && argv[i][0] != '-') {
      url = argv[i];
    } else {
      free(names);
      return usage(help_serve);
    }
  }
  if (url == NULL || n + nl == 0) {
    free(names);
    return usage(help_serve);
  }
  if (strncmp(url, "tls+tcp", 7) == 0 && (!o.cert_file || !o.key_file || !o.ca_file)) {
    fprintf(stderr, "%s: serve: %s needs --cert, --key and --ca\n", prog, url);
    free(names);
    return 2;
  }
  if (strncmp(url, "tcp", 3) == 0 && !o.allow_plain) {
    fprintf(stderr, "%s: serve: %s carries no authentication or encryption: "
                    "add --plain if this network is trusted\n", prog, url);
    free(names);
    return 2;
  }
  for (i = 0; i < (int)n; i++) { /* say which name is wrong */
    pipc_kind k = PIPC_KIND_NONE;
    const char *nm = names[i]; /* (argv's: names is freed below) */
    rc = pipc_kind_of(nm, &k);
    if (rc == PIPC_OK && k != PIPC_KIND_QUEUE) {
      free(names);
      return wrong_kind("serve", nm, k, "a queue");
    }
    if (rc != PIPC_OK) {
      fprintf(stderr, "%s: serve: %s %s\n", prog,
              rc == PIPC_ENOENT ? "no queue named" : pipc_strerror(rc), nm);
      free(names);
      return 1;
    }
  }
  for (i = 0; i < (int)nl; i++) { /* a listener is needed when a client connects: a
                                    wrong kind is said now, a missing one then */
    pipc_kind k = PIPC_KIND_NONE;
    if (pipc_kind_of(lnames[i], &k) == PIPC_OK && k != PIPC_KIND_LISTENER) {
      const char *bad = lnames[i]; /* (argv's: lnames is freed with names) */
      free(names);
      return wrong_kind("serve", bad, k, "a listener");
    }
  }
  o.queues = names;
  o.nqueues = n;
  o.listeners = lnames;
  o.nlisteners = nl;
  if ((rc = pipc_serve_start(url, &o, &s)) != PIPC_OK) {
    free(names);
    if (o.state_file && rc == PIPC_EAGAIN) {
      fprintf(stderr, "%s: serve: %s is in use by another running server\n", prog, o.state_file);
      return 1;
    }
    if (o.state_file && (rc == PIPC_ECORRUPT || rc == PIPC_ENOTSUP)) {
      fprintf(stderr, "%s: serve: %s: %s\n", prog, o.state_file,
              rc == PIPC_ENOTSUP ? "a state file of another pipc version"
                                 : "the state file is damaged");
      return 1;
    }
    return fail("serve", url, rc);
  }
  on_stop_signals();
  if (pipc_serve_port(s, &port) == PIPC_OK) {
    const char *colon = strrchr(url, ':');
    printf("serving %.*s:%d\n", (int)(colon - url), url, port);
  } else {
    printf("serving %s\n", url);
  }
  fflush(stdout);
  while (!serve_stop) pipc_sleep_ms(100);
  pipc_serve_stop(s);
  free(names);
  return 0;
}

static const char *help_bridge =
    "usage: pipc bridge NAME URL/NAME\n"
    "  forwards the messages of this user's queue NAME to the remote queue\n"
    "  URL/NAME (served by pipc serve on another host), in order, each stored\n"
    "  there exactly once - also when this bridge is killed and started again,\n"
    "  or the link goes and comes back, while the server remembers this bridge\n"
    "  (across its restart only with pipc serve --state; if it forgot, a message\n"
    "  the bridge may have stored there already is kept here: exit 1, pipc recv\n"
    "  --adopt NAME takes it, never sent twice).  Producers put into NAME\n"
    "  here; the bridge must be NAME's only consumer.  Prints \"bridging NAME\n"
    "  to URL/NAME\" once running; runs until Ctrl-C / SIGTERM (exit 0), until\n"
    "  NAME is shut down and drained (exit 0), or an error it cannot mend\n"
    "  (exit 1: a message longer than the remote queue takes stays here, held;\n"
    "  pipc recv --adopt NAME takes it).  One bridge per NAME and URL/NAME at a\n"
    "  time.  TLS: PIPC_TLS_CERT, PIPC_TLS_KEY, PIPC_TLS_CA, PIPC_TLS_SERVER_NAME.\n";

static int cmd_bridge(int argc, char **argv) {
  pipc_bridge *b = NULL;
  uint64_t forwarded = 0;
  int rc, ended = 0;
  if (wants_help(argc, argv)) return help(help_bridge);
  if (argc != 4 || is_url(argv[2]) || !is_url(argv[3])) return usage(help_bridge);
  if (!name_ok(argv[2])) return bad_name("bridge", argv[2]);
  if (pipc_remote_support() != NULL) {
    fprintf(stderr, "%s: bridge: %s\n", prog, pipc_remote_support());
    return 1;
  }
  if ((rc = pipc_bridge_start(argv[2], argv[3], NULL, &b)) != PIPC_OK) {
    if (rc == PIPC_EAGAIN) {
      fprintf(stderr, "%s: bridge: %s to %s runs already\n", prog, argv[2], argv[3]);
      return 1;
    }
    if (rc == PIPC_EINVAL) return usage(help_bridge); /* a URL pipc does not take */
    return fail("bridge", argv[2], rc);
  }
  on_stop_signals();
  printf("bridging %s to %s\n", argv[2], argv[3]);
  fflush(stdout);
  while (!serve_stop && pipc_bridge_status(b, &forwarded, &ended) == PIPC_OK && ended == 0)
    pipc_sleep_ms(100);
  rc = pipc_bridge_stop(b);
  if (rc == PIPC_OK) return 0;
  if (rc == PIPC_ECLOSED) { /* drained here, or the far queue shut down */
    size_t left = 1;
    pipc_queue *q = NULL;
    if (pipc_queue_open(argv[2], &q) == PIPC_OK) {
      pipc_queue_size(q, &left);
      pipc_queue_close(q);
    }
    if (left == 0) return 0;
    fprintf(stderr, "%s: bridge %s: %s is shut down (what is left stays here)\n", prog,
            argv[2], argv[3]);
    return 1;
  }
  fprintf(stderr, "%s: bridge %s: %s%s\n", prog, argv[2], pipc_strerror(rc),
          rc == PIPC_EMSGSIZE ? " (the message stays held here: pipc recv --adopt takes it)"
          : rc == PIPC_ECORRUPT ? " (a message older than one forwarded: another consumer's?)"
          : rc == PIPC_ENOENT
              ? " (the server forgot this bridge - restarted without --state? - and the "
                "message held may be there already: it stays here, pipc recv --adopt takes it)"
              : "");
  return 1;
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
  if (!name_ok(argv[2])) return bad_name("path", argv[2]);
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

static const char *help_bench =
    "usage: pipc bench [--quick] [--json FILE]\n"
    "  runs pipc-bench: pipc and its peers between two processes, in one run,\n"
    "  with ratios.  pipc-bench is looked for beside pipc (where cmake --install\n"
    "  puts it) and in ../bench of a build tree.  It is built with\n"
    "  -DPIPC_BUILD_BENCH=ON (target pipc-bench; install component bench).\n";

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
  if (rc == PIPC_ENOENT) {
    fprintf(stderr,
            "%s: bench: pipc-bench not found beside pipc (%s) nor in %s/../bench; build it:\n"
            "  cmake -DPIPC_BUILD_BENCH=ON ... && cmake --build BUILD --target pipc-bench\n"
            "  (cmake --install BUILD then puts it beside pipc: install component bench)\n",
            prog, self, self);
    return 1;
  }
  if (rc != PIPC_OK) return fail("bench: cannot start pipc-bench", NULL, rc);
  pipc_process_wait(p, PIPC_FOREVER, &code);
  pipc_process_free(p);
  return code < 0 ? 1 : code; /* -signal: it was killed */
}

static const struct verb {
  const char *verb;
  int (*fn)(int, char **);
  const char **help;
} verbs[] = {{"ls", cmd_ls, &help_ls},
             {"info", cmd_info, &help_info},
             {"create", cmd_create, &help_create},
             {"rm", cmd_rm, &help_rm},
             {"send", cmd_send, &help_send},
             {"recv", cmd_recv, &help_recv},
             {"listen", cmd_listen, &help_listen},
             {"serve", cmd_serve, &help_serve},
             {"bridge", cmd_bridge, &help_bridge},
             {"path", cmd_path, &help_path},
             {"bench", cmd_bench, &help_bench}};

static const struct verb *find_verb(const char *name) {
  size_t i;
  for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (strcmp(name, verbs[i].verb) == 0) return &verbs[i];
  return NULL;
}

static int no_verb(const char *name) {
  fprintf(stderr, "%s: no verb '%s'\n%s", prog, name, help_all);
  return 2;
}

int main(int argc, char **argv) {
  const struct verb *v;
  if (argc < 2) return usage(help_all);
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) return help(help_all);
  if (strcmp(argv[1], "--version") == 0) {
    if (argc != 2) return usage(help_all);
    printf("pipc %d.%d.%d\n", PIPC_VERSION_MAJOR, PIPC_VERSION_MINOR, PIPC_VERSION_PATCH);
    return 0;
  }
  if (strcmp(argv[1], "help") == 0) { /* pipc help [VERB] */
    if (argc == 2) return help(help_all);
    if (argc != 3) return usage(help_all);
    return (v = find_verb(argv[2])) != NULL ? help(*v->help) : no_verb(argv[2]);
  }
  if ((v = find_verb(argv[1])) != NULL) return v->fn(argc, argv);
  return no_verb(argv[1]);
}
