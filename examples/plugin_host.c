/* plugin_host.c - a plugin host: worker processes started, watched,
 * restarted when they crash, stopped gracefully, and never left orphaned.
 *
 * The pattern, step by step:
 *  - Three workers, each this program again (pipc_self_exe + "worker N
 *    JOBS RESULTS"), started with pipc_process_spawn_ex:
 *      stdin the null device; stdout and stderr together one pipc_stream per
 *      worker, which the host reads and prints line by line as "[wN] ...";
 *      PIPC_SPAWN_NEW_GROUP: a Ctrl-C typed at the host's terminal reaches
 *      the host alone - the host decides how its workers stop;
 *      PIPC_SPAWN_DIE_WITH_HOST: if the host is killed (kill -9, Task
 *      Manager) its workers end with it.  Where the OS cannot do that
 *      (macOS, the BSDs: PIPC_ENOTSUP) the host says so and goes on without.
 *  - Jobs go out on one Queue, results come back on another.
 *  - One loop: one pipc_wait over the 3 streams, the 3 processes and the
 *    results queue.
 *  - A worker that ends while the host runs has crashed: the host reaps it,
 *    prints why (pipc_exit: "ended by signal 6" for abort() on POSIX,
 *    "exited with code 3" for msvcrt's abort() on Windows) and starts a new
 *    one in its place.  The job it held is lost - the Queue's promise is
 *    that a consumer killed inside get takes its one message with it - so
 *    the host counts results: every other job gives exactly one.
 *  - Ctrl-C (SIGINT; the C runtime's signal() catches it on every OS) stops
 *    gracefully: pipc_process_terminate asks each worker to stop (SIGTERM /
 *    CTRL_BREAK_EVENT); a worker finishes its current job and exits 0.  After
 *    a grace period of about 2 s, pipc_process_kill ends any still running.
 *    Where terminate is PIPC_ENOTSUP (Windows with no console shared, e.g.
 *    under Wine) the host shuts the jobs queue down instead: a worker's get
 *    then fails with PIPC_ECLOSED and it exits 0.
 *
 *   plugin_host               a job a second (every 7th makes its worker
 *                             crash), everything printed, until Ctrl-C.
 *                             Try, from another terminal:
 *                               kill -9 <a worker's pid>   it is restarted
 *                               kill -9 <the host's pid>   no worker remains:
 *                                 pgrep -f plugin_host prints nothing
 *   plugin_host selftest      (ctest) 12 jobs, job 5 crashes its worker: checks
 *                             the restart and one result per other job, then
 *                             stops as Ctrl-C does (raise(SIGINT)) and checks
 *                             every worker ended by it or by the kill after it
 *   plugin_host orphan-check  (ctest) starts `plugin_host serve` (a host that
 *                             waits forever), kills it as kill -9 would and
 *                             checks that its workers are gone; exits 77
 *                             (skipped) where workers cannot die with their host
 */
#include <signal.h>
#include <string.h>
#include <time.h>
#include "example_util.h"

#define NWORK 3      /* workers */
#define NJOBS 12     /* selftest: jobs 1..NJOBS ... */
#define CRASH_JOB 5  /* ... of which this one makes its worker abort() */
#define GRACE_S 2    /* seconds a worker gets to stop when asked */
#define MAX_IDS 4096 /* results counted per job id below this */

typedef struct worker {
  int n;              /* 1..NWORK, as in "[wN]" */
  pipc_process *proc; /* NULL once reaped */
  pipc_stream *out;   /* its stdout and stderr; NULL at their end */
  char line[256];     /* the line it is writing */
  size_t len;
  int up;             /* it has said something: its signal handlers are set */
  int killed;         /* by us, after the grace period */
  pipc_exit how;      /* how it ended, last time */
} worker;

/* The host's state. */
static struct {
  char exe[4096];
  const char *mode; /* "run", "selftest" or "serve" */
  pipc_queue *jobs, *results;
  char jobs_name[PIPC_NAME_MAX + 1], results_name[PIPC_NAME_MAX + 1];
  pipc_pipe *held;  /* serve: a pipe end every worker holds (orphan-check) */
  char token[64];   /* ... and its token for the workers */
  int die_with_host, all_up, stopping, restarts, failed, sent, crash_jobs, nresults;
  time_t deadline; /* stopping: the end of the grace period; else give up */
  int got[MAX_IDS];
  worker w[NWORK];
} H;

