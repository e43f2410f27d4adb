/* wait_loop.c - Python's multiprocessing.connection.wait loop, in C, over
 * every kind of pipc object at once.
 *
 * Python (the library's own example, grown a little):
 *
 *   readers = []
 *   for i in range(4):
 *       r, w = Pipe(duplex=False)
 *       readers.append(r)
 *       p = Process(target=foo, args=(w,)); p.start(); w.close()
 *   while readers:
 *       for r in wait(readers + listeners + sentinels):
 *           try: msg = r.recv()
 *           except EOFError: readers.remove(r)
 *           else: print(msg)
 *
 * Here one pipc_wait watches, together:
 *   - 4 workers' pipe ends (inherited: pipc_pipe_export / _import), each
 *     sending 10 messages then closing - the end of stream removes it;
 *   - a Listener "named" workers connect to by name (2 of them): each
 *     connection accepted is added to the wait as one more pipe;
 *   - a results Queue every worker puts its total into at the end;
 *   - each worker's process: its exit is reaped as soon as it happens.
 * The loop ends when every stream has ended, every result has come and
 * every child is reaped; the example checks the counts and exits 0.
 *
 *   wait_loop            run it (the ctest case)
 */
#include <string.h>
#include "example_util.h"

#define PIPED 4       /* workers on an inherited pipe end */
#define NAMED 2       /* workers that connect to the listener */
#define PER_WORKER 10 /* messages each sends */
#define MAX_ITEMS (1 + 1 + PIPED + NAMED + PIPED + NAMED)

/* A worker: send PER_WORKER messages on its end, close it, put the total
   into the results queue. */
static int worker(pipc_pipe *out, const char *qname, const char *who) {
  pipc_queue *results = NULL;
  char msg[64];
  int i;
  for (i = 0; i < PER_WORKER; i++) {
    snprintf(msg, sizeof msg, "(%d, '%s')", i, who);
    CHECK(pipc_pipe_send(out, msg, strlen(msg), PIPC_FOREVER));
  }
  CHECK(pipc_pipe_close(out));
  CHECK(pipc_queue_open(qname, &results));
  snprintf(msg, sizeof msg, "%s sent %d", who, PER_WORKER);
  CHECK(pipc_queue_put(results, msg, strlen(msg), PIPC_FOREVER));
  CHECK(pipc_queue_close(results));
  return 0;
}

/* Remove item i (order does not matter). */
static void drop(pipc_waitable *items, size_t *n, size_t i) { items[i] = items[--*n]; }

int main(int argc, char **argv) {
  pipc_waitable items[MAX_ITEMS];
  pipc_listener *l = NULL;
  pipc_queue *results = NULL;
  char lname[PIPC_NAME_MAX + 1], qname[PIPC_NAME_MAX + 1], token[64], who[16];
  size_t n = 0, i;
  int w, got = 0, ended = 0, reaped = 0, totals = 0, accepted = 0;

  if (argc == 4 && strcmp(argv[1], "piped") == 0) { /* piped TOKEN QUEUE */
    pipc_pipe *out = NULL;
    CHECK(pipc_pipe_import(argv[2], &out));
    snprintf(who, sizeof who, "piped-%ld", pipc_self_pid());
    return worker(out, argv[3], who);
  }
  if (argc == 4 && strcmp(argv[1], "named") == 0) { /* named LISTENER QUEUE */
    pipc_pipe *out = NULL;
    CHECK(pipc_pipe_connect(argv[2], &out, 30000));
    snprintf(who, sizeof who, "named-%ld", pipc_self_pid());
    return worker(out, argv[3], who);
  }

  /* The parent: a listener and a queue under fresh names, then workers. */
  CHECK(pipc_listener_create(NULL, &l));
  CHECK(pipc_queue_create(NULL, PIPED + NAMED, 64, &results));
  snprintf(lname, sizeof lname, "%s", pipc_listener_name(l));
  snprintf(qname, sizeof qname, "%s", pipc_queue_name(results));
  items[n++] = pipc_wait_on_listener(l);
  items[n++] = pipc_wait_on_queue(results, PIPC_WAIT_IN);
  for (w = 0; w < PIPED; w++) {
    pipc_pipe *mine = NULL, *theirs = NULL;
    CHECK(pipc_pipe_pair(&mine, &theirs));
    CHECK(pipc_pipe_export(theirs, token, sizeof token));
    items[n++] = pipc_wait_on_process(spawn_self("piped", token, qname));
    CHECK(pipc_pipe_close(theirs)); /* the child has it: as w.close() */
    items[n++] = pipc_wait_on_pipe(mine);
  }
  for (w = 0; w < NAMED; w++)
    items[n++] = pipc_wait_on_process(spawn_self("named", lname, qname));

  /* while readers: for r in wait(...) */
  while (ended < PIPED + NAMED || totals < PIPED + NAMED || reaped < PIPED + NAMED) {
    int ready = pipc_wait(items, n, 30000);
    CHECK(ready);
    if (ready == 0) {
      fprintf(stderr, "wait_loop: nothing for 30 s\n");
      return 1;
    }
    for (i = n; i-- > 0;) { /* backwards: drop() moves the last item here */
      pipc_waitable *it = &items[i];
      char msg[64];
      size_t len;
      int code, rc;
      if (it->revents & PIPC_WAIT_ERR) {
        fprintf(stderr, "wait_loop: item %u: %s\n", (unsigned)i, pipc_strerror(it->error));
        return 1;
      }
      if (!it->revents) continue;
      switch (it->kind) {
      case PIPC_WAIT_LISTENER: { /* a named worker: its connection joins in */
        pipc_pipe *p = NULL;
        if (pipc_listener_accept(l, &p, 0) == PIPC_OK && n < MAX_ITEMS) {
          items[n++] = pipc_wait_on_pipe(p);
          accepted++;
        }
        break;
      }
      case PIPC_WAIT_QUEUE:
        while (pipc_queue_get(results, msg, sizeof msg - 1, &len, 0) == PIPC_OK) {
          msg[len] = 0;
          printf("result: %s\n", msg);
          totals++;
        }
        break;
      case PIPC_WAIT_PIPE: /* try: msg = r.recv() except EOFError: remove */
        while ((rc = pipc_pipe_recv(it->obj.pipe, msg, sizeof msg - 1, &len, 0)) == PIPC_OK) {
          msg[len] = 0;
          printf("%s\n", msg);
          got++;
        }
        if (rc == PIPC_ECLOSED) {
          CHECK(pipc_pipe_close(it->obj.pipe));
          drop(items, &n, i);
          ended++;
        } else if (rc != PIPC_EAGAIN) {
          CHECK(rc);
        }
        break;
      case PIPC_WAIT_PROCESS: /* a sentinel: reap it at once */
        CHECK(pipc_process_wait(it->obj.process, 0, &code));
        printf("worker %ld exited with %d\n", pipc_process_pid(it->obj.process), code);
        if (code != 0) return 1;
        pipc_process_free(it->obj.process);
        drop(items, &n, i);
        reaped++;
        break;
      default:
        break;
      }
    }
  }
  CHECK(pipc_listener_close(l));
  CHECK(pipc_queue_close(results));
  pipc_queue_unlink(qname);
  printf("%d messages from %d workers (%d by name), %d results, %d exits: %s\n", got,
         PIPED + NAMED, accepted, totals, reaped,
         got == (PIPED + NAMED) * PER_WORKER && accepted == NAMED ? "all there" : "MISSING");
  return got == (PIPED + NAMED) * PER_WORKER && accepted == NAMED ? 0 : 1;
}
