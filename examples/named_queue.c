/* named_queue.c - a Queue between two unrelated programs, found by name.
 *
 * No parent, no child, no handle passed: two programs started separately
 * (from two terminals, say) agree on a name and nothing else.
 *
 *   terminal 1:  named_queue serve jobs        create the queue "jobs", print
 *                                              each message until "quit", then
 *                                              remove the name
 *   terminal 2:  named_queue send jobs hello "two words" quit
 *                                              put each MSG; waits up to 10 s
 *                                              for "jobs" to appear, so it may
 *                                              be started first
 *   named_queue selftest                       both, checked (the ctest case):
 *                                              starts itself as two `send`
 *                                              programs, serves, compares
 *
 * Windows: a name lives while some process has it open, so `serve` stays
 * up until "quit" - exactly what a portable program does anyway.
 */
#include <string.h>
#include "example_util.h"

#define MSG_MAX 256      /* longest message, bytes */
#define APPEAR_MS 10000  /* how long `send` waits for the queue to appear */

/* Open NAME, retrying while it does not exist yet (PIPC_ENOENT). */
static int open_when_there(const char *name, pipc_queue **q) {
  int waited = 0, rc;
  while ((rc = pipc_queue_open(name, q)) == PIPC_ENOENT && waited < APPEAR_MS) {
    if (waited == 0) printf("send: no queue \"%s\" yet, waiting\n", name);
    pipc_sleep_ms(100);
    waited += 100;
  }
  return rc;
}

/* Take messages and print them until "quit"; keep "a|b|..." in log. */
static void serve_loop(pipc_queue *q, char *log, size_t cap) {
  char msg[MSG_MAX + 1];
  size_t len;
  log[0] = '\0';
  for (;;) {
    CHECK(pipc_queue_get(q, msg, MSG_MAX, &len, PIPC_FOREVER));
    msg[len] = '\0'; /* a message is bytes; we sent text without its NUL */
    printf("serve: got \"%s\"\n", msg);
    if (log[0] && strlen(log) + 1 < cap) strcat(log, "|");
    strncat(log, msg, cap - strlen(log) - 1);
    if (strcmp(msg, "quit") == 0) return;
  }
}

static int serve(const char *name) {
  pipc_queue *q;
  char log[1024];
  /* Exclusive: PIPC_EEXIST if "name" is taken (on POSIX, maybe left behind
     by a killed server: `pipc rm NAME`). 16 messages of up to MSG_MAX. */
  CHECK(pipc_queue_create(name, 16, MSG_MAX, &q));
  printf("serve: queue \"%s\" is up; send \"quit\" to stop\n", name);
  serve_loop(q, log, sizeof log);
  CHECK(pipc_queue_unlink(name)); /* the name goes; our handle still works */
  CHECK(pipc_queue_close(q));
  return 0;
}

static int send_all(const char *name, int n, char **msgs) {
  pipc_queue *q;
  int i;
  CHECK(open_when_there(name, &q));
  for (i = 0; i < n; i++) {
    /* Blocks while the queue is full; PIPC_EMSGSIZE past MSG_MAX. */
    CHECK(pipc_queue_put(q, msgs[i], strlen(msgs[i]), PIPC_FOREVER));
    printf("send: put \"%s\"\n", msgs[i]);
  }
  CHECK(pipc_queue_close(q)); /* what we put stays in the queue */
  return 0;
}

/* Two unrelated senders, each told only the name.  The first is started
   before the queue exists and waits for it to appear. */
static int selftest(void) {
  char name[PIPC_NAME_MAX + 1], log[1024];
  const char *want = "hello, by name only|quit";
  pipc_queue *q;
  pipc_process *first;
  snprintf(name, sizeof name, "named_queue.%ld", pipc_self_pid());
  first = spawn_self("send", name, "hello, by name only");
  pipc_sleep_ms(200); /* give it time to find no queue, and wait */
  CHECK(pipc_queue_create(name, 16, MSG_MAX, &q));
  join(first);                                  /* its message is queued */
  join(spawn_self("send", name, "quit"));       /* so "quit" comes second */
  serve_loop(q, log, sizeof log);
  CHECK(pipc_queue_unlink(name));
  CHECK(pipc_queue_close(q));
  printf("selftest: received \"%s\", expected \"%s\"\n", log, want);
  return strcmp(log, want) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 3 && strcmp(argv[1], "serve") == 0) return serve(argv[2]);
  if (argc >= 4 && strcmp(argv[1], "send") == 0) return send_all(argv[2], argc - 3, argv + 3);
  if (argc == 2 && strcmp(argv[1], "selftest") == 0) return selftest();
  fprintf(stderr, "usage: %s serve NAME\n"
                  "       %s send NAME MSG...\n"
                  "       %s selftest\n", argv[0], argv[0], argv[0]);
  return 2;
}