/* Host: Ctrl-C was pressed.  Worker: the host asked it to stop. */
static volatile sig_atomic_t stop_flag;
static void on_stop(int sig) {
  signal(sig, on_stop); /* Windows' C runtime resets it to the default */
  stop_flag = 1;
}

/* ---- the worker: square numbers until asked to stop ---- */

static int worker_main(int n, const char *jobs_name, const char *results_name,
                       const char *token) {
  pipc_queue *jobs = NULL, *results = NULL;
  pipc_pipe *held = NULL;
  char msg[64];
  size_t len;
  int rc;
  signal(SIGTERM, on_stop);
#ifdef SIGBREAK
  signal(SIGBREAK, on_stop); /* Windows: what pipc_process_terminate sends */
#endif
#ifdef SIGPIPE
  signal(SIGPIPE, SIG_IGN); /* a host gone: printf fails, no accidental death */
#endif
  if (token) CHECK(pipc_pipe_import(token, &held)); /* orphan-check: only held */
  CHECK(pipc_queue_open(jobs_name, &jobs));
  CHECK(pipc_queue_open(results_name, &results));
  printf("up, pid %ld\n", pipc_self_pid());
  while (!stop_flag) { /* the flag is looked at between jobs */
    int id;
    rc = pipc_queue_get(jobs, msg, sizeof msg - 1, &len, 250);
    if (rc == PIPC_ETIMEDOUT) continue;
    if (rc == PIPC_ECLOSED) {
      printf("the jobs queue is shut down\n");
      break;
    }
    CHECK(rc);
    msg[len] = '\0';
    id = atoi(msg);
    if (strstr(msg, "crash")) {
      printf("job %d says crash: abort()\n", id);
      abort();
    }
    printf("job %d: %d * %d = %d\n", id, id, id, id * id);
    snprintf(msg, sizeof msg, "%d %d", id, n);
    CHECK(pipc_queue_put(results, msg, strlen(msg), 30000));
  }
  printf("stopping\n");
  CHECK(pipc_queue_close(jobs));
  CHECK(pipc_queue_close(results));
  if (held) CHECK(pipc_pipe_close(held));
  return 0;
}

/* ---- the host ---- */

static void start_worker(worker *w) {
  pipc_spawn_opts o;
  char num[16];
  const char *argv[] = {H.exe, "worker", num, H.jobs_name, H.results_name,
                        H.held ? H.token : NULL, NULL};
  int rc;
  snprintf(num, sizeof num, "%d", w->n);
  memset(&o, 0, sizeof o);
  o.io[0].mode = PIPC_STDIO_NULL;
  o.io[1].mode = PIPC_STDIO_STREAM;
  o.io[1].stream = &w->out;
  o.io[2].mode = PIPC_STDIO_STDOUT;
  o.flags = PIPC_SPAWN_NEW_GROUP | (H.die_with_host ? PIPC_SPAWN_DIE_WITH_HOST : 0);
  if (H.held) {
    o.pass = &H.held;
    o.npass = 1;
  }
  rc = pipc_process_spawn_ex(argv, &o, &w->proc);
  if (rc == PIPC_ENOTSUP && H.die_with_host) {
    if (strcmp(H.mode, "serve") == 0) { /* nothing for orphan-check to check */
      printf("[host] workers cannot die with their host here\n");
      exit(77);
    }
    fprintf(stderr, "plugin_host: workers cannot die with their host here (%s): "
                    "a killed host leaves them running\n", pipc_strerror(rc));
    H.die_with_host = 0;
    o.flags = PIPC_SPAWN_NEW_GROUP;
    rc = pipc_process_spawn_ex(argv, &o, &w->proc);
  }
  CHECK(rc);
  w->len = 0;
  w->up = w->killed = 0;
  printf("[host] started w%d, pid %ld\n", w->n, pipc_process_pid(w->proc));
}

/* Print what w wrote as "[wN] line" lines; at its end, close the stream. */
static void pump(worker *w, int timeout_ms) {
  char buf[512];
  size_t got, i;
  int rc;
  while ((rc = pipc_stream_read(w->out, buf, sizeof buf, &got, timeout_ms)) == PIPC_OK) {
    for (i = 0; i < got; i++) {
      if (buf[i] == '\r') continue; /* Windows' text mode */
      if (buf[i] == '\n' || w->len == sizeof w->line - 1) {
        w->line[w->len] = '\0';
        printf("[w%d] %s\n", w->n, w->line);
        w->len = 0;
        w->up = 1;
      }
      if (buf[i] != '\n') w->line[w->len++] = buf[i];
    }
  }
  if (rc != PIPC_EAGAIN && rc != PIPC_ETIMEDOUT) {
    if (rc != PIPC_ECLOSED) CHECK(rc);
    CHECK(pipc_stream_close(w->out));
    w->out = NULL;
  }
}

/* w's process has ended: say how, and start another if it crashed. */
static void reap(worker *w) {
  pipc_exit *how = &w->how;
  int rc = pipc_process_wait_ex(w->proc, 0, how);
  if (rc == PIPC_EAGAIN) return; /* readiness is a hint */
  CHECK(rc);
  if (w->out) pump(w, 5000); /* its last words, up to the end */
  if (w->out) {              /* someone else holds it (none should) */
    CHECK(pipc_stream_close(w->out));
    w->out = NULL;
  }
  if (how->reason == PIPC_EXIT_CODE)
    printf("[host] w%d exited with code %d\n", w->n, how->code);
  else
    printf("[host] w%d ended by signal %d%s\n", w->n, how->signal, w->killed ? " (our kill)" : "");
  pipc_process_free(w->proc);
  w->proc = NULL;
  if (!H.stopping) {
    H.restarts++;
    printf("[host] w%d crashed: starting a new one in its place\n", w->n);
    start_worker(w);
  }
}

static void take_results(void) {
  char msg[64];
  size_t len;
  int id;
  while (pipc_queue_get(H.results, msg, sizeof msg - 1, &len, 0) == PIPC_OK) {
    msg[len] = '\0'; /* "ID WORKER" */
    if (sscanf(msg, "%d", &id) == 1 && id > 0 && id < MAX_IDS) H.got[id]++;
    H.nresults++;
  }
}

static void put_job(void) {
  char msg[32];
  int id = ++H.sent, crash = strcmp(H.mode, "selftest") == 0 ? id == CRASH_JOB : id % 7 == 0;
  snprintf(msg, sizeof msg, crash ? "%d crash" : "%d", id);
  H.crash_jobs += crash;
  CHECK(pipc_queue_put(H.jobs, msg, strlen(msg), 5000));
}

/* The graceful stop: ask each worker, give them GRACE_S seconds. */
static void begin_stop(void) {
  int i, unsupported = 0;
  H.stopping = 1;
  H.deadline = time(NULL) + GRACE_S + 1; /* +1: time() counts whole seconds */
  printf("[host] stopping: asking every worker to finish its job (%d s grace)\n", GRACE_S);
  for (i = 0; i < NWORK; i++) {
    int rc = H.w[i].proc ? pipc_process_terminate(H.w[i].proc) : PIPC_OK;
    if (rc == PIPC_ENOTSUP)
      unsupported = 1;
    else
      CHECK(rc);
  }
  if (unsupported) {
    printf("[host] no stop request reaches a worker here: shutting the jobs queue down\n");
    CHECK(pipc_queue_shutdown(H.jobs));
  }
}

/* The grace period is over: kill those still running (the loop reaps them). */
static void kill_late(void) {
  int i;
  for (i = 0; i < NWORK; i++)
    if (H.w[i].proc && !H.w[i].killed) {
      printf("[host] w%d still runs after the grace period: killing it\n", H.w[i].n);
      CHECK(pipc_process_kill(H.w[i].proc));
      H.w[i].killed = 1;
    }
}

/* atexit: whatever way the host leaves by, it leaves no worker behind. */
static void kill_all(void) {
  int i;
  for (i = 0; i < NWORK; i++)
    if (H.w[i].proc) pipc_process_kill(H.w[i].proc);
}

/* Per loop turn, while not stopping: what the mode does. */
static void tick(void) {
  int i, up = 1, all_in = 1;
  for (i = 0; i < NWORK; i++) up &= H.w[i].up;
  if (up && !H.all_up) printf("[host] all workers up\n");
  H.all_up |= up;
  if (strcmp(H.mode, "run") == 0 && time(NULL) >= H.deadline) {
    put_job();
    H.deadline = time(NULL) + 1;
  } else if (strcmp(H.mode, "selftest") == 0) {
    for (i = 1; i <= NJOBS; i++) all_in &= i == CRASH_JOB || H.got[i] > 0;
    if (all_in && H.restarts > 0 && up) {
      printf("[host] selftest: every result is in and the crash was seen: Ctrl-C\n");
      raise(SIGINT); /* the stop path a person's Ctrl-C takes */
    } else if (time(NULL) > H.deadline) {
      printf("[host] selftest: FAILED: not done in time\n");
      H.failed = 1;
      raise(SIGINT);
    }
  }
}

static int host(const char *mode) {
  int i, ok = 1;
  H.mode = mode;
  H.die_with_host = 1;
  H.deadline = time(NULL) + (strcmp(mode, "selftest") == 0 ? 60 : 1);
  CHECK(pipc_queue_create(NULL, 64, 64, &H.jobs));
  CHECK(pipc_queue_create(NULL, 64, 64, &H.results));
  snprintf(H.jobs_name, sizeof H.jobs_name, "%s", pipc_queue_name(H.jobs));
  snprintf(H.results_name, sizeof H.results_name, "%s", pipc_queue_name(H.results));
  printf("[host] pid %ld, queues: jobs %s results %s\n", pipc_self_pid(), H.jobs_name,
         H.results_name);
  atexit(kill_all);
  signal(SIGINT, on_stop);
  for (i = 0; i < NWORK; i++) {
    H.w[i].n = i + 1;
    start_worker(&H.w[i]);
  }
  if (strcmp(mode, "selftest") == 0)
    while (H.sent < NJOBS) put_job();

  for (;;) {
    pipc_waitable items[2 * NWORK + 1];
    size_t n = 0, k;
    int live = 0;
    for (i = 0; i < NWORK; i++) {
      worker *w = &H.w[i];
      if (w->out) {
        items[n] = pipc_wait_on_stream(w->out, PIPC_WAIT_IN);
        items[n++].user = w;
      }
      if (w->proc) {
        items[n] = pipc_wait_on_process(w->proc);
        items[n++].user = w;
        live++;
      }
    }
    if (H.stopping && live == 0) break;
    items[n++] = pipc_wait_on_queue(H.results, PIPC_WAIT_IN);
    /* not FOREVER: a Ctrl-C does not end the wait, the next turn sees it */
    CHECK(pipc_wait(items, n, 250));
    for (k = 0; k < n; k++) {
      worker *w = (worker *)items[k].user;
      CHECK(items[k].error);
      if (!items[k].revents) continue;
      if (items[k].kind == PIPC_WAIT_STREAM && items[k].obj.stream == w->out)
        pump(w, 0);
      else if (items[k].kind == PIPC_WAIT_PROCESS && items[k].obj.process == w->proc)
        reap(w);
      else if (items[k].kind == PIPC_WAIT_QUEUE)
        take_results();
    }
    if (stop_flag && !H.stopping) begin_stop();
    if (H.stopping && time(NULL) >= H.deadline) kill_late();
    if (!H.stopping) tick();
  }
  take_results();
  CHECK(pipc_queue_close(H.jobs));
  CHECK(pipc_queue_close(H.results));
  pipc_queue_unlink(H.jobs_name);
  pipc_queue_unlink(H.results_name);
  printf("[host] %d jobs sent (%d crash jobs), %d results, %d restarts\n", H.sent, H.crash_jobs,
         H.nresults, H.restarts);
  if (strcmp(mode, "selftest") != 0) return 0;

  ok = !H.failed && H.restarts >= 1;
  for (i = 1; i <= NJOBS; i++)
    if (H.got[i] != (i == CRASH_JOB ? 0 : 1)) {
      printf("[host] job %d: %d results\n", i, H.got[i]);
      ok = 0;
    }
  for (i = 0; i < NWORK; i++) {
    const pipc_exit *how = &H.w[i].how;
    if (!(how->reason == PIPC_EXIT_CODE && how->code == 0) &&
        !(H.w[i].killed && how->reason == PIPC_EXIT_SIGNAL && how->signal == 9)) {
      printf("[host] w%d did not end by the stop\n", H.w[i].n);
      ok = 0;
    }
  }
  printf("[host] selftest: %s\n", ok ? "all held" : "FAILED");
  return ok ? 0 : 1;
}

/* ---- orphan-check: kill a host, see that no worker outlives it ---- */

/* The serving host's whole line saying that its workers are up. */
static int all_up_in(const char *text) {
  const char *m = strstr(text, "all workers up");
  return m && strchr(m, '\n');
}

static int orphan_check(void) {
  pipc_pipe *mine = NULL, *theirs = NULL;
  pipc_process *hp = NULL;
  pipc_queue *jq = NULL;
  pipc_stream *out = NULL;
  pipc_spawn_opts o;
  pipc_exit how;
  char token[64], text[8192], jobs[PIPC_NAME_MAX + 1] = "", results[PIPC_NAME_MAX + 1] = "";
  const char *argv[] = {H.exe, "serve", token, NULL}, *q;
  size_t len = 0, got;
  int rc = PIPC_OK, result = -1;

  /* One pipe end, held by the host and passed on to each of its workers:
     the other end sees PIPC_ECLOSED only once every holder is gone. */
  CHECK(pipc_pipe_pair(&mine, &theirs));
  CHECK(pipc_pipe_export(theirs, token, sizeof token));
  memset(&o, 0, sizeof o);
  o.io[0].mode = PIPC_STDIO_NULL;
  o.io[1].mode = PIPC_STDIO_STREAM;
  o.io[1].stream = &out;
  o.io[2].mode = PIPC_STDIO_STDOUT;
  o.pass = &theirs;
  o.npass = 1; /* and no NEW_GROUP: the kill is for the host alone */
  CHECK(pipc_process_spawn_ex(argv, &o, &hp));
  CHECK(pipc_pipe_close(theirs));

  text[0] = '\0'; /* its output, until every worker is up (or it ends) */
  while (!all_up_in(text) && len < sizeof text - 1 && rc == PIPC_OK) {
    rc = pipc_stream_read(out, text + len, sizeof text - 1 - len, &got, 30000);
    if (rc == PIPC_OK) text[len += got] = '\0';
  }
  fputs(text, stdout);
  if ((q = strstr(text, "queues: ")) != NULL)
    sscanf(q, "queues: jobs %64s results %64s", jobs, results);
  if (all_up_in(text)) {
    printf("orphan-check: killing the host, pid %ld, as kill -9 would\n", pipc_process_pid(hp));
    CHECK(pipc_process_kill(hp));
    rc = pipc_pipe_recv(mine, text, sizeof text, &got, 20000);
    result = rc == PIPC_ECLOSED ? 0 : 1;
    printf("orphan-check: %s\n", result == 0 ? "every worker ended with its host"
                                             : "FAILED: a worker outlived its host");
  }
  if (pipc_process_wait_ex(hp, 30000, &how) != PIPC_OK) { /* it hangs */
    pipc_process_kill(hp);
    CHECK(pipc_process_wait_ex(hp, PIPC_FOREVER, &how));
  }
  if (result < 0) { /* it ended by itself, before its workers were up */
    result = how.reason == PIPC_EXIT_CODE && how.code == 77 ? 77 : 1;
    printf("orphan-check: %s\n", result == 77 ? "skipped: workers cannot die with their host here"
                                              : "FAILED: the host did not start its workers");
  }
  if (result == 1 && jobs[0] && pipc_queue_open(jobs, &jq) == PIPC_OK) {
    pipc_queue_shutdown(jq); /* orphans, if any: their get fails, they exit */
    pipc_queue_close(jq);
  }
  if (jobs[0]) pipc_queue_unlink(jobs); /* the killed host could not */
  if (results[0]) pipc_queue_unlink(results);
  pipc_process_free(hp);
  CHECK(pipc_stream_close(out));
  CHECK(pipc_pipe_close(mine));
  return result;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0); /* lines reach a pipe as they are printed */
  if (argc >= 5 && strcmp(argv[1], "worker") == 0) /* worker N JOBS RESULTS [TOKEN] */
    return worker_main(atoi(argv[2]), argv[3], argv[4], argc > 5 ? argv[5] : NULL);
  CHECK(pipc_self_exe(H.exe, sizeof H.exe));
  if (argc == 1) return host("run");
  if (argc == 2 && strcmp(argv[1], "selftest") == 0) return host("selftest");
  if (argc == 2 && strcmp(argv[1], "orphan-check") == 0) return orphan_check();
  if (argc == 3 && strcmp(argv[1], "serve") == 0) { /* serve TOKEN: orphan-check's host */
    CHECK(pipc_pipe_import(argv[2], &H.held));
    CHECK(pipc_pipe_export(H.held, H.token, sizeof H.token));
    return host("serve");
  }
  fprintf(stderr, "usage: plugin_host [selftest | orphan-check]\n");
  return 2;
}
